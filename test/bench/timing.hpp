// Clocks for the benchmarks: wall time, and this thread's CPU time (single-threaded timings that
// other processes on the machine do not inflate); and the process's peak memory.
#pragma once

#include <sys/resource.h>
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

// Peak resident memory of this process so far, in MB.
inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace autorec::bench
