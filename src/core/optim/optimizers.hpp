// Generic optimisers over a flat parameter vector: Adam (mini-batches), RProp and L-BFGS
// (full batch). Models own the objective; these only move parameters.
#pragma once

#include "core/eigen.hpp"
#include <cstddef>
#include <functional>
#include <vector>

namespace autorec {

// Parameter buffers are aligned to Eigen's packet size: which elements of a range take the
// vectorised or the scalar path then depends only on the offset, not on where malloc put the
// buffer, so results are reproducible run to run.
template <typename T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;

// Adam (Kingma & Ba 2015). update() touches only [begin, end), so a caller may split one step
// over threads on disjoint ranges.
template <typename T>
class Adam {
 public:
  Adam(size_t n, double learning_rate, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8);
  void begin_step();  // once per step, before update()
  void update(T* x, const T* g, size_t begin, size_t end);
  void step(T* x, const T* g) {
    begin_step();
    update(x, g, 0, m_.size());
  }
  size_t size() const { return m_.size(); }

 private:
  double lr_, beta1_, beta2_, eps_;
  long long t_ = 0;
  T step_size_ = 0, v_correction_ = 0;
  AlignedVector<T> m_, v_;
};

// iRprop- (Igel & Huesken 2000): a per-parameter step that grows while the gradient keeps its
// sign and shrinks when it flips; only the sign of the gradient is used, so the loss scale does
// not matter. Full-batch gradients only. update() works on disjoint ranges like Adam's.
template <typename T>
class RProp {
 public:
  RProp(size_t n, double initial_step, double step_min = 1e-7, double step_max = 1.0,
        double eta_plus = 1.2, double eta_minus = 0.5);
  void update(T* x, const T* g, size_t begin, size_t end);
  void step(T* x, const T* g) { update(x, g, 0, step_.size()); }
  size_t size() const { return step_.size(); }

 private:
  T step_min_, step_max_, eta_plus_, eta_minus_;
  AlignedVector<T> step_, prev_;
};

// Limited-memory BFGS with a backtracking line search on the Armijo condition; a curvature pair
// is kept only when s'y > 0, which keeps the implicit Hessian positive definite.
template <typename T>
class Lbfgs {
 public:
  // Returns f(x) and writes the gradient into g.
  using Objective = std::function<double(const T* x, T* g)>;
  explicit Lbfgs(size_t n, int history = 5);
  // Runs body(r) for r in [0, ranges), possibly concurrently: the vector operations are split
  // into fixed ranges, so results do not depend on the schedule. Serial when not set.
  using Runner = std::function<void(size_t ranges, const std::function<void(size_t)>& body)>;
  void set_runner(Runner runner) { runner_ = std::move(runner); }
  // One iteration from (x, f, g), which must describe the current point, to a point with a
  // sufficient decrease (x, f, g updated). `first_step` scales the very first step (the
  // gradient is normalised to that length). Returns the number of objective evaluations, or 0
  // when no decrease could be found (converged or stalled: x, f, g are then unchanged).
  int iterate(AlignedVector<T>& x, double& f, AlignedVector<T>& g, const Objective& objective,
              double first_step = 1.0);
  void reset() { s_.clear(), y_.clear(), rho_.clear(), yy_.clear(); }

 private:
  static constexpr size_t kRange = 1 << 14;
  template <typename F>
  double sum_ranges(F&& f);  // sum over ranges of f(begin, end), added in range order

  size_t n_;
  Runner runner_;
  std::vector<double> partial_;
  size_t history_;
  std::vector<AlignedVector<T>> s_, y_;
  std::vector<double> rho_, yy_;
  AlignedVector<T> d_, x_new_, g_new_, ts_, ty_;
};

extern template class Adam<float>;
extern template class Adam<double>;
extern template class RProp<float>;
extern template class RProp<double>;
extern template class Lbfgs<float>;
extern template class Lbfgs<double>;

}  // namespace autorec
