// Item popularity from the training interactions.
#include "core/models/popularity/popularity.hpp"

#include <algorithm>
#include <cmath>

#include "core/serialize.hpp"

namespace autorec {

void PopularityModel::fit(const TrainingData& data, FitContext& ctx) {
  ctx.check_interrupt();
  // Ratings are not weights: on explicit input an item's popularity is its number of raters.
  counts_ = item_interactions(*data.ratings, data.explicit_ratings);
}

double PopularityModel::predict(const UserProfile&, int32_t item) const {
  return counts_[static_cast<size_t>(item)];
}

void PopularityModel::score(const UserProfile&, float* out) const {
  std::copy(counts_.begin(), counts_.end(), out);
}

void PopularityModel::save(Writer& w) const { w.put_vector(counts_); }

void PopularityModel::load(Reader& r, const TrainingData& data) {
  counts_ = r.get_vector_exact<float>(static_cast<uint64_t>(data.ratings->n_items()));
  for (float c : counts_)
    if (!std::isfinite(c) || c < 0) Reader::corrupt("popularity count out of range");
}

}  // namespace autorec
