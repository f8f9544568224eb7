// Clocks for the benchmarks: wall time, and this thread's CPU time (single-threaded timings that
// other processes on the machine do not inflate).
#pragma once

#include <time.h>

#include <chrono>

namespace autorec::bench {

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace autorec::bench
