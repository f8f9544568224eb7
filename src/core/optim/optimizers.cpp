// Adam, iRprop- and L-BFGS over flat parameter vectors.
#include "core/optim/optimizers.hpp"

#include "core/eigen.hpp"
#include <algorithm>
#include <cmath>

namespace autorec {

namespace {

template <typename T>
using VecMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstVecMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

}  // namespace

template <typename T>
Adam<T>::Adam(size_t n, double learning_rate, double beta1, double beta2, double eps)
    : lr_(learning_rate), beta1_(beta1), beta2_(beta2), eps_(eps), m_(n, T(0)), v_(n, T(0)) {}

template <typename T>
void Adam<T>::begin_step() {
  ++t_;
  const double c1 = 1 - std::pow(beta1_, static_cast<double>(t_));
  const double c2 = 1 - std::pow(beta2_, static_cast<double>(t_));
  step_size_ = static_cast<T>(lr_ / c1);
  v_correction_ = static_cast<T>(1 / c2);
}

template <typename T>
void Adam<T>::update(T* x, const T* g, size_t begin, size_t end) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto n = static_cast<Eigen::Index>(end - begin);
  Eigen::Map<Arr> xx(x + begin, n), m(m_.data() + begin, n), v(v_.data() + begin, n);
  Eigen::Map<const Arr> gg(g + begin, n);
  const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_);
  m = b1 * m + (T(1) - b1) * gg;
  v = b2 * v + (T(1) - b2) * gg.square();
  xx -= step_size_ * m / ((v * v_correction_).sqrt() + static_cast<T>(eps_));
}

template <typename T>
RProp<T>::RProp(size_t n, double initial_step, double step_min, double step_max, double eta_plus,
                double eta_minus)
    : step_min_(static_cast<T>(step_min)),
      step_max_(static_cast<T>(step_max)),
      eta_plus_(static_cast<T>(eta_plus)),
      eta_minus_(static_cast<T>(eta_minus)),
      step_(n, static_cast<T>(initial_step)),
      prev_(n, T(0)) {}

template <typename T>
void RProp<T>::update(T* x, const T* g, size_t begin, size_t end) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto n = static_cast<Eigen::Index>(end - begin);
  Eigen::Map<Arr> xx(x + begin, n), step(step_.data() + begin, n), prev(prev_.data() + begin, n);
  Eigen::Map<const Arr> gg(g + begin, n);
  const Arr s = gg * prev;
  step = (s > T(0)).select((step * eta_plus_).min(step_max_),
                           (s < T(0)).select((step * eta_minus_).max(step_min_), step));
  // iRprop-: after a sign change the gradient is forgotten, so the next step does not
  // shrink again and the parameter does not move this time.
  prev = (s < T(0)).select(Arr::Zero(n), gg);
  xx -= (prev > T(0)).select(step, (prev < T(0)).select(-step, Arr::Zero(n)));
}

template <typename T>
Lbfgs<T>::Lbfgs(size_t n, int history)
    : n_(n), history_(static_cast<size_t>(std::max(1, history))), d_(n), x_new_(n), g_new_(n) {}

template <typename T>
template <typename F>
double Lbfgs<T>::sum_ranges(F&& f) {
  const size_t ranges = (n_ + kRange - 1) / kRange;
  partial_.assign(ranges, 0.0);
  auto body = [&](size_t r) { partial_[r] = f(r * kRange, std::min(n_, (r + 1) * kRange)); };
  if (runner_)
    runner_(ranges, body);
  else
    for (size_t r = 0; r < ranges; ++r) body(r);
  double total = 0;
  for (double v : partial_) total += v;  // in range order: independent of the schedule
  return total;
}

namespace {

// a[b, e) . c[b, e): float products in blocks, blocks added in double.
template <typename T>
double dot_range(const T* a, const T* c, size_t b, size_t e) {
  double s = 0;
  for (size_t i = b; i < e; i += 1024) {
    const auto m = static_cast<Eigen::Index>(std::min<size_t>(1024, e - i));
    s += static_cast<double>(ConstVecMap<T>(a + i, m).dot(ConstVecMap<T>(c + i, m)));
  }
  return s;
}

}  // namespace

template <typename T>
int Lbfgs<T>::iterate(AlignedVector<T>& x, double& f, AlignedVector<T>& g,
                      const Objective& objective, double first_step) {
  T* d = d_.data();
  const T* gp = g.data();
  auto seg = [](const T* p, size_t b, size_t e) {
    return ConstVecMap<T>(p + b, static_cast<Eigen::Index>(e - b));
  };
  auto mseg = [](T* p, size_t b, size_t e) {
    return VecMap<T>(p + b, static_cast<Eigen::Index>(e - b));
  };
  // Two-loop recursion d = -H g, each update of d fused with the dot product the next step
  // needs, so that every pass reads d once.
  const size_t k = s_.size();
  std::vector<double> alpha(k);
  double step = 1.0, slope;
  if (k == 0) {
    const double gg = sum_ranges([&](size_t b, size_t e) {
      mseg(d, b, e) = -seg(gp, b, e);
      return dot_range(gp, gp, b, e);
    });
    if (!(gg > 0)) return 0;
    slope = -gg;
    step = first_step / std::sqrt(gg);
  } else {
    const T* s_last = s_[k - 1].data();
    double acc = sum_ranges([&](size_t b, size_t e) {
      mseg(d, b, e) = -seg(gp, b, e);
      return dot_range(s_last, d, b, e);
    });
    // H0 = gamma I with gamma = s'y / y'y of the newest pair.
    const T gamma = static_cast<T>(1.0 / (rho_[k - 1] * yy_[k - 1]));
    for (size_t j = k; j-- > 0;) {
      alpha[j] = rho_[j] * acc;
      const T a = static_cast<T>(alpha[j]);
      const T* yj = y_[j].data();
      if (j > 0) {
        const T* s_next = s_[j - 1].data();
        acc = sum_ranges([&](size_t b, size_t e) {
          mseg(d, b, e) -= a * seg(yj, b, e);
          return dot_range(s_next, d, b, e);
        });
      } else {
        const T* y0 = y_[0].data();
        acc = sum_ranges([&](size_t b, size_t e) {
          mseg(d, b, e) = gamma * (seg(d, b, e) - a * seg(yj, b, e));
          return dot_range(y0, d, b, e);
        });
      }
    }
    for (size_t j = 0; j < k; ++j) {
      const T c = static_cast<T>(alpha[j] - rho_[j] * acc);
      const T* sj = s_[j].data();
      const T* next = j + 1 < k ? y_[j + 1].data() : gp;
      acc = sum_ranges([&](size_t b, size_t e) {
        mseg(d, b, e) += c * seg(sj, b, e);
        return dot_range(next, d, b, e);
      });
    }
    slope = acc;  // g'd
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      reset();
      return iterate(x, f, g, objective, first_step);
    }
  }
  // Backtracking with a quadratic interpolation, Armijo constant 1e-4.
  int evaluations = 0;
  for (int tries = 0; tries < 30; ++tries) {
    const T st = static_cast<T>(step);
    sum_ranges([&](size_t b, size_t e) {
      mseg(x_new_.data(), b, e) = seg(x.data(), b, e) + st * seg(d, b, e);
      return 0.0;
    });
    const double f_new = objective(x_new_.data(), g_new_.data());
    ++evaluations;
    if (std::isfinite(f_new) && f_new <= f + 1e-4 * step * slope) {
      // Curvature pair s = x_new - x, y = g_new - g, in buffers recycled from the oldest pair.
      ts_.resize(n_);
      ty_.resize(n_);
      double yy = 0;
      const double sy = sum_ranges([&](size_t b, size_t e) {
        mseg(ts_.data(), b, e) = seg(x_new_.data(), b, e) - seg(x.data(), b, e);
        mseg(ty_.data(), b, e) = seg(g_new_.data(), b, e) - seg(gp, b, e);
        return dot_range(ts_.data(), ty_.data(), b, e);
      });
      yy = sum_ranges([&](size_t b, size_t e) { return dot_range(ty_.data(), ty_.data(), b, e); });
      if (sy > 1e-10 * yy) {
        AlignedVector<T> old_s, old_y;
        if (s_.size() == history_) {
          old_s = std::move(s_.front());
          old_y = std::move(y_.front());
          s_.erase(s_.begin());
          y_.erase(y_.begin());
          rho_.erase(rho_.begin());
          yy_.erase(yy_.begin());
        }
        s_.push_back(std::move(ts_));
        y_.push_back(std::move(ty_));
        rho_.push_back(1.0 / sy);
        yy_.push_back(yy);
        ts_ = std::move(old_s);
        ty_ = std::move(old_y);
      }
      x.swap(x_new_);
      g.swap(g_new_);
      f = f_new;
      return evaluations;
    }
    double next = 0.5 * step;
    if (std::isfinite(f_new)) {
      // Minimiser of the quadratic through f, slope and f_new, kept in [0.1, 0.5] * step.
      const double q = -slope * step * step / (2 * (f_new - f - slope * step));
      next = std::min(0.5 * step, std::max(0.1 * step, q));
    }
    step = next;
  }
  reset();
  return 0;
}

template class Adam<float>;
template class Adam<double>;
template class RProp<float>;
template class RProp<double>;
template class Lbfgs<float>;
template class Lbfgs<double>;

}  // namespace autorec
