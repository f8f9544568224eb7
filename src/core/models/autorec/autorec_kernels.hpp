// The inner loops of AutoRec's sparse layers: linear combinations of gathered columns and dot
// products of gathered columns against one vector, four columns at a time, so that
// the accumulator is loaded and stored once per four columns and the shared vector read once
// per four dot products. Written with Eigen's packet primitives (AVX, SSE or NEON as compiled).
#pragma once

#include "core/eigen.hpp"
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace autorec {
namespace kernels {

// out[0..n) += sum_k coef[k] * (base + idx[k] * ld)[0..n)
template <typename T, typename C>
inline void gather_axpy(T* out, const T* base, size_t ld, Eigen::Index n, const int32_t* idx,
                        const C* coef, size_t count) {
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
    const T c0 = static_cast<T>(coef[k]), c1 = static_cast<T>(coef[k + 1]);
    const T c2 = static_cast<T>(coef[k + 2]), c3 = static_cast<T>(coef[k + 3]);
    const Packet p0 = pset1<Packet>(c0), p1 = pset1<Packet>(c1);
    const Packet p2 = pset1<Packet>(c2), p3 = pset1<Packet>(c3);
    for (Eigen::Index i = 0; i < nv; i += S) {
      Packet o = ploadu<Packet>(out + i);
      o = pmadd(p0, ploadu<Packet>(a0 + i), o);
      o = pmadd(p1, ploadu<Packet>(a1 + i), o);
      o = pmadd(p2, ploadu<Packet>(a2 + i), o);
      o = pmadd(p3, ploadu<Packet>(a3 + i), o);
      pstoreu(out + i, o);
    }
    for (Eigen::Index i = nv; i < n; ++i)
      out[i] += c0 * a0[i] + c1 * a1[i] + c2 * a2[i] + c3 * a3[i];
  }
  for (; k < count; ++k) {
    const T* a = base + static_cast<size_t>(idx[k]) * ld;
    const T c = static_cast<T>(coef[k]);
    const Packet p = pset1<Packet>(c);
    for (Eigen::Index i = 0; i < nv; i += S)
      pstoreu(out + i, pmadd(p, ploadu<Packet>(a + i), ploadu<Packet>(out + i)));
    for (Eigen::Index i = nv; i < n; ++i) out[i] += c * a[i];
  }
}

// out[k] = w[0..n) . (base + idx[k] * ld)[0..n) for k < count.
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
  for (; k < count; ++k) {
    const T* a = base + static_cast<size_t>(idx[k]) * ld;
    Packet s = pset1<Packet>(T(0));
    for (Eigen::Index i = 0; i < nv; i += S) s = pmadd(ploadu<Packet>(w + i), ploadu<Packet>(a + i), s);
    T r = predux(s);
    for (Eigen::Index i = nv; i < n; ++i) r += w[i] * a[i];
    out[k] = r;
  }
}

}  // namespace kernels
}  // namespace autorec
