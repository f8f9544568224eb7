// What the implicit item-item families (ease, itemknn) learn from: each rating turned into an
// interaction weight (1, or the value itself; pairs below min_rating dropped), the same way at
// training and for a user folded in at query time.
#pragma once

#include <cstdint>
#include <limits>

#include "core/ratings.hpp"

namespace autorec {

class Options;
class Writer;
class Reader;

struct ImplicitWeighting {
  bool use_values = false;  // option weighting: "binary" (1 per pair) or "rating" (the value)
  double min_rating = -std::numeric_limits<double>::infinity();  // option min_rating

  // Reads the options weighting and min_rating, with the family's defaults.
  static ImplicitWeighting read(Options& o, bool default_use_values,
                                double default_min_rating = -std::numeric_limits<double>::infinity());
  float weight(float r) const {
    if (!(r >= min_rating)) return 0.0f;
    return use_values ? r : 1.0f;
  }
  // What fit() uses: min_rating applies to ratings only; on interaction weights (implicit
  // input) every pair counts. The result is what save() keeps, for serving.
  ImplicitWeighting for_input(bool explicit_ratings) const {
    ImplicitWeighting w = *this;
    if (!explicit_ratings) w.min_rating = -std::numeric_limits<double>::infinity();
    return w;
  }
  void save(Writer& w) const;
  static ImplicitWeighting load(Reader& r);
};

// The matrix of weights: same dimensions as m, pairs of weight 0 left out.
RatingMatrix weighted_matrix(const RatingMatrix& m, const ImplicitWeighting& w);

}  // namespace autorec
