// The arithmetic of the factorization machine (algorithm 'content'), as small pure functions:
// the prediction of one (user, item) pair, its loss gradient and the SGD step. A pair is the
// concatenation of the user's and the item's sparse feature rows (disjoint indices).
//
//   y(x) = w0 + sum_f w_f x_f + sum_{f < g} <v_f, v_g> x_f x_g
//        = w0 + sum_f w_f x_f + 1/2 (|s|^2 - sum_f x_f^2 |v_f|^2),   s = sum_f x_f v_f
//
// (Rendle 2010). With the user part and the item part apart, s = s_u + s_i and
//   y = w0 + a_u + a_i + <s_u, s_i>,   a = sum_f w_f x_f + 1/2 (|s|^2 - sum_f x_f^2 |v_f|^2)
// over that part's features, which is how every item is scored for one user at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace autorec {
namespace fm {

// A sparse feature row.
struct Row {
  const uint32_t* index = nullptr;
  const float* value = nullptr;
  size_t n = 0;
};

// The parameters: w0, w (one per feature), v (features x k, row-major). k may be 0 (then the
// model is linear: ridge regression).
struct Params {
  double w0 = 0;
  float* w = nullptr;
  float* v = nullptr;
  int k = 0;
};
struct ConstParams {
  double w0 = 0;
  const float* w = nullptr;
  const float* v = nullptr;
  int k = 0;
};

// Adds row r to the sums y is made of: lin += sum w x, s += sum x v (k entries),
// sq += sum x^2 |v|^2.
inline void accumulate(const ConstParams& p, Row r, float* s, double& lin, double& sq) {
  const int k = p.k;
  for (size_t j = 0; j < r.n; ++j) {
    const float x = r.value[j];
    const float* v = p.v + static_cast<size_t>(r.index[j]) * static_cast<size_t>(k);
    lin += static_cast<double>(p.w[r.index[j]]) * x;
    float n2 = 0;
    for (int f = 0; f < k; ++f) {
      s[f] += x * v[f];
      n2 += v[f] * v[f];
    }
    sq += static_cast<double>(x) * x * n2;
  }
}

// The pairwise term from the sums: (|s|^2 - sq) / 2.
inline double pairwise(const float* s, int k, double sq) {
  double s2 = 0;
  for (int f = 0; f < k; ++f) s2 += static_cast<double>(s[f]) * s[f];
  return 0.5 * (s2 - sq);
}

// The part of y that one row contributes on its own (a above); s (k entries) receives sum x v.
inline double side(const ConstParams& p, Row r, float* s) {
  for (int f = 0; f < p.k; ++f) s[f] = 0;
  double lin = 0, sq = 0;
  accumulate(p, r, s, lin, sq);
  return lin + pairwise(s, p.k, sq);
}

// y for the pair (a, b); s (k entries) receives the sum of x v over both rows.
inline double predict(const ConstParams& p, Row a, Row b, float* s) {
  for (int f = 0; f < p.k; ++f) s[f] = 0;
  double lin = 0, sq = 0;
  accumulate(p, a, s, lin, sq);
  accumulate(p, b, s, lin, sq);
  return p.w0 + lin + pairwise(s, p.k, sq);
}

// One SGD step on the rating r of the pair (a, b) for the per-rating objective
//   1/2 (r - y)^2 + 1/2 reg_w sum_{f in x} w_f^2 + 1/2 reg_v sum_{f in x} |v_f|^2
// (w0 is not learned). Every gradient uses the parameters from before the step. `s` is
// scratch space of k floats. Returns r - y (before the step).
inline double sgd_step(Params p, Row a, Row b, float r, float lr, float reg_w, float reg_v,
                       float* s) {
  const ConstParams c{p.w0, p.w, p.v, p.k};
  const float err = static_cast<float>(r - predict(c, a, b, s));
  const int k = p.k;
  for (const Row& row : {a, b})
    for (size_t j = 0; j < row.n; ++j) {
      const float x = row.value[j];
      const uint32_t f = row.index[j];
      p.w[f] += lr * (err * x - reg_w * p.w[f]);
      float* v = p.v + static_cast<size_t>(f) * static_cast<size_t>(k);
      const float ex = err * x;
      for (int d = 0; d < k; ++d) v[d] += lr * (ex * (s[d] - v[d] * x) - reg_v * v[d]);
    }
  return err;
}

}  // namespace fm
}  // namespace autorec
