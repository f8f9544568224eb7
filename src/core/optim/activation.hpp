// Activation functions and their derivatives for the neural model families, vectorised with Eigen.
#pragma once

#include "core/eigen.hpp"
#include <cmath>
#include <string>
#include <vector>

namespace autorec {

enum class Activation : int32_t { Identity = 0, Sigmoid = 1, Relu = 2, Tanh = 3, Elu = 4, Selu = 5 };

const std::vector<std::string>& activation_names();  // index = enum value
Activation activation_from_name(const std::string& name);  // name must be in activation_names()
inline const std::string& activation_name(Activation a) {
  return activation_names()[static_cast<size_t>(a)];
}

// SELU's constants (Klambauer et al. 2017); ELU uses alpha = 1.
constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluScale = 1.0507009873554805;

// a = act(z), elementwise, for n values.
template <typename T>
void activate(Activation f, const T* z, T* a, size_t n) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const Arr> zz(z, static_cast<Eigen::Index>(n));
  Eigen::Map<Arr> aa(a, static_cast<Eigen::Index>(n));
  switch (f) {
    case Activation::Identity: aa = zz; break;
    // The tanh form never overflows exp() for large |z|.
    case Activation::Sigmoid: aa = T(0.5) * ((T(0.5) * zz).tanh() + T(1)); break;
    case Activation::Relu: aa = zz.max(T(0)); break;
    case Activation::Tanh: aa = zz.tanh(); break;
    case Activation::Elu: aa = (zz > T(0)).select(zz, zz.min(T(0)).exp() - T(1)); break;
    case Activation::Selu:
      aa = T(kSeluScale) *
           (zz > T(0)).select(zz, T(kSeluAlpha) * (zz.min(T(0)).exp() - T(1)));
      break;
  }
}

// g *= act'(z), given z and a = act(z) (whichever is cheaper is used).
template <typename T>
void multiply_derivative(Activation f, const T* z, const T* a, T* g, size_t n) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto m = static_cast<Eigen::Index>(n);
  Eigen::Map<const Arr> zz(z, m), aa(a, m);
  Eigen::Map<Arr> gg(g, m);
  switch (f) {
    case Activation::Identity: break;
    case Activation::Sigmoid: gg *= aa * (T(1) - aa); break;
    case Activation::Relu: gg = (zz > T(0)).select(gg, T(0)); break;
    case Activation::Tanh: gg *= T(1) - aa * aa; break;
    case Activation::Elu: gg = (zz > T(0)).select(gg, gg * (aa + T(1))); break;
    case Activation::Selu:
      gg = (zz > T(0)).select(gg * T(kSeluScale), gg * (aa + T(kSeluScale * kSeluAlpha)));
      break;
  }
}

// Scalar versions for the masked output layer, where values come one at a time.
template <typename T>
inline T activate1(Activation f, T z) {
  switch (f) {
    case Activation::Identity: return z;
    case Activation::Sigmoid: return T(0.5) * (std::tanh(T(0.5) * z) + T(1));
    case Activation::Relu: return z > T(0) ? z : T(0);
    case Activation::Tanh: return std::tanh(z);
    case Activation::Elu: return z > T(0) ? z : std::expm1(z);
    case Activation::Selu: return T(kSeluScale) * (z > T(0) ? z : T(kSeluAlpha) * std::expm1(z));
  }
  return z;
}

template <typename T>
inline T derivative1(Activation f, T z, T a) {
  switch (f) {
    case Activation::Identity: return T(1);
    case Activation::Sigmoid: return a * (T(1) - a);
    case Activation::Relu: return z > T(0) ? T(1) : T(0);
    case Activation::Tanh: return T(1) - a * a;
    case Activation::Elu: return z > T(0) ? T(1) : a + T(1);
    case Activation::Selu: return z > T(0) ? T(kSeluScale) : a + T(kSeluScale * kSeluAlpha);
  }
  return T(1);
}

}  // namespace autorec
