// The knn model: options, training (the neighbour graph), predictions, scoring of all items,
// explanations and the validated model format.
#include "core/models/knn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/models/baseline.hpp"
#include "core/options.hpp"
#include "core/serialize.hpp"

namespace autorec {

namespace {

constexpr uint32_t kKnnFormat = 1;
constexpr int32_t kMaxK = 10000;
constexpr int32_t kMaxNeighborsLimit = 100000;
constexpr int32_t kDefaultMaxNeighbors = 250;

const std::vector<std::string> kKinds = {"item", "user"};
const std::vector<std::string> kSimilarities = {"cosine", "pearson", "adjusted_cosine", "msd",
                                                "pearson_baseline"};
const std::vector<std::string> kPredictors = {"basic", "means", "zscore", "baseline"};

size_t position(const std::vector<std::string>& list, const std::string& v) {
  return static_cast<size_t>(std::find(list.begin(), list.end(), v) - list.begin());
}

// The rating of item j in a row sorted by item, NaN when absent.
inline float rating_in(const SparseRow& r, int32_t j) {
  const int32_t* p = std::lower_bound(r.index, r.index + r.n, j);
  return (p != r.index + r.n && *p == j) ? r.value[p - r.index]
                                         : std::numeric_limits<float>::quiet_NaN();
}

}  // namespace

KnnOptions KnnOptions::read(Options& o) {
  KnnOptions k;
  k.spec.kind = static_cast<KnnKind>(position(kKinds, o.choice("kind", "item", kKinds)));
  const std::string sim = o.choice("similarity", "cosine", kSimilarities);
  k.spec.similarity = static_cast<Similarity>(position(kSimilarities, sim));
  if (o.has("shrinkage") && k.spec.similarity != Similarity::PearsonBaseline)
    throw Error(ErrorKind::InvalidParameter,
                "option \"shrinkage\" applies only to similarity \"pearson_baseline\"",
                "Remove shrinkage or set \"similarity\": \"pearson_baseline\".");
  k.spec.shrinkage = o.number("shrinkage", 100, 0, 1e6);
  k.spec.min_support = static_cast<int32_t>(o.integer("min_support", 1, 1, 1000000));
  k.k = static_cast<int32_t>(o.integer("k", 40, 1, kMaxK));
  k.min_k = static_cast<int32_t>(o.integer("min_k", 1, 1, kMaxK));
  k.predictor = static_cast<KnnPredictor>(
      position(kPredictors, o.choice("predictor", "basic", kPredictors)));
  k.spec.max_neighbors = static_cast<int32_t>(
      o.integer("max_neighbors", kDefaultMaxNeighbors, 1, kMaxNeighborsLimit));
  if (k.min_k > k.k)
    throw Error(ErrorKind::InvalidParameter,
                "option \"min_k\" (" + std::to_string(k.min_k) + ") must not exceed k (" +
                    std::to_string(k.k) + ")",
                "Lower min_k or raise k.");
  if (k.k > k.spec.max_neighbors)
    throw Error(ErrorKind::InvalidParameter,
                "option \"k\" (" + std::to_string(k.k) + ") exceeds max_neighbors (" +
                    std::to_string(k.spec.max_neighbors) + "), the neighbours stored per row",
                "Raise max_neighbors or lower k.");
  return k;
}

std::unique_ptr<Model> make_knn_model(Options& options) {
  return std::make_unique<KnnModel>(KnnOptions::read(options));
}

struct KnnModel::UserStats {
  double bias = 0;   // b_u (folded in for a new user)
  double mean = 0;   // user-based: mu_u
  double sigma = 1;  // user-based: sigma_u
};

struct KnnModel::Term {
  int32_t index;
  float rating;
  float sim;
  double deviation;
};

struct KnnModel::NeighborList {
  const int32_t* index = nullptr;
  const float* sim = nullptr;
  size_t n = 0;
  std::vector<Neighbor> own;  // a new user's neighbours
};

void KnnModel::fit(const TrainingData& data, FitContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  m_ = data.ratings;
  b_ = data.baseline;
  inputs_ = std::make_unique<SimilarityInputs>(*m_, *b_, opt_.spec);
  graph_ = compute_neighbor_graph(*inputs_, ctx);
  ctx.check_interrupt();
  prepare();
  char buf[200];
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::snprintf(buf, sizeof buf, "knn: %d %s, %zu neighbours kept (%.1f per row) in %.2f s",
                graph_.rows(), opt_.spec.kind == KnnKind::Item ? "items" : "users",
                graph_.nnz(),
                graph_.rows() ? static_cast<double>(graph_.nnz()) / graph_.rows() : 0.0, secs);
  ctx.notice(buf);
}

void KnnModel::prepare() {
  if (!inputs_) inputs_ = std::make_unique<SimilarityInputs>(*m_, *b_, opt_.spec);
  inputs_->release_for_serving();
  // Population standard deviations (numpy's np.std, as Surprise); 0 => the overall one.
  double sum = 0, sq = 0;
  for (float v : m_->user_values()) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  const double nnz = static_cast<double>(std::max<size_t>(m_->nnz(), 1));
  overall_sigma_ = std::sqrt(std::max(0.0, sq / nnz - (sum / nnz) * (sum / nnz)));
  if (!(overall_sigma_ > 1e-12)) overall_sigma_ = 1;
  const bool item = opt_.spec.kind == KnnKind::Item;
  const int32_t n_x = item ? m_->n_items() : m_->n_users();
  x_sigma_.assign(static_cast<size_t>(n_x), static_cast<float>(overall_sigma_));
  for (int32_t x = 0; x < n_x; ++x) {
    SparseRow r = item ? m_->item(x) : m_->user(x);
    const double mean = item ? inputs_->item_mean[x] : inputs_->user_mean[x];
    double ss = 0;
    for (size_t k = 0; k < r.n; ++k) ss += (r.value[k] - mean) * (r.value[k] - mean);
    const double sd = r.n ? std::sqrt(ss / static_cast<double>(r.n)) : 0.0;
    if (sd > 1e-6) x_sigma_[x] = static_cast<float>(sd);
  }
  reverse_ = NeighborGraph();
  if (!item) return;
  // The transpose of the graph, for scoring all items from the few the user rated.
  reverse_.ptr.assign(graph_.ptr.size(), 0);
  for (int32_t j : graph_.index) ++reverse_.ptr[static_cast<size_t>(j) + 1];
  for (size_t k = 1; k < reverse_.ptr.size(); ++k) reverse_.ptr[k] += reverse_.ptr[k - 1];
  reverse_.index.resize(graph_.nnz());
  reverse_.sim.resize(graph_.nnz());
  std::vector<int64_t> fill(reverse_.ptr.begin(), reverse_.ptr.end() - 1);
  for (int32_t i = 0; i < graph_.rows(); ++i)
    for (int64_t e = graph_.ptr[i]; e < graph_.ptr[i + 1]; ++e) {
      const int64_t at = fill[graph_.index[e]]++;
      reverse_.index[at] = i;
      reverse_.sim[at] = graph_.sim[e];
    }
}

KnnModel::UserStats KnnModel::user_stats(const UserProfile& user) const {
  UserStats st;
  const SparseRow& r = user.ratings;
  st.bias = user.index >= 0 ? b_->user[user.index] : b_->fold_in_user(r);
  if (opt_.spec.kind != KnnKind::User) return st;
  if (user.index >= 0) {
    st.mean = inputs_->user_mean[user.index];
    st.sigma = x_sigma_[user.index];
    return st;
  }
  if (r.n == 0) {
    st.mean = m_->mean();
    st.sigma = overall_sigma_;
    return st;
  }
  double sum = 0;
  for (size_t k = 0; k < r.n; ++k) sum += r.value[k];
  st.mean = sum / static_cast<double>(r.n);
  double ss = 0;
  for (size_t k = 0; k < r.n; ++k) ss += (r.value[k] - st.mean) * (r.value[k] - st.mean);
  const double sd = std::sqrt(ss / static_cast<double>(r.n));
  st.sigma = sd > 1e-6 ? sd : overall_sigma_;
  return st;
}

KnnModel::NeighborList KnnModel::user_neighbors(const UserProfile& user,
                                                const UserStats& st) const {
  NeighborList l;
  if (user.index >= 0) {
    const int64_t b = graph_.ptr[user.index], e = graph_.ptr[user.index + 1];
    l.index = graph_.index.data() + b;
    l.sim = graph_.sim.data() + b;
    l.n = static_cast<size_t>(e - b);
    return l;
  }
  // A new user: similarities to the training users through the items both rated.
  l.own = new_user_neighbors(*inputs_, user.ratings, st.bias);
  return l;
}

double KnnModel::item_deviation(const UserStats& st, int32_t j, float r) const {
  switch (opt_.predictor) {
    case KnnPredictor::Basic:
      return r;
    case KnnPredictor::Means:
      return r - inputs_->item_mean[j];
    case KnnPredictor::ZScore:
      return (r - inputs_->item_mean[j]) / x_sigma_[j];
    case KnnPredictor::Baseline:
      return r - (b_->mean + st.bias + b_->item[j]);
  }
  return r;
}

double KnnModel::user_deviation(int32_t v, int32_t item, float r) const {
  switch (opt_.predictor) {
    case KnnPredictor::Basic:
      return r;
    case KnnPredictor::Means:
      return r - inputs_->user_mean[v];
    case KnnPredictor::ZScore:
      return (r - inputs_->user_mean[v]) / x_sigma_[v];
    case KnnPredictor::Baseline:
      return r - (b_->mean + b_->user[v] + b_->item[item]);
  }
  return r;
}

double KnnModel::scale(const UserStats& st, int32_t item) const {
  if (opt_.predictor != KnnPredictor::ZScore) return 1;
  return opt_.spec.kind == KnnKind::Item ? static_cast<double>(x_sigma_[item]) : st.sigma;
}

// base + scale * num / den, or Surprise's fallback with too few neighbours.
double KnnModel::finish(const UserStats& st, int32_t item, int32_t count, double num,
                        double den) const {
  const bool item_based = opt_.spec.kind == KnnKind::Item;
  double base = 0;
  switch (opt_.predictor) {
    case KnnPredictor::Basic:
      if (count < opt_.min_k || !(den > 0)) return m_->mean();
      return num / den;
    case KnnPredictor::Means:
    case KnnPredictor::ZScore:
      base = item_based ? static_cast<double>(inputs_->item_mean[item]) : st.mean;
      break;
    case KnnPredictor::Baseline:
      base = b_->mean + st.bias + b_->item[item];
      break;
  }
  if (count < opt_.min_k || !(den > 0)) return base;
  return base + scale(st, item) * num / den;
}

void KnnModel::select_terms(const UserProfile& user, const UserStats& st,
                            const NeighborList* nbrs, int32_t item,
                            std::vector<Term>& terms) const {
  terms.clear();
  const size_t k = static_cast<size_t>(opt_.k);
  if (opt_.spec.kind == KnnKind::Item) {
    for (int64_t e = graph_.ptr[item]; e < graph_.ptr[item + 1] && terms.size() < k; ++e) {
      const int32_t j = graph_.index[e];
      const float r = rating_in(user.ratings, j);
      if (std::isnan(r)) continue;
      terms.push_back({j, r, graph_.sim[e], item_deviation(st, j, r)});
    }
    return;
  }
  const bool own = !nbrs->own.empty();
  const size_t n = own ? nbrs->own.size() : nbrs->n;
  for (size_t p = 0; p < n && terms.size() < k; ++p) {
    const int32_t v = own ? nbrs->own[p].index : nbrs->index[p];
    const float s = own ? nbrs->own[p].sim : nbrs->sim[p];
    const float r = rating_in(m_->user(v), item);
    if (std::isnan(r)) continue;
    terms.push_back({v, r, s, user_deviation(v, item, r)});
  }
}

double KnnModel::predict(const UserProfile& user, int32_t item) const {
  const UserStats st = user_stats(user);
  NeighborList nbrs;
  if (opt_.spec.kind == KnnKind::User) nbrs = user_neighbors(user, st);
  std::vector<Term> terms;
  terms.reserve(static_cast<size_t>(opt_.k));
  select_terms(user, st, &nbrs, item, terms);
  double num = 0, den = 0;
  for (const Term& t : terms) {
    num += static_cast<double>(t.sim) * t.deviation;
    den += t.sim;
  }
  return finish(st, item, static_cast<int32_t>(terms.size()), num, den);
}

std::vector<Contribution> KnnModel::explain(const UserProfile& user, int32_t item) const {
  const UserStats st = user_stats(user);
  NeighborList nbrs;
  if (opt_.spec.kind == KnnKind::User) nbrs = user_neighbors(user, st);
  std::vector<Term> terms;
  select_terms(user, st, &nbrs, item, terms);
  double den = 0;
  for (const Term& t : terms) den += t.sim;
  std::vector<Contribution> out;
  // With too few neighbours the prediction is the fallback: no term contributed.
  if (static_cast<int32_t>(terms.size()) < opt_.min_k || !(den > 0)) return out;
  const double sc = scale(st, item);
  for (const Term& t : terms)
    out.push_back({t.index, t.rating, t.sim, sc * t.sim * t.deviation / den});
  std::stable_sort(out.begin(), out.end(), [](const Contribution& a, const Contribution& b) {
    return a.contribution > b.contribution;
  });
  return out;
}

void KnnModel::score(const UserProfile& user, float* out) const {
  const UserStats st = user_stats(user);
  if (opt_.spec.kind == KnnKind::Item)
    score_items(user, st, out);
  else
    score_users(user, st, out);
}

void KnnModel::score_items(const UserProfile& user, const UserStats& st, float* out) const {
  const int32_t n_items = m_->n_items();
  const SparseRow& r = user.ratings;
  // Deviations of the rated items, NaN for the others: the dense map of the user's ratings.
  std::vector<float> dev(static_cast<size_t>(n_items), std::numeric_limits<float>::quiet_NaN());
  double inverted_cost = 0;
  for (size_t p = 0; p < r.n; ++p) {
    const int32_t j = r.index[p];
    dev[j] = static_cast<float>(item_deviation(st, j, r.value[p]));
    inverted_cost += static_cast<double>(reverse_.ptr[j + 1] - reverse_.ptr[j]);
  }
  const int32_t k = opt_.k;
  // Walks item i's list until k rated neighbours are found.
  auto forward = [&](int32_t i) {
    double num = 0, den = 0;
    int32_t c = 0;
    for (int64_t e = graph_.ptr[i]; e < graph_.ptr[i + 1]; ++e) {
      const float d = dev[graph_.index[e]];
      if (std::isnan(d)) continue;
      num += static_cast<double>(graph_.sim[e]) * d;
      den += graph_.sim[e];
      if (++c == k) break;
    }
    out[i] = static_cast<float>(finish(st, i, c, num, den));
  };
  // A forward walk stops after about k / density entries; the inverted pass touches the
  // lists that hold the rated items. Take the cheaper (both give the same neighbours).
  const double avg_len = n_items ? static_cast<double>(graph_.nnz()) / n_items : 0.0;
  const double density = static_cast<double>(std::max<size_t>(r.n, 1)) / std::max(n_items, 1);
  const double forward_cost = n_items * std::min(avg_len, k / density);
  if (inverted_cost >= forward_cost) {
    for (int32_t i = 0; i < n_items; ++i) forward(i);
    return;
  }
  std::vector<int32_t> cnt(static_cast<size_t>(n_items), 0);
  std::vector<double> num(static_cast<size_t>(n_items), 0.0), den(static_cast<size_t>(n_items), 0.0);
  for (size_t p = 0; p < r.n; ++p) {
    const int32_t j = r.index[p];
    const double d = dev[j];
    for (int64_t e = reverse_.ptr[j]; e < reverse_.ptr[j + 1]; ++e) {
      const int32_t i = reverse_.index[e];
      ++cnt[i];
      num[i] += static_cast<double>(reverse_.sim[e]) * d;
      den[i] += reverse_.sim[e];
    }
  }
  for (int32_t i = 0; i < n_items; ++i) {
    if (cnt[i] > k)
      forward(i);  // more rated neighbours than k: only the k best count
    else
      out[i] = static_cast<float>(finish(st, i, cnt[i], num[i], den[i]));
  }
}

void KnnModel::score_users(const UserProfile& user, const UserStats& st, float* out) const {
  const int32_t n_items = m_->n_items();
  const NeighborList nbrs = user_neighbors(user, st);
  std::vector<int32_t> cnt(static_cast<size_t>(n_items), 0);
  std::vector<double> num(static_cast<size_t>(n_items), 0.0), den(static_cast<size_t>(n_items), 0.0);
  const bool own = !nbrs.own.empty();
  const size_t n = own ? nbrs.own.size() : nbrs.n;
  // Neighbours best first: the first k that rated an item are its k best.
  for (size_t p = 0; p < n; ++p) {
    const int32_t v = own ? nbrs.own[p].index : nbrs.index[p];
    const double s = own ? nbrs.own[p].sim : nbrs.sim[p];
    SparseRow rv = m_->user(v);
    for (size_t q = 0; q < rv.n; ++q) {
      const int32_t i = rv.index[q];
      if (cnt[i] >= opt_.k) continue;
      ++cnt[i];
      num[i] += s * user_deviation(v, i, rv.value[q]);
      den[i] += s;
    }
  }
  for (int32_t i = 0; i < n_items; ++i)
    out[i] = static_cast<float>(finish(st, i, cnt[i], num[i], den[i]));
}

std::vector<ScoredIndex> KnnModel::similar_items(int32_t item, size_t n) const {
  std::vector<ScoredIndex> out;
  if (opt_.spec.kind != KnnKind::Item || item < 0 || item >= graph_.rows()) return out;
  for (int64_t e = graph_.ptr[item]; e < graph_.ptr[item + 1] && out.size() < n; ++e)
    out.push_back({graph_.index[e], graph_.sim[e]});
  return out;
}

void KnnModel::save(Writer& w) const {
  w.put<uint32_t>(kKnnFormat);
  w.put<uint8_t>(static_cast<uint8_t>(opt_.spec.kind));
  w.put<uint8_t>(static_cast<uint8_t>(opt_.spec.similarity));
  w.put<uint8_t>(static_cast<uint8_t>(opt_.predictor));
  w.put<int32_t>(opt_.k);
  w.put<int32_t>(opt_.min_k);
  w.put<int32_t>(opt_.spec.min_support);
  w.put<int32_t>(opt_.spec.max_neighbors);
  w.put<double>(opt_.spec.shrinkage);
  w.put_vector(graph_.ptr);
  w.put_vector(graph_.index);
  w.put_vector(graph_.sim);
}

void KnnModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint32_t>() != kKnnFormat) Reader::corrupt("unknown knn format version");
  KnnOptions o;
  const uint8_t kind = r.get<uint8_t>(), sim = r.get<uint8_t>(), pred = r.get<uint8_t>();
  if (kind > 1 || sim > 4 || pred > 3) Reader::corrupt("knn variant");
  o.spec.kind = static_cast<KnnKind>(kind);
  o.spec.similarity = static_cast<Similarity>(sim);
  o.predictor = static_cast<KnnPredictor>(pred);
  o.k = r.get<int32_t>();
  o.min_k = r.get<int32_t>();
  o.spec.min_support = r.get<int32_t>();
  o.spec.max_neighbors = r.get<int32_t>();
  o.spec.shrinkage = r.get<double>();
  if (o.spec.max_neighbors < 1 || o.spec.max_neighbors > kMaxNeighborsLimit || o.k < 1 ||
      o.k > o.spec.max_neighbors || o.min_k < 1 || o.min_k > o.k || o.spec.min_support < 1 ||
      !(o.spec.shrinkage >= 0 && o.spec.shrinkage <= 1e6))
    Reader::corrupt("knn parameters out of range");

  const int32_t n_x =
      o.spec.kind == KnnKind::Item ? data.ratings->n_items() : data.ratings->n_users();
  NeighborGraph g;
  g.ptr = r.get_vector_exact<int64_t>(static_cast<uint64_t>(n_x) + 1);
  const int64_t nnz = g.ptr.back();
  if (g.ptr[0] != 0 || nnz < 0 ||
      static_cast<uint64_t>(nnz) > static_cast<uint64_t>(n_x) * o.spec.max_neighbors)
    Reader::corrupt("knn neighbour offsets");
  g.index = r.get_vector_exact<int32_t>(static_cast<uint64_t>(nnz));
  g.sim = r.get_vector_exact<float>(static_cast<uint64_t>(nnz));
  // Every row: within bounds, no self or repeated neighbour, similarities in (0, 1], best first.
  std::vector<int32_t> seen(static_cast<size_t>(n_x), -1);
  for (int32_t x = 0; x < n_x; ++x) {
    const int64_t b = g.ptr[x], e = g.ptr[x + 1];
    if (e < b || e > nnz || e - b > o.spec.max_neighbors) Reader::corrupt("knn neighbour offsets");
    for (int64_t p = b; p < e; ++p) {
      const int32_t j = g.index[p];
      if (j < 0 || j >= n_x || j == x || seen[j] == x) Reader::corrupt("knn neighbour index");
      seen[j] = x;
      const float s = g.sim[p];
      if (!(s > 0 && s <= 1.0f + 1e-5f) || (p > b && s > g.sim[p - 1]))
        Reader::corrupt("knn similarity");
    }
  }
  opt_ = o;
  m_ = data.ratings;
  b_ = data.baseline;
  graph_ = std::move(g);
  inputs_.reset();
  prepare();
}

}  // namespace autorec
