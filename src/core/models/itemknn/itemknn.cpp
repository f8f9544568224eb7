// The itemknn model: options, training (the implicit cosine graph), scoring, explanations and the
// validated model format.
#include "core/models/itemknn/itemknn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/models/baseline.hpp"
#include "core/models/item_item/item_rows.hpp"
#include "core/options/options.hpp"
#include "core/serialize.hpp"

namespace autorec {
namespace {

constexpr uint32_t kItemKnnFormat = 1;
constexpr int32_t kMaxK = 100000;

}  // namespace

ItemKnnOptions ItemKnnOptions::read(Options& o) {
  ItemKnnOptions k;
  k.k = static_cast<int32_t>(o.integer("k", k.k, 1, kMaxK));
  k.shrinkage = o.number("shrinkage", k.shrinkage, 0, 1e9);
  k.alpha = o.number("alpha", k.alpha, 0, 1);
  k.min_support = static_cast<int32_t>(o.integer("min_support", 1, 1, 1000000));
  k.weighting = ImplicitWeighting::read(o, false, k.weighting.min_rating);
  return k;
}

KnnSimilaritySpec ItemKnnOptions::spec() const {
  KnnSimilaritySpec s;
  s.kind = KnnKind::Item;
  s.similarity = KnnSimilarity::ImplicitCosine;
  s.min_support = min_support;
  s.shrinkage = shrinkage;
  s.alpha = alpha;
  s.max_neighbors = k;
  s.prune_shrinkage = 0;  // keep the k largest similarities
  return s;
}

std::unique_ptr<Model> make_itemknn_model(Options& options) {
  return std::make_unique<ItemKnnModel>(ItemKnnOptions::read(options));
}

size_t ItemKnnModel::estimated_training_bytes(int32_t n_users, int32_t n_items,
                                              size_t nnz) const {
  const double n = n_items;
  const double entries = n * std::min<double>(opt_.k, std::max(0.0, n - 1));
  const double threads = std::max(1u, std::thread::hardware_concurrency());
  // Per-row lists and the CSR graph while assembling (8 + 8 bytes an entry); 16 bytes of pair
  // sums per item and thread; the weighted matrix (triples, both orientations); norms and means.
  const double bytes = 16.0 * entries + 16.0 * n * threads + 28.0 * static_cast<double>(nnz) +
                       40.0 * (static_cast<double>(n_users) + n);
  return static_cast<size_t>(bytes);
}

MemoryEstimate ItemKnnModel::estimated_memory(const TrainingSize& size) const {
  const double n = size.n_items;
  const double entries = n * std::min<double>(opt_.k, std::max(0.0, n - 1));
  MemoryEstimate m;
  m.training = estimated_training_bytes(size.n_users, size.n_items, size.nnz);
  m.kept = bytes_of<char>(8.0 * entries + 8.0 * (n + 1));  // the neighbour graph (CSR)
  m.saved = m.kept;
  return m;
}

void ItemKnnModel::fit(const TrainingData& data, FitContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  opt_.weighting = opt_.weighting.for_input(data.explicit_ratings);
  const RatingMatrix x = weighted_matrix(*data.ratings, opt_.weighting);
  ctx.check_interrupt();
  static const Biases kNoBiases;  // the implicit cosine reads none
  const KnnSimilarityInputs in(x, data.baseline ? *data.baseline : kNoBiases, opt_.spec());
  graph_ = compute_neighbor_graph(in, ctx);
  n_items_ = x.n_items();
  char buf[200];
  std::snprintf(buf, sizeof buf, "itemknn: %d items, %zu neighbours kept (%.1f per item) in %.2f s",
                n_items_, graph_.nnz(),
                n_items_ ? static_cast<double>(graph_.nnz()) / n_items_ : 0.0,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ctx.notice(buf);
}

void ItemKnnModel::score(const UserProfile& user, float* out) const {
  score_from_rows(graph_, opt_.weighting, user.ratings, n_items_, out);
}

double ItemKnnModel::predict(const UserProfile& user, int32_t item) const {
  double s = 0;
  for (const Contribution& c : explain(user, item)) s += c.contribution;
  return s;
}

std::vector<ScoredIndex> ItemKnnModel::similar_items(int32_t item, size_t n) const {
  return top_of_row(graph_, item, n);
}

std::vector<Contribution> ItemKnnModel::explain(const UserProfile& user, int32_t item) const {
  return item_contributions(opt_.weighting, user.ratings, n_items_, item,
                            [&](int32_t i, int32_t j) { return row_entry(graph_, i, j); });
}

void ItemKnnModel::save(Writer& w) const {
  w.put<uint32_t>(kItemKnnFormat);
  w.put<int32_t>(opt_.k);
  w.put<double>(opt_.shrinkage);
  w.put<double>(opt_.alpha);
  w.put<int32_t>(opt_.min_support);
  opt_.weighting.save(w);
  w.put<int32_t>(n_items_);
  save_rows(w, graph_);
}

void ItemKnnModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint32_t>() != kItemKnnFormat) Reader::corrupt("unknown itemknn format version");
  ItemKnnOptions o;
  o.k = r.get<int32_t>();
  o.shrinkage = r.get<double>();
  o.alpha = r.get<double>();
  o.min_support = r.get<int32_t>();
  o.weighting = ImplicitWeighting::load(r);
  const int32_t n = r.get<int32_t>();
  if (o.k < 1 || o.k > kMaxK || !(o.shrinkage >= 0) || !(o.alpha >= 0 && o.alpha <= 1) ||
      o.min_support < 1 || n != data.ratings->n_items())
    Reader::corrupt("itemknn parameters");
  opt_ = o;
  n_items_ = n;
  graph_ = load_rows(r, n, n, o.k);
}

}  // namespace autorec
