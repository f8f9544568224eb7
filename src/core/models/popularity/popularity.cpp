// Item popularity from the training interactions.
#include "core/models/popularity/popularity.hpp"

#include <algorithm>

namespace autorec {

void PopularityModel::fit(const TrainingData& data, FitContext& ctx) {
  ctx.check_interrupt();
  counts_ = item_interactions(*data.ratings);
}

double PopularityModel::predict(const UserProfile&, int32_t item) const {
  return counts_[static_cast<size_t>(item)];
}

void PopularityModel::score(const UserProfile&, float* out) const {
  std::copy(counts_.begin(), counts_.end(), out);
}

void PopularityModel::load(Reader&, const TrainingData& data) {
  counts_ = item_interactions(*data.ratings);
}

}  // namespace autorec
