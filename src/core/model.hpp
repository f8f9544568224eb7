// The interface every model family implements, and what training may call back into.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ratings.hpp"

namespace autorec {

class Writer;
class Model;
class Reader;
struct Biases;
struct FeatureSet;

// What a family's scores are, declared once per family in the registry
// (core/models/families.cpp).
//   Rating:  predicted ratings. Trained on a rating column; shown clipped to the training
//            range; users and items the model cannot score get the baseline mu + b_u + b_i.
//   Ranking: ranking scores: only their order means something (not clipped, no RMSE, no
//            predict_rating). Trained on any (user, item[, weight]) input, explicit ratings
//            read as weights; unknown users get the popularity ranking (most interactions).
enum class ScoreKind { Rating, Ranking };

// Whether the Recommender fits the baseline mu + b_u + b_i before fit() (TrainingData::baseline)
// for a model, and how. Rating families always get it (it is their fallback); a ranking family
// gets it only when it asks.
struct BaselineUse {
  bool wanted = false;
  // Its options are <prefix>epochs, <prefix>reg_user, <prefix>reg_item.
  const char* option_prefix = "baseline_";
  // Its epochs are reported as the model's own training (the baseline family).
  bool is_training = false;
};

struct EpochStats {
  int epoch = 0;
  double train_rmse = std::numeric_limits<double>::quiet_NaN();
  double validation_rmse = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;  // wall time of this epoch
};

// Progress, cancellation and resources for one training run. Every callback is invoked on the
// thread that called fit(), never on a worker.
class FitContext {
 public:
  std::function<bool()> interrupt_check;                 // true when the caller wants to stop
  std::function<void(const std::string&)> notice_sink;   // progress messages
  // Per-epoch progress when not `verbose` (the server logs it at DEBUG1); null: notice_sink.
  std::function<void(const std::string&)> progress_sink;
  bool verbose = false;  // the option "verbose": per-epoch progress goes to notice_sink
  int threads = 0;       // 0 = all cores
  // A cap on the threads of a training (autorec.max_training_threads); 0 = no cap.
  int max_threads = 0;
  uint64_t seed = 42;
  // Called once with the estimated peak memory of the training (Recommender::fit, after the
  // ratings are indexed and before the baseline and the model allocate anything); throws to
  // refuse a training that would exceed a limit (autorec.max_training_memory).
  // `model` is the model about to be trained: a refusal adds its memory_hint().
  std::function<void(size_t estimated_bytes, const Model& model)> memory_check;

  bool interrupted() const { return interrupt_check && interrupt_check(); }
  void check_interrupt() const {
    if (interrupted()) throw Cancelled();
  }
  void notice(const std::string& msg) const {
    if (notice_sink) notice_sink(msg);
  }
  // Per-epoch (and other frequent) progress: a notice when verbose, else progress_sink.
  void progress(const std::string& msg) const {
    if (!verbose && progress_sink)
      progress_sink(msg);
    else
      notice(msg);
  }
  // Records one epoch for autorec_training_history and reports it ("epoch N of M: ...");
  // `of` is the most epochs this training runs (M; 0 = not known).
  void epoch_done(const EpochStats& s, int of = 0);
  std::vector<EpochStats> history;
  int planned_epochs = 0;  // the `of` of the last epoch_done
};

// What a model is trained on. The Recommender that owns the model owns these too and keeps
// them alive as long as the model, so a model may keep the pointers.
struct TrainingData {
  const RatingMatrix* ratings = nullptr;
  // Fitted before fit() for rating families and for families whose baseline_use() wants it;
  // null otherwise.
  const Biases* baseline = nullptr;
  const IdMap* users = nullptr;      // the external ids of the dense indices
  const IdMap* items = nullptr;
  // User and item features read from the model's feature_sources(), keyed by external id;
  // given to fit() and refresh_features() only, null elsewhere.
  const FeatureSet* features = nullptr;
  // At fit(): whether the values of `ratings` are ratings (explicit input: a rating column) or
  // interaction weights (implicit input: 1 per interaction, or the weight column). A ranking
  // family given ratings may use them (weighting, thresholds); what it decides must be saved,
  // since this is false when a model is loaded.
  bool explicit_ratings = false;
};

// Where a family that learns from side information reads it: a table, view or query each
// (empty = none), read by the glue at training and at autorec_refresh_features.
struct FeatureSources {
  std::string users, items;
  bool empty() const { return users.empty() && items.empty(); }
};

// A user to score: a training user (index >= 0, ratings = their training ratings) or a new user
// (index = -1) described only by the ratings given at query time. Ratings are sorted by item.
struct UserProfile {
  int32_t index = -1;
  SparseRow ratings;
};

struct ScoredIndex {
  int32_t index;
  double score;
};

// One term of a neighbourhood prediction: a rated item (item-based) or a neighbour (user-based).
struct Contribution {
  int32_t index;        // dense item or user index
  double rating;        // that item's rating by the user / that neighbour's rating of the item
  double similarity;
  double contribution;  // share of the prediction
};

// What a training's memory depends on besides the options (Model::estimated_memory).
struct TrainingSize {
  int32_t n_users = 0, n_items = 0;
  size_t nnz = 0;
  int threads = 1;            // the threads fit() runs on, resolved (>= 1)
  size_t feature_rows = 0;     // rows of the user and item feature tables
  size_t feature_values = 0;   // numbers and tokens in them (what encoding turns into entries)
  size_t feature_indices = 0;  // distinct encoded features (FeatureEncoder sizes)
};

// A model's memory in bytes, by phase.
struct MemoryEstimate {
  size_t training = 0;  // peak while fit() runs, the kept state included
  size_t kept = 0;      // what the fitted model holds (weights, serving precomputation)
  size_t saved = 0;     // what save() writes
};

// sizeof(T) * n1 * n2 * ... as a size_t, for estimates.
template <typename T>
constexpr size_t bytes_of(double n) {
  return n > 0 ? static_cast<size_t>(n * static_cast<double>(sizeof(T))) : 0;
}

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string algorithm() const = 0;

  virtual void fit(const TrainingData& data, FitContext& ctx) = 0;

  // Whether fit() reads TrainingData::baseline (see BaselineUse). Rating families get the
  // baseline whatever this says; ranking families that use it say so here.
  virtual BaselineUse baseline_use() const { return {}; }

  // Checks combinations of options once all are read (Recommender::configure); throws
  // Error(InvalidParameter).
  virtual void check_options() const {}

  // Side information: a family that trains on user or item features names their sources here
  // (fit() then gets them in TrainingData::features), and re-encodes them without retraining
  // in refresh_features(), after the id maps have grown by the users and items that appeared
  // in the feature sources since.
  virtual FeatureSources feature_sources() const { return {}; }
  virtual void refresh_features(const TrainingData& data) {
    (void)data;
    throw Error(ErrorKind::NotSupported,
                "model algorithm \"" + algorithm() + "\" does not use user or item features");
  }

  // Upper estimate of the memory fit() needs beyond the training data the Recommender already
  // holds (ratings matrix, id maps, baseline, features), used to refuse a training that would
  // exceed autorec.max_training_memory before anything is allocated. Each family overrides it
  // next to the code that allocates, counting the options that scale memory (factors, hidden
  // layers, neighbours, threads). The Recommender adds its own data and the serialized copies
  // the glue makes while the model is alive (see MemoryEstimate).
  // What to do when a training of this family is refused by the memory limit of
  // `budget_bytes`, if the family can say more than the generic hint (e.g. how many items fit);
  // empty for the generic hint.
  virtual std::string memory_hint(size_t budget_bytes) const {
    (void)budget_bytes;
    return {};
  }
  virtual MemoryEstimate estimated_memory(const TrainingSize& size) const = 0;

  // Predicted rating (before clipping to the training range), or the ranking score of one
  // item for a ranking family.
  virtual double predict(const UserProfile& user, int32_t item) const = 0;
  // Predicted ratings (or ranking scores) for all n_items items into out. A new user's
  // profile (index -1) holds the items given at query time with their ratings or weights.
  virtual void score(const UserProfile& user, float* out) const = 0;

  virtual void save(Writer& w) const = 0;
  // Restores what save() wrote; `data` is the restored training data, as at fit time.
  virtual void load(Reader& r, const TrainingData& data) = 0;

  // Optional abilities: a family that has them returns true and overrides the method.
  virtual bool has_item_similarity() const { return false; }
  virtual std::vector<ScoredIndex> similar_items(int32_t item, size_t n) const {
    (void)item;
    (void)n;
    return {};
  }
  virtual bool can_explain() const { return false; }
  // The terms of predict(user, item), largest contribution first.
  virtual std::vector<Contribution> explain(const UserProfile& user, int32_t item) const {
    (void)user;
    (void)item;
    return {};
  }
  // Whether explain() lists items (item-based) or users (user-based).
  virtual bool explains_with_users() const { return false; }
};

}  // namespace autorec
