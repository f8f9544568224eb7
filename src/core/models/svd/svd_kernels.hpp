// The arithmetic of the latent-factor family, as small pure functions: the loss and gradient
// of one rating, the SGD and SVD++ update steps and the regularised least-squares solve of ALS
// and fold-in. Kept apart from the training loops so the unit tests can check each one.
#pragma once

#include "core/eigen.hpp"
#include <Eigen/Dense>
#include <cmath>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define AUTOREC_SVD_AVX2 1
#endif
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace autorec {
namespace svd {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using VecMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstVecMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// Learning rates and regularisation per parameter group, named as in Surprise. The objective
// every method minimises is the sum over training ratings of
//   1/2 err^2 + 1/2 (reg_bu b_u^2 + reg_bi b_i^2 + reg_pu |p_u|^2 + reg_qi |q_i|^2
//                    [+ reg_yj sum_{j in N(u)} |y_j|^2 for SVD++]),
// so the penalty of a parameter grows with the number of ratings it takes part in: this is
// what Surprise's per-rating SGD minimises and what ALS-WR (Zhou et al. 2008) solves exactly.
struct Hyper {
  float lr_bu = 0, lr_bi = 0, lr_pu = 0, lr_qi = 0, lr_yj = 0;
  float reg_bu = 0, reg_bi = 0, reg_pu = 0, reg_qi = 0, reg_yj = 0;
};

// Loss of one rating under biased MF (pred = mu + b_u + b_i + q_i . p_u) and its gradient with
// respect to b_u, b_i, p_u and q_i (g_p, g_q have k entries). Used by the tests as the
// reference the SGD step must follow.
template <typename T>
T mf_rating_gradient(T r, T mu, T bu, T bi, const T* p, const T* q, int k, const Hyper& h, T* g_bu,
                     T* g_bi, T* g_p, T* g_q) {
  ConstVecMap<T> pv(p, k), qv(q, k);
  const T err = r - (mu + bu + bi + pv.dot(qv));
  *g_bu = -err + T(h.reg_bu) * bu;
  *g_bi = -err + T(h.reg_bi) * bi;
  VecMap<T>(g_p, k) = -err * qv + T(h.reg_pu) * pv;
  VecMap<T>(g_q, k) = -err * pv + T(h.reg_qi) * qv;
  return T(0.5) * err * err +
         T(0.5) * (T(h.reg_bu) * bu * bu + T(h.reg_bi) * bi * bi + T(h.reg_pu) * pv.squaredNorm() +
                   T(h.reg_qi) * qv.squaredNorm());
}

// The two hot loops of SGD, written out for AVX2 + FMA where the compiler may use it (a
// generic expression library leaves most of the time in loop set-up at k ~ 100); the plain
// loops are the reference and the fallback.
inline float dot(const float* a, const float* b, int k) {
  int f = 0;
  float s = 0;
#ifdef AUTOREC_SVD_AVX2
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  for (; f + 16 <= k; f += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + f), _mm256_loadu_ps(b + f), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + f + 8), _mm256_loadu_ps(b + f + 8), s1);
  }
  if (f + 8 <= k) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + f), _mm256_loadu_ps(b + f), s0);
    f += 8;
  }
  s0 = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  s = _mm_cvtss_f32(h);
#endif
  for (; f < k; ++f) s += a[f] * b[f];
  return s;
}

// p <- ap p + cp q and q <- aq q + cq (p + s), both from the old values (s may be null: 0).
// With s = null this is the biased-MF step; SVD++ passes its implicit sum.
inline void pair_update(float* p, float* q, const float* s, int k, float ap, float cp, float aq,
                        float cq) {
  int f = 0;
#ifdef AUTOREC_SVD_AVX2
  const __m256 vap = _mm256_set1_ps(ap), vcp = _mm256_set1_ps(cp), vaq = _mm256_set1_ps(aq),
               vcq = _mm256_set1_ps(cq);
  for (; f + 8 <= k; f += 8) {
    __m256 pf = _mm256_loadu_ps(p + f), qf = _mm256_loadu_ps(q + f);
    __m256 zf = s ? _mm256_add_ps(pf, _mm256_loadu_ps(s + f)) : pf;
    _mm256_storeu_ps(p + f, _mm256_fmadd_ps(vap, pf, _mm256_mul_ps(vcp, qf)));
    _mm256_storeu_ps(q + f, _mm256_fmadd_ps(vaq, qf, _mm256_mul_ps(vcq, zf)));
  }
#endif
  for (; f < k; ++f) {
    const float pf = p[f], qf = q[f], zf = s ? pf + s[f] : pf;
    p[f] = ap * pf + cp * qf;
    q[f] = aq * qf + cq * zf;
  }
}

// One SGD step on one rating: every parameter moves by -lr * gradient, all gradients taken at
// the values before the step (as Surprise does). Returns the error before the step (for the
// epoch's running train RMSE).
inline float mf_sgd_step(float r, float mu, float& bu, float& bi, float* p, float* q, int k,
                         const Hyper& h) {
  const float err = r - (mu + bu + bi + dot(p, q, k));
  bu += h.lr_bu * (err - h.reg_bu * bu);
  bi += h.lr_bi * (err - h.reg_bi * bi);
  pair_update(p, q, nullptr, k, 1.0f - h.lr_pu * h.reg_pu, h.lr_pu * err, 1.0f - h.lr_qi * h.reg_qi,
              h.lr_qi * err);
  return err;
}

// Loss of one rating under SVD++ (pred = mu + b_u + b_i + q_i . (p_u + |N|^-1/2 sum_j y_j))
// and its gradient; y holds the |N| implicit vectors row by row (|N| x k), g_y likewise.
template <typename T>
T svdpp_rating_gradient(T r, T mu, T bu, T bi, const T* p, const T* q, const T* y,
                        size_t n_implicit, int k, const Hyper& h, T* g_bu, T* g_bi, T* g_p, T* g_q,
                        T* g_y) {
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  ConstVecMap<T> pv(p, k), qv(q, k);
  const T norm = n_implicit ? T(1) / std::sqrt(T(n_implicit)) : T(0);
  Vec s = Vec::Zero(k);
  for (size_t j = 0; j < n_implicit; ++j) s += ConstVecMap<T>(y + j * k, k);
  s *= norm;
  const T err = r - (mu + bu + bi + qv.dot(pv + s));
  *g_bu = -err + T(h.reg_bu) * bu;
  *g_bi = -err + T(h.reg_bi) * bi;
  VecMap<T>(g_p, k) = -err * qv + T(h.reg_pu) * pv;
  VecMap<T>(g_q, k) = -err * (pv + s) + T(h.reg_qi) * qv;
  T ysq = 0;
  for (size_t j = 0; j < n_implicit; ++j) {
    ConstVecMap<T> yj(y + j * k, k);
    VecMap<T>(g_y + j * k, k) = -err * norm * qv + T(h.reg_yj) * yj;
    ysq += yj.squaredNorm();
  }
  return T(0.5) * err * err +
         T(0.5) * (T(h.reg_bu) * bu * bu + T(h.reg_bi) * bi * bi + T(h.reg_pu) * pv.squaredNorm() +
                   T(h.reg_qi) * qv.squaredNorm() + T(h.reg_yj) * ysq);
}

// Buffers one SVD++ user step needs (2k floats), reused across users by one thread.
struct SvdppScratch {
  explicit SvdppScratch(int k) : s(k), g(k) {}
  Eigen::VectorXf s, g;
};

// One pass over one user's ratings in the per-user formulation of SVD++: the implicit sum
// s = |N|^-1/2 sum_j y_j is computed once, b_u, b_i, p_u, q_i take an SGD step per rating as in
// biased MF with z = p_u + s in place of p_u, and the y_j gradients, identical for every j in
// N(u) but for the penalty, are summed over the user's ratings and applied once at the end:
// to first order in the learning rate, the sum of the per-rating steps (taken at the user's
// starting y), at O(|N| k) per user instead of Surprise's O(|R(u)| |N| k). N(u) is the user's rated
// items. `order` (n entries, a permutation of [0, n)) is the order in which the ratings are
// visited. Returns the sum of squared errors before each step.
inline double svdpp_user_step(const int32_t* items, const float* values, size_t n,
                              const uint32_t* order, float mu, float& bu, float* bi, float* p,
                              float* Q, float* Y, int k, const Hyper& h, SvdppScratch& w) {
  if (n == 0) return 0;
  const float norm = 1.0f / std::sqrt(static_cast<float>(n));
  w.s.setZero();
  for (size_t j = 0; j < n; ++j) w.s += VecMap<float>(Y + static_cast<size_t>(items[j]) * k, k);
  w.s *= norm;
  w.g.setZero();
  const float ap = 1.0f - h.lr_pu * h.reg_pu, aq = 1.0f - h.lr_qi * h.reg_qi;
  double sse = 0;
  for (size_t t = 0; t < n; ++t) {
    const size_t e = order ? order[t] : t;
    const int32_t i = items[e];
    float* q = Q + static_cast<size_t>(i) * k;
    const float err = values[e] - (mu + bu + bi[i] + dot(q, p, k) + dot(q, w.s.data(), k));
    sse += static_cast<double>(err) * err;
    bu += h.lr_bu * (err - h.reg_bu * bu);
    bi[i] += h.lr_bi * (err - h.reg_bi * bi[i]);
    w.g += err * VecMap<float>(q, k);
    pair_update(p, q, w.s.data(), k, ap, h.lr_pu * err, aq, h.lr_qi * err);
  }
  // The data part of the y_j gradient summed over the n ratings; the penalty's shrink is
  // compounded n times (as n per-rating steps would), which to first order is the summed
  // gradient and stays positive for very active users.
  w.g *= h.lr_yj * norm;
  const float shrink = std::pow(1.0f - h.lr_yj * h.reg_yj, static_cast<float>(n));
  for (size_t j = 0; j < n; ++j) {
    VecMap<float> yj(Y + static_cast<size_t>(items[j]) * k, k);
    yj = shrink * yj + w.g;
  }
  return sse;
}

// y[f] += c * x[f] for f in [0, n).
inline void axpy(float* y, const float* x, float c, int n) {
  int f = 0;
#ifdef AUTOREC_SVD_AVX2
  const __m256 vc = _mm256_set1_ps(c);
  for (; f + 8 <= n; f += 8)
    _mm256_storeu_ps(y + f, _mm256_fmadd_ps(vc, _mm256_loadu_ps(x + f), _mm256_loadu_ps(y + f)));
#endif
  for (; f < n; ++f) y[f] += c * x[f];
}

// dst[f] = src[f] for f in [0, n): a factor row, too short for a library call to pay off.
inline void copy_floats(float* dst, const float* src, int n) {
  int f = 0;
#ifdef AUTOREC_SVD_AVX2
  for (; f + 8 <= n; f += 8) _mm256_storeu_ps(dst + f, _mm256_loadu_ps(src + f));
#endif
  for (; f < n; ++f) dst[f] = src[f];
}

// Row stride of the Cholesky buffer below: a multiple of the 32-float column blocks it works in.
inline int cholesky_stride(int d) { return (d + 31) & ~31; }

// Solves A x = b for a symmetric positive definite A given by its upper triangle, row-major,
// d rows of ld = cholesky_stride(d) floats (A is overwritten by its Cholesky factor U with
// A = U^T U, b by x). Entries left of the diagonal and in the padding must be finite (zero):
// the column blocks start at a multiple of 32 and sweep over them, which costs less than
// exact bounds and is never read. Returns false when A is not numerically positive definite.
// Written out because at d ~ 50 a library factorisation spends most of its time in blocking
// logic and short tails: each row of U is accumulated in registers from the rows above it
// ("up-looking"), 32 columns at a time, and stored once.
inline bool cholesky_solve(float* a, int d, int ld, float* b) {
  for (int i = 0; i < d; ++i) {
    float* ri = a + static_cast<size_t>(i) * ld;
    for (int c0 = i & ~31; c0 < ld; c0 += 32) {
#ifdef AUTOREC_SVD_AVX2
      // Two sets of accumulators (even and odd p) halve the dependency chains.
      __m256 r0 = _mm256_loadu_ps(ri + c0), r1 = _mm256_loadu_ps(ri + c0 + 8),
             r2 = _mm256_loadu_ps(ri + c0 + 16), r3 = _mm256_loadu_ps(ri + c0 + 24);
      __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
             s3 = _mm256_setzero_ps();
      int p = 0;
      for (; p + 2 <= i; p += 2) {
        const float* rp = a + static_cast<size_t>(p) * ld + c0;
        const float* rq = rp + ld;
        const __m256 c = _mm256_set1_ps(-rp[i - c0]), e = _mm256_set1_ps(-rq[i - c0]);
        r0 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp), r0);
        r1 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 8), r1);
        r2 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 16), r2);
        r3 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 24), r3);
        s0 = _mm256_fmadd_ps(e, _mm256_loadu_ps(rq), s0);
        s1 = _mm256_fmadd_ps(e, _mm256_loadu_ps(rq + 8), s1);
        s2 = _mm256_fmadd_ps(e, _mm256_loadu_ps(rq + 16), s2);
        s3 = _mm256_fmadd_ps(e, _mm256_loadu_ps(rq + 24), s3);
      }
      if (p < i) {
        const float* rp = a + static_cast<size_t>(p) * ld + c0;
        const __m256 c = _mm256_set1_ps(-rp[i - c0]);
        r0 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp), r0);
        r1 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 8), r1);
        r2 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 16), r2);
        r3 = _mm256_fmadd_ps(c, _mm256_loadu_ps(rp + 24), r3);
      }
      _mm256_storeu_ps(ri + c0, _mm256_add_ps(r0, s0));
      _mm256_storeu_ps(ri + c0 + 8, _mm256_add_ps(r1, s1));
      _mm256_storeu_ps(ri + c0 + 16, _mm256_add_ps(r2, s2));
      _mm256_storeu_ps(ri + c0 + 24, _mm256_add_ps(r3, s3));
#else
      for (int p = 0; p < i; ++p) {
        const float* rp = a + static_cast<size_t>(p) * ld;
        const float c = -rp[i];
        for (int m = c0; m < c0 + 32; ++m) ri[m] += c * rp[m];
      }
#endif
    }
    const float piv = ri[i];
    if (!(piv > 0.0f) || !std::isfinite(piv)) return false;
    const float inv = 1.0f / std::sqrt(piv);
    int m = i & ~7;  // from the 8-float boundary: the few entries left of i are never read
#ifdef AUTOREC_SVD_AVX2
    const __m256 vinv = _mm256_set1_ps(inv);
    for (; m + 8 <= ld; m += 8)
      _mm256_storeu_ps(ri + m, _mm256_mul_ps(vinv, _mm256_loadu_ps(ri + m)));
#endif
    for (; m < ld; ++m) ri[m] *= inv;
  }
  for (int i = 0; i < d; ++i) {  // U^T y = b
    const float* ri = a + static_cast<size_t>(i) * ld;
    b[i] /= ri[i];
    axpy(b + i + 1, ri + i + 1, -b[i], d - i - 1);
  }
  for (int i = d - 1; i >= 0; --i) {  // U x = y
    const float* ri = a + static_cast<size_t>(i) * ld;
    b[i] = (b[i] - dot(ri + i + 1, b + i + 1, d - i - 1)) / ri[i];
  }
  return true;
}

#ifdef AUTOREC_SVD_AVX2
// Rows r..r+3, columns c..c+15 of the Gram matrix below, over rows [t0, t1) of X: eight
// accumulators, written out so that they stay in registers.
inline void gram_tile16(const float* X, size_t t0, size_t t1, int r, int c, int ld, float* A) {
  float* a0 = A + static_cast<size_t>(r) * ld + c;
  float* a1 = a0 + ld;
  float* a2 = a1 + ld;
  float* a3 = a2 + ld;
  __m256 s00 = _mm256_loadu_ps(a0), s01 = _mm256_loadu_ps(a0 + 8);
  __m256 s10 = _mm256_loadu_ps(a1), s11 = _mm256_loadu_ps(a1 + 8);
  __m256 s20 = _mm256_loadu_ps(a2), s21 = _mm256_loadu_ps(a2 + 8);
  __m256 s30 = _mm256_loadu_ps(a3), s31 = _mm256_loadu_ps(a3 + 8);
  for (size_t t = t0; t < t1; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    const __m256 v0 = _mm256_loadu_ps(x + c), v1 = _mm256_loadu_ps(x + c + 8);
    __m256 b = _mm256_broadcast_ss(x + r);
    s00 = _mm256_fmadd_ps(b, v0, s00);
    s01 = _mm256_fmadd_ps(b, v1, s01);
    b = _mm256_broadcast_ss(x + r + 1);
    s10 = _mm256_fmadd_ps(b, v0, s10);
    s11 = _mm256_fmadd_ps(b, v1, s11);
    b = _mm256_broadcast_ss(x + r + 2);
    s20 = _mm256_fmadd_ps(b, v0, s20);
    s21 = _mm256_fmadd_ps(b, v1, s21);
    b = _mm256_broadcast_ss(x + r + 3);
    s30 = _mm256_fmadd_ps(b, v0, s30);
    s31 = _mm256_fmadd_ps(b, v1, s31);
  }
  _mm256_storeu_ps(a0, s00);
  _mm256_storeu_ps(a0 + 8, s01);
  _mm256_storeu_ps(a1, s10);
  _mm256_storeu_ps(a1 + 8, s11);
  _mm256_storeu_ps(a2, s20);
  _mm256_storeu_ps(a2 + 8, s21);
  _mm256_storeu_ps(a3, s30);
  _mm256_storeu_ps(a3 + 8, s31);
}

// The same for columns c..c+7 (the right edge).
inline void gram_tile8(const float* X, size_t t0, size_t t1, int r, int c, int ld, float* A) {
  float* a0 = A + static_cast<size_t>(r) * ld + c;
  float* a1 = a0 + ld;
  float* a2 = a1 + ld;
  float* a3 = a2 + ld;
  __m256 s0 = _mm256_loadu_ps(a0), s1 = _mm256_loadu_ps(a1), s2 = _mm256_loadu_ps(a2),
         s3 = _mm256_loadu_ps(a3);
  for (size_t t = t0; t < t1; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    const __m256 v = _mm256_loadu_ps(x + c);
    s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + r), v, s0);
    s1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + r + 1), v, s1);
    s2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + r + 2), v, s2);
    s3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + r + 3), v, s3);
  }
  _mm256_storeu_ps(a0, s0);
  _mm256_storeu_ps(a1, s1);
  _mm256_storeu_ps(a2, s2);
  _mm256_storeu_ps(a3, s3);
}
#endif

// A (upper triangle, row-major, rows of ld floats) += sum_t x_t x_t^T over the n rows of X
// (row-major, ld floats per row, zero beyond d). With AVX2 + FMA, tiles of 4 rows x 16
// columns of A stay in registers while a cache-sized chunk of rows streams past: about twice
// the throughput of a library rank update at d ~ 50, where its packing dominates. Tiles start
// at the 8-column boundary left of the diagonal and end at the one right of d; the few entries
// they fill below the diagonal are never read.
inline void gram_upper(const float* X, size_t n, int d, int ld, float* A) {
#ifdef AUTOREC_SVD_AVX2
  const int rows = (d + 3) & ~3, end = (d + 7) & ~7;
  for (size_t t0 = 0; t0 < n; t0 += 256) {
    const size_t t1 = std::min(n, t0 + 256);
    for (int r = 0; r < rows; r += 4) {
      int c = r & ~7;
      for (; c + 16 <= end; c += 16) gram_tile16(X, t0, t1, r, c, ld, A);
      if (c < end) gram_tile8(X, t0, t1, r, c, ld, A);
    }
  }
#else
  for (size_t t = 0; t < n; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    for (int i = 0; i < d; ++i) {
      float* ai = A + static_cast<size_t>(i) * ld;
      const float xi = x[i];
      for (int m = i; m < d; ++m) ai[m] += xi * x[m];
    }
  }
#endif
}

// The two passes over the rows that conjugate gradient needs (rows of ld floats, zero beyond
// d; vectors of at least ld floats): the residual pass e_t = y_t - x_t . w, g += e_t x_t (and
// diag += x_t * x_t when diag is not null), returning sum e_t^2; and the product pass
// q += sum_t (x_t . p) x_t. Each reads every row once, O(n d). With AVX2 + FMA and d up to
// 8 kMaxVectors the vectors and sums stay in registers (NV vectors of 8 floats).
#ifdef AUTOREC_SVD_AVX2
// x . v over NV vectors of 8 floats, in every lane of the result: two chains of FMAs and an
// in-register reduction, short latency for the loops below (each row's dot product is a
// dependency chain of its own, and the rows are independent).
template <int NV>
inline __m256 dot_all(const __m256* x, const float* v) {
  __m256 s0 = _mm256_mul_ps(x[0], _mm256_loadu_ps(v)), s1 = _mm256_setzero_ps();
#pragma GCC unroll 16
  for (int j = 1; j < NV; ++j) {
    if (j % 2)
      s1 = _mm256_fmadd_ps(x[j], _mm256_loadu_ps(v + 8 * j), s1);
    else
      s0 = _mm256_fmadd_ps(x[j], _mm256_loadu_ps(v + 8 * j), s0);
  }
  __m256 t = _mm256_add_ps(s0, s1);
  t = _mm256_add_ps(t, _mm256_permute2f128_ps(t, t, 1));
  t = _mm256_add_ps(t, _mm256_shuffle_ps(t, t, 0x4E));
  return _mm256_add_ps(t, _mm256_shuffle_ps(t, t, 0xB1));
}

// Calls f(std::integral_constant<int, NV>()) for NV = nv in [1, kMaxVectors]: the loops below
// keep NV vectors in registers.
constexpr int kMaxVectors = 16;
template <int NV = 1, typename F>
inline auto with_vectors(int nv, F&& f) {
  if constexpr (NV == kMaxVectors)
    return f(std::integral_constant<int, NV>());
  else
    return nv == NV ? f(std::integral_constant<int, NV>()) : with_vectors<NV + 1>(nv, f);
}

template <int NV>
inline double residual_pass_v(const float* X, const float* y, size_t n, int ld, const float* w,
                              float* g, float* diag) {
  __m256 wv[NV], acc[NV], sq[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) {
    wv[v] = _mm256_loadu_ps(w + 8 * v);
    acc[v] = sq[v] = _mm256_setzero_ps();
  }
  double sse = 0;
  for (size_t t = 0; t < n; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    const __m256 c = _mm256_sub_ps(_mm256_set1_ps(y[t]), dot_all<NV>(wv, x));
    const float e = _mm256_cvtss_f32(c);
    sse += static_cast<double>(e) * e;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __m256 xv = _mm256_loadu_ps(x + 8 * v);
      acc[v] = _mm256_fmadd_ps(c, xv, acc[v]);
      if (diag) sq[v] = _mm256_fmadd_ps(xv, xv, sq[v]);
    }
  }
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) {
    _mm256_storeu_ps(g + 8 * v, _mm256_add_ps(_mm256_loadu_ps(g + 8 * v), acc[v]));
    if (diag) _mm256_storeu_ps(diag + 8 * v, _mm256_add_ps(_mm256_loadu_ps(diag + 8 * v), sq[v]));
  }
  return sse;
}

template <int NV>
inline void product_pass_v(const float* X, size_t n, int ld, const float* p, float* q) {
  __m256 pv[NV], acc[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) {
    pv[v] = _mm256_loadu_ps(p + 8 * v);
    acc[v] = _mm256_setzero_ps();
  }
  for (size_t t = 0; t < n; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    const __m256 s = dot_all<NV>(pv, x);
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(x + 8 * v), acc[v]);
  }
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v)
    _mm256_storeu_ps(q + 8 * v, _mm256_add_ps(_mm256_loadu_ps(q + 8 * v), acc[v]));
}
#endif

inline double residual_pass(const float* X, const float* y, size_t n, int d, int ld, const float* w,
                            float* g, float* diag) {
#ifdef AUTOREC_SVD_AVX2
  if ((d + 7) / 8 <= kMaxVectors)
    return with_vectors((d + 7) / 8, [&](auto nv) {
      return residual_pass_v<decltype(nv)::value>(X, y, n, ld, w, g, diag);
    });
#endif
  double sse = 0;
  for (size_t t = 0; t < n; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    const float e = y[t] - dot(x, w, d);
    sse += static_cast<double>(e) * e;
    axpy(g, x, e, d);
    if (diag)
      for (int j = 0; j < d; ++j) diag[j] += x[j] * x[j];
  }
  return sse;
}

inline void product_pass(const float* X, size_t n, int d, int ld, const float* p, float* q) {
#ifdef AUTOREC_SVD_AVX2
  if ((d + 7) / 8 <= kMaxVectors)
    return with_vectors((d + 7) / 8,
                        [&](auto nv) { product_pass_v<decltype(nv)::value>(X, n, ld, p, q); });
#endif
  for (size_t t = 0; t < n; ++t) {
    const float* x = X + t * static_cast<size_t>(ld);
    axpy(q, x, dot(x, p, d), d);
  }
}

// The item half of ALS by conjugate gradient visits a block of items' ratings user by user:
// x = [p_u, 1] (m floats, zero beyond d) is shared by the user's n ratings there (local item
// indices items[t], targets y_t = values[t] - base), and each rating adds to its item's rows
// of acc and diag (V, acc and diag: one row of m floats per item of the block).
//   Residual: e = y - x . V_i; acc_i += e x; diag_i += x * x; returns sum e^2.
//   Product:  acc_i += (x . V_i) x; returns 0.
//   Error:    returns sum (y - x . V_i)^2 and accumulates nothing.
enum class Sweep { Residual, Product, Error };

#ifdef AUTOREC_SVD_AVX2
template <int NV, Sweep S>
inline double user_sweep_v(const float* x, const int32_t* items, const float* values, size_t n,
                           float base, const float* V, size_t m, float* acc, float* diag) {
  __m256 xv[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) xv[v] = _mm256_loadu_ps(x + 8 * v);
  double sse = 0;
  for (size_t t = 0; t < n; ++t) {
    const size_t i = static_cast<size_t>(items[t]);
    const __m256 s = dot_all<NV>(xv, V + i * m);
    float* ai = acc + i * m;
    if (S == Sweep::Product) {
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v)
        _mm256_storeu_ps(ai + 8 * v, _mm256_fmadd_ps(s, xv[v], _mm256_loadu_ps(ai + 8 * v)));
    } else {
      const __m256 c = _mm256_sub_ps(_mm256_set1_ps(values[t] - base), s);
      const float e = _mm256_cvtss_f32(c);
      sse += static_cast<double>(e) * e;
      if (S == Sweep::Residual) {
        float* di = diag + i * m;
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
          _mm256_storeu_ps(ai + 8 * v, _mm256_fmadd_ps(c, xv[v], _mm256_loadu_ps(ai + 8 * v)));
          _mm256_storeu_ps(di + 8 * v, _mm256_fmadd_ps(xv[v], xv[v], _mm256_loadu_ps(di + 8 * v)));
        }
      }
    }
  }
  return sse;
}
#endif

template <Sweep S>
inline double user_sweep(const float* x, int d, const int32_t* items, const float* values, size_t n,
                         float base, const float* V, size_t m, float* acc, float* diag) {
#ifdef AUTOREC_SVD_AVX2
  if ((d + 7) / 8 <= kMaxVectors)
    return with_vectors((d + 7) / 8, [&](auto nv) {
      return user_sweep_v<decltype(nv)::value, S>(x, items, values, n, base, V, m, acc, diag);
    });
#endif
  double sse = 0;
  for (size_t t = 0; t < n; ++t) {
    const size_t i = static_cast<size_t>(items[t]);
    const float dotv = dot(x, V + i * m, d);
    float* ai = acc + i * m;
    if (S == Sweep::Product) {
      axpy(ai, x, dotv, d);
    } else {
      const float e = values[t] - base - dotv;
      sse += static_cast<double>(e) * e;
      if (S == Sweep::Residual) {
        axpy(ai, x, e, d);
        for (int j = 0; j < d; ++j) diag[i * m + j] += x[j] * x[j];
      }
    }
  }
  return sse;
}

// Conjugate gradient stops once r . M^-1 r has fallen by this factor (the residual by 1e5):
// float rounding leaves about 1e-7 of it, and more steps would only chase rounding noise into
// ever smaller, finally denormal, directions.
constexpr double kCgTolerance = 1e-10;

// The regularised least-squares problem of ALS and fold-in: given rows x_t (n x d, the other
// side's factors with a trailing 1 for the bias) and targets y_t, finds w minimising
//   sum_t (y_t - x_t . w)^2 + n * sum_j reg_j w_j^2.
// The n-scaled penalty is the objective above (each rating carries its own penalty). The
// normal equations are solved by Cholesky in float, which the penalty makes positive definite;
// when it is not (no penalty and too few rows), by Eigen's LDLT in double, which copes with
// semi-definite systems. One object per thread: fill rows with set_rows()/row()/target(),
// then solve().
//
// Optionally (set_prior) a fixed symmetric positive semi-definite d x d matrix G joins the
// normal equations, (X^T X + G + n diag(reg)) w = X^T y: implicit ALS's term for all the
// unobserved pairs, alpha0 V^T V (Hu et al. 2008, the "Gramian trick"), computed once per half
// epoch and shared by every solve, so each solve still reads only its own n rows. Weighted rows
// are the caller's: rows and targets scaled by sqrt(weight).
class LeastSquares {
 public:
  explicit LeastSquares(int d)
      : d_(d), ld_(cholesky_stride(d)), a_(static_cast<size_t>((d + 3) & ~3) * ld_), b_(ld_) {}
  int dim() const { return d_; }
  // G: both triangles, row-major, rows of ld >= d floats; must outlive the solves. Null: none.
  void set_prior(const float* g, int ld) {
    g_ = g;
    g_ld_ = ld;
  }
  // Bytes of the buffers this object holds now (they grow to the largest problem seen).
  size_t bytes() const {
    return sizeof(float) * (x_.capacity() + y_.capacity() + a_.capacity() + b_.capacity() +
                            cg_.capacity());
  }
  // Room for n rows, their padding zeroed; the caller then writes the first d entries of each.
  // (Growth zero-fills and the caller never writes past d, so the padding stays zero.)
  void set_rows(size_t n) {
    n_ = n;
    if (x_.size() < n * ld_) x_.resize(std::max(n * ld_, 2 * x_.size()), 0.0f);
    if (y_.size() < n) y_.resize(std::max(n, 2 * y_.size()));
  }
  // Row t: write its first d entries only.
  float* row(size_t t) { return x_.data() + t * ld_; }
  float& target(size_t t) { return y_[t]; }

  // reg has d entries; writes the d entries of w to out.
  void solve(const double* reg, float* out) {
    if (n_ == 0) {  // nothing to fit: the penalty (and the prior) alone put the minimum at 0
      std::fill(out, out + d_, 0.0f);
      return;
    }
    normal_equations(reg);
    bool ok = cholesky_solve(a_.data(), d_, ld_, b_.data());
    for (int j = 0; ok && j < d_; ++j) ok = std::isfinite(b_[j]);
    if (!ok) {  // the factorisation overwrote a_: form the system again
      normal_equations(reg);
      Eigen::MatrixXd a(d_, d_);
      for (int i = 0; i < d_; ++i)
        for (int m = i; m < d_; ++m) a(i, m) = a(m, i) = a_[static_cast<size_t>(i) * ld_ + m];
      Eigen::VectorXd rhs(d_);
      for (int j = 0; j < d_; ++j) rhs[j] = b_[j];
      Eigen::VectorXd w = Eigen::LDLT<Eigen::MatrixXd>(a).solve(rhs);
      for (int j = 0; j < d_; ++j) b_[j] = static_cast<float>(w[j]);
    }
    for (int j = 0; j < d_; ++j) out[j] = std::isfinite(b_[j]) ? b_[j] : 0.0f;
  }

  // The same problem approximately, for ALS: `steps` steps of conjugate gradient on the normal
  // equations, preconditioned by their diagonal, from the starting point w (d entries, in and
  // out), as in Takacs et al. 2011 (ALS-CG): with the previous epoch's factors as the start a
  // few steps per solve are enough. A step is one pass over the rows, A p = X^T (X p) + n reg p,
  // never forming X^T X: O(n d) per step instead of the O(n d^2) of the Gram matrix. Falls back
  // to the exact solve if the result is not finite.
  void solve_cg(const double* reg, float* w, int steps) {
    if (n_ == 0) {
      std::fill(w, w + d_, 0.0f);
      return;
    }
    const size_t m = static_cast<size_t>((d_ + 7) & ~7);  // whole vectors, zero padding
    cg_.assign(6 * m, 0.0f);
    float *x = cg_.data(), *r = x + m, *z = r + m, *p = z + m, *q = p + m, *diag = q + m;
    std::copy(w, w + d_, x);
    residual_pass(x_.data(), y_.data(), n_, d_, ld_, x, r, diag);
    if (g_) {  // r -= G x, diag += diag(G)
      for (int j = 0; j < d_; ++j) {
        const float* gj = g_ + static_cast<size_t>(j) * g_ld_;
        r[j] -= dot(gj, x, d_);
        diag[j] += gj[j];
      }
    }
    const double n = static_cast<double>(n_);
    double rz = 0;
    for (int j = 0; j < d_; ++j) {
      const float nreg = static_cast<float>(n * reg[j]);
      r[j] -= nreg * x[j];
      diag[j] += nreg;
      if (!(diag[j] > 0.0f)) diag[j] = 1.0f;
      z[j] = r[j] / diag[j];
      p[j] = z[j];
      rz += static_cast<double>(r[j]) * z[j];
    }
    const double stop = rz * kCgTolerance;
    for (int step = 0; step < steps && rz > stop; ++step) {
      std::fill(q, q + m, 0.0f);
      product_pass(x_.data(), n_, d_, ld_, p, q);
      if (g_)
        for (int j = 0; j < d_; ++j) q[j] += dot(g_ + static_cast<size_t>(j) * g_ld_, p, d_);
      double pq = 0;
      for (int j = 0; j < d_; ++j) {
        q[j] += static_cast<float>(n * reg[j]) * p[j];
        pq += static_cast<double>(p[j]) * q[j];
      }
      if (!(pq > 0)) break;
      const float alpha = static_cast<float>(rz / pq);
      double rz_next = 0;
      for (int j = 0; j < d_; ++j) {
        x[j] += alpha * p[j];
        r[j] -= alpha * q[j];
        z[j] = r[j] / diag[j];
        rz_next += static_cast<double>(r[j]) * z[j];
      }
      const float beta = static_cast<float>(rz_next / rz);
      for (int j = 0; j < d_; ++j) p[j] = z[j] + beta * p[j];
      rz = rz_next;
    }
    bool ok = true;
    for (int j = 0; j < d_; ++j) ok = ok && std::isfinite(x[j]);
    if (ok)
      std::copy(x, x + d_, w);
    else
      solve(reg, w);
  }

  // Sum of squared residuals of the rows against w (d entries).
  double residual(const float* w) const {
    double sse = 0;
    for (size_t t = 0; t < n_; ++t) {
      const double e = y_[t] - dot(x_.data() + t * ld_, w, d_);
      sse += e * e;
    }
    return sse;
  }

 private:
  void normal_equations(const double* reg) {
    std::fill(a_.begin(), a_.end(), 0.0f);
    std::fill(b_.begin(), b_.end(), 0.0f);
    gram_upper(x_.data(), n_, d_, ld_, a_.data());
    for (size_t t = 0; t < n_; ++t) axpy(b_.data(), x_.data() + t * ld_, y_[t], d_);
    const double n = static_cast<double>(n_);
    for (int j = 0; j < d_; ++j)
      a_[static_cast<size_t>(j) * ld_ + j] += static_cast<float>(n * reg[j]);
    if (g_)
      for (int j = 0; j < d_; ++j)
        axpy(a_.data() + static_cast<size_t>(j) * ld_ + j, g_ + static_cast<size_t>(j) * g_ld_ + j,
             1.0f, d_ - j);
  }

  int d_, ld_;
  const float* g_ = nullptr;
  int g_ld_ = 0;
  size_t n_ = 0;
  std::vector<float> x_, y_, a_, b_, cg_;
};

}  // namespace svd
}  // namespace autorec
