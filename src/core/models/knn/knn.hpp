// Neighbourhood collaborative filtering (algorithm 'knn'), item- or user-based, with Surprise's
// similarities (cosine, pearson, msd, pearson_baseline, plus adjusted_cosine) and its four
// predictors (KNNBasic, KNNWithMeans, KNNWithZScore, KNNBaseline).
//
// Options: kind item|user (item); similarity cosine|pearson|adjusted_cosine|msd|pearson_baseline
// (cosine); shrinkage (100, pearson_baseline only); min_support (1); k (40); min_k (1);
// predictor basic|means|zscore|baseline (basic); max_neighbors (250); prune_shrinkage (20);
// damping (0.2; not for basic).
//
// Training keeps, per item (user), at most max_neighbors items (users) of positive similarity:
// those with the largest sim * n / (n + prune_shrinkage), n = co-ratings. A prediction for
// (u, i) uses the k most similar of the stored neighbours that u rated (item-based) or that
// rated i (user-based); only positive similarities count, as in Surprise:
//   basic     sum s r / sum s
//   means     mu_x + sum s (r - mu_n) / (sum s + damping)
//   zscore    mu_x + sigma_x sum s (r - mu_n) / sigma_n / (sum s + damping)
//   baseline  b_ui + sum s (r - b_n) / (sum s + damping)
// (x the target item or user, n the neighbour). damping 0 is Surprise's formula; the default
// 0.2 shrinks weakly supported deviations towards the base and lowers the error (chosen on
// validation splits of the ML-100K training folds, bench_knn --select-damping: best for
// baseline, better than 0 for means and zscore).
// With fewer than min_k neighbours the prediction falls back as Surprise does: the global mean
// for basic, mu_x for means and zscore, the baseline b_ui for baseline. With max_neighbors at
// least the number of items (users) the neighbours are exactly Surprise's.
#pragma once

#include <memory>

#include "core/model.hpp"
#include "core/models/knn/knn_similarity.hpp"

namespace autorec {

class Options;

enum class KnnPredictor : uint8_t { Basic = 0, Means, ZScore, Baseline };

constexpr double kDefaultDamping = 0.2;  // means, zscore, baseline; basic has none

struct KnnOptions {
  KnnSimilaritySpec spec;
  KnnPredictor predictor = KnnPredictor::Basic;
  int32_t k = 40;
  int32_t min_k = 1;
  double damping = 0;

  static KnnOptions read(Options& o);
};

class KnnModel : public Model {
 public:
  explicit KnnModel(const KnnOptions& o) : opt_(o) {}
  explicit KnnModel(Options& options) : KnnModel(KnnOptions::read(options)) {}
  std::string algorithm() const override { return "knn"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  bool has_item_similarity() const override { return opt_.spec.kind == KnnKind::Item; }
  std::vector<ScoredIndex> similar_items(int32_t item, size_t n) const override;
  bool can_explain() const override { return true; }
  // Terms of predict(): shares of scale * sim * deviation / sum(sim). For basic they sum to
  // the prediction; for the others to the prediction minus the target's mean or baseline.
  std::vector<Contribution> explain(const UserProfile& user, int32_t item) const override;
  bool explains_with_users() const override { return opt_.spec.kind == KnnKind::User; }

  const KnnOptions& options() const { return opt_; }
  const KnnGraph& graph() const { return graph_; }

 private:
  struct UserStats;     // per-call facts about the user being scored
  struct Term;          // one selected neighbour of a prediction
  struct NeighborList;  // a user's neighbours: a graph row, or computed for a new user
  void prepare();       // the serving structures derived from the data and the graph
  UserStats user_stats(const UserProfile& user) const;
  NeighborList user_neighbors(const UserProfile& user, const UserStats& st) const;
  // The selected neighbours of (user, item), best first, at most k.
  void select_terms(const UserProfile& user, const UserStats& st, const NeighborList* nbrs,
                    int32_t item, std::vector<Term>& terms) const;
  double finish(const UserStats& st, int32_t item, int32_t count, double num, double den) const;
  double scale(const UserStats& st, int32_t item) const;
  double item_deviation(const UserStats& st, int32_t j, float r) const;
  double user_deviation(int32_t v, int32_t item, float r) const;
  void score_items(const UserProfile& user, const UserStats& st, float* out) const;
  void score_users(const UserProfile& user, const UserStats& st, float* out) const;

  KnnOptions opt_;
  const RatingMatrix* m_ = nullptr;
  const Biases* b_ = nullptr;
  KnnGraph graph_;
  // Derived at fit/load time.
  std::unique_ptr<KnnSimilarityInputs> inputs_;  // means; item-column values for user fold-in
  std::vector<float> x_sigma_;                   // population std per row (zscore), never 0
  double overall_sigma_ = 1;
  // Item-based: for item j, the items whose lists hold j.
  struct ReverseEntry {
    int32_t target;
    float sim;
  };
  std::vector<int64_t> reverse_ptr_;
  std::vector<ReverseEntry> reverse_;
};

}  // namespace autorec
