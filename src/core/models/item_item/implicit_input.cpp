// Implicit interaction weights: options, the weighted training matrix, serialization.
#include "core/models/item_item/implicit_input.hpp"

#include <cmath>
#include <vector>

#include "core/options/options.hpp"
#include "core/serialize.hpp"

namespace autorec {

ImplicitWeighting ImplicitWeighting::read(Options& o, bool default_use_values,
                                          double default_min_rating) {
  ImplicitWeighting w;
  w.use_values = o.choice("weighting", default_use_values ? "rating" : "binary",
                          {"binary", "rating"}) == "rating";
  // The default may be -infinity (keep every pair), which the spec shows as unset.
  w.min_rating = o.number("min_rating", default_min_rating, -1e30, 1e30);
  return w;
}

void ImplicitWeighting::save(Writer& w) const {
  w.put<uint8_t>(use_values ? 1 : 0);
  w.put<double>(min_rating);
}

ImplicitWeighting ImplicitWeighting::load(Reader& r) {
  ImplicitWeighting w;
  const uint8_t v = r.get<uint8_t>();
  if (v > 1) Reader::corrupt("weighting");
  w.use_values = v == 1;
  w.min_rating = r.get<double>();
  if (std::isnan(w.min_rating)) Reader::corrupt("min_rating");
  return w;
}

RatingMatrix weighted_matrix(const RatingMatrix& m, const ImplicitWeighting& w) {
  std::vector<Triple> t;
  t.reserve(m.nnz());
  for (int32_t u = 0; u < m.n_users(); ++u) {
    SparseRow r = m.user(u);
    for (size_t k = 0; k < r.n; ++k) {
      const float v = w.weight(r.value[k]);
      if (v != 0.0f) t.push_back({u, r.index[k], v});
    }
  }
  return RatingMatrix(m.n_users(), m.n_items(), t);
}

}  // namespace autorec
