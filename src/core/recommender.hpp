// A trained model with everything it needs to serve on its own: id maps, the training ratings
// or interactions (to exclude seen items and to score users), the fallback for unknown users
// and the training record. This is what one weights bytea holds. It names no family: what a
// family is (rating or ranking scores) comes from the registry, what it needs from the Model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/features.hpp"
#include "core/model.hpp"
#include "core/models/baseline.hpp"
#include "core/options/options.hpp"
#include "core/ratings.hpp"
#include "core/registry.hpp"

namespace autorec {

struct ScoredId {
  int64_t id;
  double score;
};

struct ExplainedId {
  int64_t id;
  double rating, similarity, contribution;
};

class Recommender {
 public:
  // Step 1: choose the algorithm and validate every option (cheap; done before reading data).
  // Options shared by all families: seed, threads; baseline_epochs/_reg_user/_reg_item for the
  // families that get the baseline (rating families, and those whose baseline_use() asks);
  // rank_by ('blend' | 'rating') and rank_beta for rating families (see ranking_scores()).
  // `describing`: only the options are read (options/reference.cpp), the family's checks of
  // what it needs to train (content: a feature source) are skipped.
  static std::unique_ptr<Recommender> configure(const std::string& algorithm, Options options,
                                                bool describing = false);
  // Step 2: train on the ratings (and the features of feature_sources(), if the family has
  // any: their users and items join the id maps even without ratings, so that they can be
  // scored). Calls ctx.memory_check (if set) with estimated_training_bytes() once the ratings
  // are indexed, before the baseline and the model allocate. A rating family refuses implicit
  // input (raw.implicit) with Error(InvalidParameter): see ratings_required().
  void fit(const RawRatings& raw, FitContext& ctx, const FeatureSet* features = nullptr);

  // The feature sources the model reads (empty for families without side information).
  FeatureSources feature_sources() const { return model_->feature_sources(); }
  // Re-reads user and item features without retraining: new ids join the id maps (unrated)
  // and every feature row is encoded again as at training. Throws Error(NotSupported) for
  // families without features.
  void refresh_features(const FeatureSet& features);

  // Estimated peak bytes of a training on `raw_rows` input rows (and `feature_bytes` of feature
  // tables) that index to `size`: the input, the ratings matrix (CSR + CSC), id maps, baseline,
  // then the larger of the model's training peak and what the end of a training holds at once:
  // the fitted model and the serialized copies the glue makes of it (Model::estimated_memory).
  size_t estimated_training_bytes(const TrainingSize& size, size_t raw_rows,
                                  size_t feature_bytes = 0) const;
  // The threads a training runs on: the option `threads`, 0 meaning every core, at most
  // `max_threads` when that is positive (autorec.max_training_threads).
  int training_threads(int max_threads = 0) const;

  std::vector<uint8_t> serialize() const;
  static std::unique_ptr<Recommender> deserialize(const uint8_t* data, size_t n);

  // Serving, in external ids. A rating family ranks by ranking_scores() (the blend by default:
  // its scores are then the blend, shown as they are; with rank_by 'rating' they are the
  // predicted ratings clipped to the training range, ranking by the unclipped ones), and
  // unknown users get the items by their baseline estimate mu + b_i (mean rating damped towards
  // the global mean; scores: those ratings). A ranking family's scores are shown as they are,
  // and unknown users get the popularity ranking: items by their number of interactions (sum
  // of weights); predict() is then Error(NotSupported).
  std::vector<ScoredId> recommend(int64_t user, size_t n, bool exclude_rated,
                                  const std::vector<int64_t>* candidates) const;
  std::vector<ScoredId> recommend_for_ratings(const std::vector<int64_t>& items,
                                              const std::vector<double>& ratings,
                                              size_t n) const;
  double predict(int64_t user, int64_t item) const;
  std::vector<ScoredId> similar_items(int64_t item, size_t n) const;
  std::vector<ExplainedId> explain(int64_t user, int64_t item) const;

  const std::string& algorithm() const { return algorithm_; }
  ScoreKind score_kind() const { return scores_; }
  const Options& options() const { return options_; }
  // Every option the configuration read, with the value it used (Options::effective_json):
  // known after configure(), not stored in the payload (deserialize() does not restore it).
  std::string effective_options_json() const { return options_.effective_json(); }
  const IdMap& users() const { return users_; }
  const IdMap& items() const { return items_; }
  const RatingMatrix& ratings() const { return ratings_; }
  // Empty (no biases) when the family did not get it.
  const Biases& baseline() const { return baseline_; }
  const Model& model() const { return *model_; }
  const std::vector<EpochStats>& history() const { return history_; }
  size_t duplicates() const { return duplicates_; }
  double fit_seconds() const { return fit_seconds_; }

  // Scores every item for a training user (index) into out: the model's own scores
  // (predicted ratings for a rating family).
  void score_user(int32_t user_index, std::vector<float>& out) const;
  // What recommend() orders by, for every item, into out. A ranking family: its scores. A
  // rating family trained with rank_by 'blend' (the default): the blend
  //   b(u, i) = (c(u, i) + eps_u) * g(r(u, i))^beta,  g(r) = (clip(r) - r_min) / (r_max - r_min)
  // of the companion's score c(u, i) >= 0 (an implicit itemknn model trained in the same call
  // on the pairs rated in the top quarter of the training range, >= 4 on a 1..5 scale: how likely the user is to consume the item) and the predicted
  // rating r(u, i) (beta: option rank_beta; eps_u = 1e-3 max_i c(u, i), or 1 when that is 0,
  // so that items without companion support, or users without a rating >= 4, still follow
  // their predicted ratings). With rank_by 'rating' (and for models saved before the blend
  // existed): the predicted ratings.
  void ranking_scores(const UserProfile& user, std::vector<float>& out) const;
  // The blend above, for n items (public for benchmarks and tests).
  static void blend_scores(const float* rating, const float* companion, size_t n, double r_min,
                           double r_max, double beta, float* out);
  // The companion ranking model of a rating family ranked by the blend; null otherwise.
  const Model* companion() const { return companion_.get(); }
  double rank_beta() const { return rank_beta_; }
  double clip(double r) const;

  // The error for a rating family given input without ratings; `why` says what the input
  // lacks ("the source has no column \"rating\""). Its hint lists the ranking families. The
  // location is the caller's (where it is thrown); `kind` UndefinedColumn for a missing column.
  static Error ratings_required(const std::string& algorithm, const std::string& why,
                                ErrorKind kind = ErrorKind::InvalidParameter,
                                const char* file = __builtin_FILE(), int line = __builtin_LINE(),
                                const char* function = __builtin_FUNCTION());

 private:
  Recommender() = default;
  UserProfile profile(int32_t user_index) const;
  TrainingData data(const FeatureSet* features = nullptr) const {
    return {&ratings_, baseline_.item.empty() ? nullptr : &baseline_, &users_, &items_, features,
            explicit_input_};
  }
  // Adds ids to the id maps; the ratings and the baseline follow the new dense indices.
  void add_ids(const std::vector<int64_t>& users, const std::vector<int64_t>& items);
  // clip_shown: the scores are ratings, shown clipped.
  std::vector<ScoredId> top_n(const std::vector<float>& scores, size_t n, const SparseRow* exclude,
                              const std::vector<int64_t>* candidates, bool clip_shown) const;
  std::vector<ScoredId> popular(size_t n, const std::vector<int64_t>* candidates) const;
  // The unknown users' ranking (popular()), computed once per model at fit, load and refresh:
  // items by interactions for ranking families, by the baseline mu + b_i for rating ones.
  void prepare_fallback();

  std::string algorithm_;
  bool explicit_input_ = false;  // at fit: the input held ratings (TrainingData)
  ScoreKind scores_ = ScoreKind::Rating;
  Options options_;
  BiasOptions bias_options_;
  bool fit_baseline_ = false;        // rating family, or baseline_use().wanted
  bool baseline_is_training_ = false;  // baseline_use().is_training
  uint64_t seed_ = 42;
  int threads_ = 0;
  bool verbose_ = false;  // option "verbose": per-epoch progress as notices
  IdMap users_, items_;
  RatingMatrix ratings_;
  Biases baseline_;
  std::vector<float> fallback_;  // prepare_fallback()
  std::unique_ptr<Model> model_;
  // Rating families ranked by the blend (rank_by 'blend'): the implicit companion and beta.
  std::unique_ptr<Model> companion_;
  double rank_beta_ = 0;
  std::vector<EpochStats> history_;
  size_t duplicates_ = 0;
  double fit_seconds_ = 0;
};

}  // namespace autorec
