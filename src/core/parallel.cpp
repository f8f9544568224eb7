// The training thread pool.
#include "core/parallel.hpp"

#include <pthread.h>
#include <signal.h>

#include "core/error.hpp"
#include "core/model.hpp"

namespace autorec {

int resolve_threads(int requested, int cap) {
  int n = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (cap > 0 && n > cap) n = cap;
  return n < 1 ? 1 : n;
}

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  // Workers inherit the creating thread's signal mask: block everything while creating them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    {
      std::lock_guard<std::mutex> g(mu_);
      shutdown_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    shutdown_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::drain(int id) {
  while (!stop_tasks_.load(std::memory_order_relaxed)) {
    size_t t = next_.fetch_add(1);
    if (t >= n_tasks_) break;
    try {
      (*task_)(t, id);
    } catch (...) {
      std::lock_guard<std::mutex> g(mu_);
      if (!error_) error_ = std::current_exception();
      stop_tasks_ = true;
    }
  }
}

void ThreadPool::worker_loop(int id) {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lk(mu_);
      wake_.wait(lk, [&] { return shutdown_ || generation_ != seen; });
      if (shutdown_) return;
      seen = generation_;
    }
    drain(id);
    {
      std::lock_guard<std::mutex> g(mu_);
      if (--busy_ == 0) done_.notify_all();
    }
  }
}

void ThreadPool::run(size_t n_tasks, const std::function<void(size_t, int)>& task,
                     const FitContext* ctx) {
  if (n_tasks == 0) return;
  {
    std::lock_guard<std::mutex> g(mu_);
    task_ = &task;
    n_tasks_ = n_tasks;
    next_ = 0;
    stop_tasks_ = false;
    error_ = nullptr;
    busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  bool cancelled = false;
  // The caller works too, polling for cancellation between its tasks.
  while (!stop_tasks_.load(std::memory_order_relaxed)) {
    if (ctx && ctx->interrupted()) {
      cancelled = true;
      stop_tasks_ = true;
      break;
    }
    size_t t = next_.fetch_add(1);
    if (t >= n_tasks_) break;
    try {
      task(t, 0);
    } catch (...) {
      std::lock_guard<std::mutex> g(mu_);
      if (!error_) error_ = std::current_exception();
      stop_tasks_ = true;
    }
  }
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [&] { return busy_ == 0; });
    task_ = nullptr;
    err = error_;
    error_ = nullptr;
  }
  if (err) std::rethrow_exception(err);
  if (cancelled) throw Cancelled();
}

}  // namespace autorec
