// The inner loops of AutoRec's sparse layers: linear combinations of gathered columns and
// several dot products against one vector, four columns at a time so that the accumulator is
// loaded and stored once per four columns and the shared vector once per four dot products.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>

namespace autorec {
namespace kernels {

// out[0..n) += sum_k coef[k] * (base + idx[k] * ld)[0..n)
template <typename T, typename C>
inline void gather_axpy(T* out, const T* base, size_t ld, Eigen::Index n, const int32_t* idx,
                        const C* coef, size_t count) {
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  Eigen::Map<Vec> o(out, n);
  auto col = [&](size_t k) {
    return Eigen::Map<const Vec>(base + static_cast<size_t>(idx[k]) * ld, n);
  };
  size_t k = 0;
  for (; k + 4 <= count; k += 4)
    o.noalias() += T(coef[k]) * col(k) + T(coef[k + 1]) * col(k + 1) +
                   T(coef[k + 2]) * col(k + 2) + T(coef[k + 3]) * col(k + 3);
  for (; k + 2 <= count; k += 2) o.noalias() += T(coef[k]) * col(k) + T(coef[k + 1]) * col(k + 1);
  if (k < count) o.noalias() += T(coef[k]) * col(k);
}

// out[k] = w . (base + idx[k] * ld) for k < count (four at a time: w is read once per four).
template <typename T>
inline void gather_dots(const T* w, const T* base, size_t ld, Eigen::Index n, const int32_t* idx,
                        T* out, size_t count) {
  using namespace Eigen::internal;
  using Packet = typename packet_traits<T>::type;
  constexpr Eigen::Index S = packet_traits<T>::size;
  const Eigen::Index nv = n - n % S;
  size_t k = 0;
  for (; k + 4 <= count; k += 4) {
    const T* a0 = base + static_cast<size_t>(idx[k]) * ld;
    const T* a1 = base + static_cast<size_t>(idx[k + 1]) * ld;
    const T* a2 = base + static_cast<size_t>(idx[k + 2]) * ld;
    const T* a3 = base + static_cast<size_t>(idx[k + 3]) * ld;
    Packet s0 = pset1<Packet>(T(0)), s1 = s0, s2 = s0, s3 = s0;
    for (Eigen::Index i = 0; i < nv; i += S) {
      const Packet wv = ploadu<Packet>(w + i);
      s0 = pmadd(wv, ploadu<Packet>(a0 + i), s0);
      s1 = pmadd(wv, ploadu<Packet>(a1 + i), s1);
      s2 = pmadd(wv, ploadu<Packet>(a2 + i), s2);
      s3 = pmadd(wv, ploadu<Packet>(a3 + i), s3);
    }
    T r0 = predux(s0), r1 = predux(s1), r2 = predux(s2), r3 = predux(s3);
    for (Eigen::Index i = nv; i < n; ++i) {
      r0 += w[i] * a0[i];
      r1 += w[i] * a1[i];
      r2 += w[i] * a2[i];
      r3 += w[i] * a3[i];
    }
    out[k] = r0, out[k + 1] = r1, out[k + 2] = r2, out[k + 3] = r3;
  }
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  for (; k < count; ++k)
    out[k] = Eigen::Map<const Vec>(w, n).dot(
        Eigen::Map<const Vec>(base + static_cast<size_t>(idx[k]) * ld, n));
}

}  // namespace kernels
}  // namespace autorec
