// Adam, iRprop- and L-BFGS over flat parameter vectors.
#include "core/optim/optimizers.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace autorec {

namespace {

template <typename T>
using VecMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstVecMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// Dot products accumulate in double: L-BFGS's two-loop recursion is sensitive to them.
template <typename T>
double dot(const AlignedVector<T>& a, const AlignedVector<T>& b) {
  const auto n = static_cast<Eigen::Index>(a.size());
  return ConstVecMap<T>(a.data(), n).template cast<double>().dot(
      ConstVecMap<T>(b.data(), n).template cast<double>());
}

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
int Lbfgs<T>::iterate(AlignedVector<T>& x, double& f, AlignedVector<T>& g, const Objective& objective,
                      double first_step) {
  const auto n = static_cast<Eigen::Index>(n_);
  VecMap<T> d(d_.data(), n);
  ConstVecMap<T> gv(g.data(), n);
  // Two-loop recursion: d = -H g.
  d = -gv;
  const size_t k = s_.size();
  std::vector<double> alpha(k);
  for (size_t j = k; j-- > 0;) {
    alpha[j] = rho_[j] * dot(s_[j], d_);
    d -= static_cast<T>(alpha[j]) * ConstVecMap<T>(y_[j].data(), n);
  }
  double step = 1.0;
  if (k > 0) {
    const double gamma = dot(s_[k - 1], y_[k - 1]) / dot(y_[k - 1], y_[k - 1]);
    d *= static_cast<T>(gamma);
  } else {
    const double gnorm = std::sqrt(dot(g, g));
    if (!(gnorm > 0)) return 0;
    step = first_step / gnorm;
  }
  for (size_t j = 0; j < k; ++j) {
    const double beta = rho_[j] * dot(y_[j], d_);
    d += static_cast<T>(alpha[j] - beta) * ConstVecMap<T>(s_[j].data(), n);
  }
  double slope = dot(g, d_);
  if (!(slope < 0)) {
    // Not a descent direction (numerical trouble): restart from steepest descent.
    reset();
    d = -gv;
    slope = -dot(g, g);
    if (!(slope < 0)) return 0;
    step = first_step / std::sqrt(-slope);
  }
  // Backtracking with a quadratic interpolation, Armijo constant 1e-4.
  int evaluations = 0;
  for (int tries = 0; tries < 30; ++tries) {
    VecMap<T>(x_new_.data(), n) = ConstVecMap<T>(x.data(), n) + static_cast<T>(step) * d;
    const double f_new = objective(x_new_.data(), g_new_.data());
    ++evaluations;
    if (std::isfinite(f_new) && f_new <= f + 1e-4 * step * slope) {
      // Curvature pair s = x_new - x, y = g_new - g, in buffers recycled from the oldest pair.
      ts_.resize(n_);
      ty_.resize(n_);
      VecMap<T>(ts_.data(), n) = ConstVecMap<T>(x_new_.data(), n) - ConstVecMap<T>(x.data(), n);
      VecMap<T>(ty_.data(), n) = ConstVecMap<T>(g_new_.data(), n) - gv;
      const double sy = dot(ts_, ty_);
      if (sy > 1e-10 * dot(ty_, ty_)) {
        AlignedVector<T> old_s, old_y;
        if (s_.size() == history_) {
          old_s = std::move(s_.front());
          old_y = std::move(y_.front());
          s_.erase(s_.begin());
          y_.erase(y_.begin());
          rho_.erase(rho_.begin());
        }
        s_.push_back(std::move(ts_));
        y_.push_back(std::move(ty_));
        rho_.push_back(1.0 / sy);
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
