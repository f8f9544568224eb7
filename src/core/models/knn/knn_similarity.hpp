// Sparse similarity computation for the knn family: for every item (or user) its neighbours of
// positive similarity, best first, capped at max_neighbors; and the same for a user known only by
// ratings given at query time.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ratings.hpp"

namespace autorec {

struct Biases;
class FitContext;

enum class KnnKind : uint8_t { Item = 0, User = 1 };
// ImplicitCosine is the cosine of whole rows (norms over all their entries, not over the co-rated
// pairs only, which would make every pair of 0/1 rows similar 1): the item-item similarity of
// implicit data (the itemknn family), item-based only.
enum class KnnSimilarity : uint8_t {
  Cosine = 0,
  Pearson,
  AdjustedCosine,
  Msd,
  PearsonBaseline,
  ImplicitCosine
};

struct KnnSimilaritySpec {
  KnnKind kind = KnnKind::Item;
  KnnSimilarity similarity = KnnSimilarity::Cosine;
  int32_t min_support = 1;  // fewer co-ratings => similarity 0
  double shrinkage = 100;   // pearson_baseline; implicit_cosine (added to the denominator)
  // implicit_cosine: ab / (|x|^(2 (1 - alpha)) |x2|^(2 alpha) + shrinkage) for row x and
  // neighbour x2; 0.5 is the cosine, larger values penalise popular neighbours more.
  double alpha = 0.5;
  int32_t max_neighbors = 250;
  // Which neighbours a row keeps when it has more than max_neighbors: the largest
  // sim * n / (n + prune_shrinkage), n = co-ratings, so that a similarity of 1 from one or two
  // co-ratings does not crowd out the well-supported neighbours users actually rated.
  // 0 keeps the largest similarities. Predictions always use the similarities themselves.
  double prune_shrinkage = 20;
};

struct KnnNeighbor {
  int32_t index;
  float sim;
};

// Neighbour lists in CSR form. Each row holds only positive similarities, sorted by similarity
// descending then index ascending, so the first k matches of a scan are the k best.
struct KnnGraph {
  std::vector<int64_t> ptr;  // rows + 1 offsets
  std::vector<KnnNeighbor> nbr;

  int32_t rows() const { return ptr.empty() ? 0 : static_cast<int32_t>(ptr.size() - 1); }
  size_t nnz() const { return nbr.size(); }
  const KnnNeighbor* begin(int32_t x) const { return nbr.data() + ptr[x]; }
  const KnnNeighbor* end(int32_t x) const { return nbr.data() + ptr[x + 1]; }
};

// The values the similarity is computed on: raw ratings, or residuals for adjusted_cosine
// (rating minus the mean of the other side: the user's mean for item-based) and
// pearson_baseline (rating minus the baseline b_ui). Built once per fit/load.
struct KnnSimilarityInputs {
  const RatingMatrix* m = nullptr;
  const Biases* b = nullptr;
  KnnSimilaritySpec spec;
  std::vector<float> user_mean, item_mean;  // means over each user's / item's ratings
  std::vector<float> csr_value, csc_value;  // transformed values, empty when raw ratings are used
  // implicit_cosine: per row x, (sum of squares)^(1 - alpha) and (sum of squares)^alpha.
  std::vector<double> row_norm, neighbor_norm;

  KnnSimilarityInputs(const RatingMatrix& m, const Biases& b, const KnnSimilaritySpec& spec);
  const float* csr_values() const;
  const float* csc_values() const;
  // The transformed value of a new user's rating r of item i, with that user's folded-in bias.
  float transform_new_user(int32_t item, float r, double user_bias) const;
  // Frees what serving does not need once the graph is built: everything but the means, and the
  // item-column values that user-based fold-in reads. Only new_user_neighbors() may follow.
  void release_for_serving();
};

// All rows of the graph (items for item-based, users for user-based), on ctx.threads threads.
KnnGraph compute_neighbor_graph(const KnnSimilarityInputs& in, FitContext& ctx);

// Neighbours among the training users of a new user described by `ratings` (user-based
// fold-in), best first and capped like a training user's list. Cost grows with the co-ratings.
std::vector<KnnNeighbor> new_user_neighbors(const KnnSimilarityInputs& in, const SparseRow& ratings,
                                            double user_bias);

}  // namespace autorec
