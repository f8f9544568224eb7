// Training threads: a small pool whose workers start with every signal blocked (so PostgreSQL's
// handlers always run on the backend's main thread) and that polls for cancellation from the
// calling thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace autorec {

class FitContext;

class ThreadPool {
 public:
  // threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int threads);
  ~ThreadPool();  // joins every worker
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(t, worker) for t in [0, n_tasks) on all threads (the caller included) and
  // returns when all are done. `worker` is in [0, size()). With a context, the caller polls it
  // between tasks; on cancellation the remaining tasks are skipped and Cancelled is thrown
  // after every worker has stopped. An exception in a task is rethrown here.
  void run(size_t n_tasks, const std::function<void(size_t task, int worker)>& task,
           const FitContext* ctx = nullptr);

 private:
  void worker_loop(int id);
  void drain(int id);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, int)>* task_ = nullptr;
  size_t n_tasks_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_tasks_{false};
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool shutdown_ = false;
  std::exception_ptr error_;
};

// The threads a training runs on: `requested` (the option "threads"; <= 0: every core), at
// most `cap` when it is positive (autorec.max_training_threads); >= 1.
int resolve_threads(int requested, int cap = 0);

// Splits [0, n) into about `chunks` contiguous ranges.
inline std::pair<size_t, size_t> chunk_range(size_t n, size_t chunks, size_t c) {
  return {n * c / chunks, n * (c + 1) / chunks};
}

}  // namespace autorec
