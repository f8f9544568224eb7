// The popularity model: every user gets the items with the most interactions. The honest
// baseline of top-n recommendation, and what every ranking family serves to unknown users.
#pragma once

#include <vector>

#include "core/model.hpp"

namespace autorec {

class Options;

// Score of an item = its number of interactions in training (the sum of its weights when the
// source has a weight column; a user's repeated rows add up). The same for every user, so
// recommend() differs between users only by the items each has already seen. No options.
class PopularityModel : public Model {
 public:
  PopularityModel() = default;
  explicit PopularityModel(Options&) {}
  std::string algorithm() const override { return "popularity"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  // One count per item, kept; nothing saved.
  MemoryEstimate estimated_memory(const TrainingSize& size) const override {
    MemoryEstimate m;
    m.kept = bytes_of<float>(size.n_items);
    m.saved = m.kept;
    m.training = m.kept;
    return m;
  }
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  const std::vector<float>& counts() const { return counts_; }

 private:
  std::vector<float> counts_;
};

}  // namespace autorec
