// The knn model: options, training (the neighbour graph), predictions, scoring of all items,
// explanations and the validated model format.
#include "core/models/knn/knn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/models/baseline.hpp"
#include "core/options/options.hpp"
#include "core/serialize.hpp"

namespace autorec {

namespace {

constexpr uint32_t kKnnFormat = 1;
constexpr int32_t kMaxK = 10000;
constexpr int32_t kMaxNeighborsLimit = 100000;
constexpr int32_t kDefaultMaxNeighbors = 250;

// (Functions, not namespace-scope objects: no code of an instruction-set variant may run
// before the level is chosen, and a global constructor would, at load; see core/isa.hpp.)
const std::vector<std::string>& kind_names() {
  static const std::vector<std::string> v = {"item", "user"};
  return v;
}
const std::vector<std::string>& similarity_names() {
  static const std::vector<std::string> v = {"cosine", "pearson", "adjusted_cosine", "msd",
                                            "pearson_baseline"};
  return v;
}
const std::vector<std::string>& predictor_names() {
  static const std::vector<std::string> v = {"basic", "means", "zscore", "baseline"};
  return v;
}

size_t position(const std::vector<std::string>& list, const std::string& v) {
  return static_cast<size_t>(std::find(list.begin(), list.end(), v) - list.begin());
}

}  // namespace

KnnOptions KnnOptions::read(Options& o) {
  KnnOptions k;
  k.spec.kind =
      static_cast<KnnKind>(position(kind_names(), o.choice("kind", "item", kind_names())));
  const std::string sim = o.choice("similarity", "cosine", similarity_names());
  k.spec.similarity = static_cast<KnnSimilarity>(position(similarity_names(), sim));
  if (o.has("shrinkage") && k.spec.similarity != KnnSimilarity::PearsonBaseline)
    throw Error(ErrorKind::InvalidParameter,
                "option \"shrinkage\" applies only to similarity \"pearson_baseline\"",
                "Remove shrinkage or set \"similarity\": \"pearson_baseline\".");
  // Read only where it applies, so that the effective options name it only there.
  if (k.spec.similarity == KnnSimilarity::PearsonBaseline)
    k.spec.shrinkage = o.number("shrinkage", k.spec.shrinkage, 0, 1e6);
  k.spec.min_support = static_cast<int32_t>(o.integer("min_support", 1, 1, 1000000));
  k.k = static_cast<int32_t>(o.integer("k", 40, 1, kMaxK));
  k.min_k = static_cast<int32_t>(o.integer("min_k", 1, 1, kMaxK));
  k.predictor =
      static_cast<KnnPredictor>(position(predictor_names(), o.choice("predictor", "basic",
                                                                     predictor_names())));
  k.spec.max_neighbors =
      static_cast<int32_t>(o.integer("max_neighbors", kDefaultMaxNeighbors, 1, kMaxNeighborsLimit));
  k.spec.prune_shrinkage = o.number("prune_shrinkage", 20, 0, 1e6);
  if (o.has("damping") && k.predictor == KnnPredictor::Basic)
    throw Error(ErrorKind::InvalidParameter,
                "option \"damping\" does not apply to predictor \"basic\"",
                "Use damping with predictor means, zscore or baseline.");
  k.damping =
      k.predictor == KnnPredictor::Basic ? 0 : o.number("damping", kDefaultDamping, 0, 1e6);
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
  const KnnNeighbor* begin = nullptr;
  const KnnNeighbor* end = nullptr;
  std::vector<KnnNeighbor> own;  // a new user's neighbours
};

void KnnModel::fit(const TrainingData& data, FitContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  m_ = data.ratings;
  b_ = data.baseline;
  inputs_ = std::make_unique<KnnSimilarityInputs>(*m_, *b_, opt_.spec);
  graph_ = compute_neighbor_graph(*inputs_, ctx);
  ctx.check_interrupt();
  prepare();
  char buf[200];
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::snprintf(buf, sizeof buf, "knn: %d %s, %zu neighbours kept (%.1f per row) in %.2f s",
                graph_.rows(), opt_.spec.kind == KnnKind::Item ? "items" : "users", graph_.nnz(),
                graph_.rows() ? static_cast<double>(graph_.nnz()) / graph_.rows() : 0.0, secs);
  ctx.notice(buf);
}

MemoryEstimate KnnModel::estimated_memory(const TrainingSize& size) const {
  const bool item = opt_.spec.kind == KnnKind::Item;
  const double n_x = item ? size.n_items : size.n_users;
  const double nnz = static_cast<double>(size.nnz), entities = size.n_users + size.n_items;
  // Neighbour entries: at most max_neighbors per row, and never more than the other rows.
  const double entries = n_x * std::min<double>(opt_.spec.max_neighbors, std::max(0.0, n_x - 1));
  MemoryEstimate m;
  // Kept: the graph (an 8-byte entry per neighbour) and its transpose (12 bytes), row offsets,
  // the per-row statistics and the similarity inputs kept for fold-in.
  m.kept = static_cast<size_t>(20 * entries + 16 * n_x + 8 * nnz + 16 * entities);
  // Training: per-row lists and the CSR graph while assembling (8 + 8 bytes an entry), then
  // the graph and its transpose; 48 bytes of pair sums per row and thread.
  m.training = m.kept + static_cast<size_t>(48 * n_x * size.threads);
  m.saved = static_cast<size_t>(8 * entries + 8 * n_x);
  return m;
}

void KnnModel::prepare() {
  if (!inputs_) inputs_ = std::make_unique<KnnSimilarityInputs>(*m_, *b_, opt_.spec);
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
  reverse_ptr_.clear();
  reverse_.clear();
  if (!item) return;
  // The transpose of the graph, for scoring all items from the few the user rated.
  reverse_ptr_.assign(graph_.ptr.size(), 0);
  for (const KnnNeighbor& nb : graph_.nbr) ++reverse_ptr_[static_cast<size_t>(nb.index) + 1];
  for (size_t k = 1; k < reverse_ptr_.size(); ++k) reverse_ptr_[k] += reverse_ptr_[k - 1];
  reverse_.resize(graph_.nnz());
  std::vector<int64_t> fill(reverse_ptr_.begin(), reverse_ptr_.end() - 1);
  for (int32_t i = 0; i < graph_.rows(); ++i)
    for (const KnnNeighbor* p = graph_.begin(i); p != graph_.end(i); ++p)
      reverse_[fill[p->index]++] = {i, p->sim};
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
    l.begin = graph_.begin(user.index);
    l.end = graph_.end(user.index);
    return l;
  }
  // A new user: similarities to the training users through the items both rated.
  l.own = new_user_neighbors(*inputs_, user.ratings, st.bias);
  l.begin = l.own.data();
  l.end = l.own.data() + l.own.size();
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
  return base + scale(st, item) * num / (den + opt_.damping);
}

namespace {

// A per-thread dense map from index to rating, NaN where absent; all NaN between calls.
float* lookup_scratch(size_t n) {
  thread_local std::vector<float> map;
  if (map.size() != n) map.assign(n, std::numeric_limits<float>::quiet_NaN());
  return map.data();
}

}  // namespace

void KnnModel::select_terms(const UserProfile& user, const UserStats& st, const NeighborList* nbrs,
                            int32_t item, std::vector<Term>& terms) const {
  terms.clear();
  const size_t k = static_cast<size_t>(opt_.k);
  const bool item_based = opt_.spec.kind == KnnKind::Item;
  // The ratings the neighbours are looked up in: the user's (item-based) or the item's
  // (user-based), as a dense map so that walking a neighbour list costs one load per entry.
  const SparseRow src = item_based ? user.ratings : m_->item(item);
  float* map = lookup_scratch(static_cast<size_t>(item_based ? m_->n_items() : m_->n_users()));
  for (size_t p = 0; p < src.n; ++p) map[src.index[p]] = src.value[p];
  const KnnNeighbor* begin = item_based ? graph_.begin(item) : nbrs->begin;
  const KnnNeighbor* end = item_based ? graph_.end(item) : nbrs->end;
  for (const KnnNeighbor* p = begin; p != end && terms.size() < k; ++p) {
    const float r = map[p->index];
    if (std::isnan(r)) continue;
    terms.push_back(
        {p->index, r, p->sim,
         item_based ? item_deviation(st, p->index, r) : user_deviation(p->index, item, r)});
  }
  for (size_t p = 0; p < src.n; ++p) map[src.index[p]] = std::numeric_limits<float>::quiet_NaN();
}

double KnnModel::predict(const UserProfile& user, int32_t item) const {
  const UserStats st = user_stats(user);
  NeighborList nbrs;
  if (opt_.spec.kind == KnnKind::User) nbrs = user_neighbors(user, st);
  thread_local std::vector<Term> terms;  // predict() runs once per rating in evaluations
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
  const double total = opt_.predictor == KnnPredictor::Basic ? den : den + opt_.damping;
  for (const Term& t : terms)
    out.push_back({t.index, t.rating, t.sim, sc * t.sim * t.deviation / total});
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

namespace {

// Per-target sums of one scoring call, packed so that an update touches one cache line.
struct TargetSums {
  double num;
  double den;
  int32_t count;
};

// The user's deviation of a rated item with weight 1; {0, 0} for the items not rated, so that
// walking a neighbour list needs no branch per entry.
struct RatedItem {
  float dev;
  float rated;
};

// Per-thread buffers, reused across calls: score() is on the hot path of recommend() and may
// run on several threads at once (evaluation). All are zero between calls.
struct ScoreScratch {
  std::vector<RatedItem> rated;
  std::vector<TargetSums> sums;
};
ScoreScratch& score_scratch(size_t n_items) {
  thread_local ScoreScratch s;
  if (s.rated.size() != n_items) {
    s.rated.assign(n_items, RatedItem{0, 0});
    s.sums.assign(n_items, TargetSums{0, 0, 0});
  }
  return s;
}

// Sums over the first k rated entries of a neighbour list (best first). Blocks of four entries
// run without branches on two accumulators while k cannot be reached inside the block.
inline int32_t first_k_rated(const KnnNeighbor* p, const KnnNeighbor* end, const RatedItem* rated,
                             int32_t k, double& num_out, double& den_out) {
  double num0 = 0, num1 = 0, den0 = 0, den1 = 0;
  float c = 0;
  const float kf = static_cast<float>(k);
  while (end - p >= 4 && c + 4 <= kf) {
    const RatedItem a = rated[p[0].index], b = rated[p[1].index], d = rated[p[2].index],
                    e = rated[p[3].index];
    num0 += static_cast<double>(p[0].sim * a.dev) + static_cast<double>(p[2].sim * d.dev);
    num1 += static_cast<double>(p[1].sim * b.dev) + static_cast<double>(p[3].sim * e.dev);
    den0 += static_cast<double>(p[0].sim * a.rated + p[2].sim * d.rated);
    den1 += static_cast<double>(p[1].sim * b.rated + p[3].sim * e.rated);
    c += a.rated + b.rated + d.rated + e.rated;
    p += 4;
  }
  for (; p != end && c < kf; ++p) {
    const RatedItem a = rated[p->index];
    num0 += static_cast<double>(p->sim * a.dev);
    den0 += static_cast<double>(p->sim * a.rated);
    c += a.rated;
  }
  num_out = num0 + num1;
  den_out = den0 + den1;
  return static_cast<int32_t>(c);
}

// Takes the last `extra` rated entries of a neighbour list (walking back from `end`) out of
// sums over all its rated entries, which leaves the sums over the first ones. Products are
// formed in double as in the inverted pass, so what is taken out is what was added.
inline void drop_last_rated(const KnnNeighbor* begin, const KnnNeighbor* end,
                            const RatedItem* rated, int32_t extra, double& num, double& den) {
  double num0 = 0, num1 = 0, den0 = 0, den1 = 0;
  float c = 0;
  const float ef = static_cast<float>(extra);
  const KnnNeighbor* p = end;
  while (p - begin >= 4 && c + 4 <= ef) {
    p -= 4;
    const RatedItem a = rated[p[0].index], b = rated[p[1].index], d = rated[p[2].index],
                    e = rated[p[3].index];
    num0 += static_cast<double>(p[0].sim) * a.dev + static_cast<double>(p[2].sim) * d.dev;
    num1 += static_cast<double>(p[1].sim) * b.dev + static_cast<double>(p[3].sim) * e.dev;
    den0 += static_cast<double>(p[0].sim) * a.rated + static_cast<double>(p[2].sim) * d.rated;
    den1 += static_cast<double>(p[1].sim) * b.rated + static_cast<double>(p[3].sim) * e.rated;
    c += a.rated + b.rated + d.rated + e.rated;
  }
  while (c < ef && p != begin) {
    --p;
    const RatedItem a = rated[p->index];
    num0 += static_cast<double>(p->sim) * a.dev;
    den0 += static_cast<double>(p->sim) * a.rated;
    c += a.rated;
  }
  num -= num0 + num1;
  den -= den0 + den1;
}

}  // namespace

void KnnModel::score_items(const UserProfile& user, const UserStats& st, float* out) const {
  const int32_t n_items = m_->n_items();
  const SparseRow& r = user.ratings;
  ScoreScratch& scratch = score_scratch(static_cast<size_t>(n_items));
  // The dense map of the user's ratings (restored to zeros before returning).
  RatedItem* rated = scratch.rated.data();
  double inverted_cost = 0;
  for (size_t p = 0; p < r.n; ++p) {
    const int32_t j = r.index[p];
    rated[j] = {static_cast<float>(item_deviation(st, j, r.value[p])), 1.0f};
    inverted_cost += static_cast<double>(reverse_ptr_[j + 1] - reverse_ptr_[j]);
  }
  const int32_t k = opt_.k;
  // Walking every list costs about min(length, k / density) entries per item; the inverted
  // pass touches only the lists that hold a rated item. Take the cheaper: same neighbours.
  // An inverted entry (a scattered update, plus its share of the recount) costs about
  // kInvertedEntryCost sequential steps of a walk: measured on ML-100K with an interleaved A/B
  // of factors 1 to 6 (4 was fastest for pearson_baseline and cosine, 26% and 39% below 1).
  constexpr double kInvertedEntryCost = 4;
  const double avg_len = n_items ? static_cast<double>(graph_.nnz()) / n_items : 0.0;
  const double density = static_cast<double>(std::max<size_t>(r.n, 1)) / std::max(n_items, 1);
  const double forward_cost = n_items * std::min(avg_len, k / density);
  if (kInvertedEntryCost * inverted_cost >= forward_cost) {
    for (int32_t i = 0; i < n_items; ++i) {
      double num, den;
      const int32_t c = first_k_rated(graph_.begin(i), graph_.end(i), rated, k, num, den);
      out[i] = static_cast<float>(finish(st, i, c, num, den));
    }
  } else {
    // Sum over all rated neighbours of every target, counting them; where more than k were
    // found, the k best are the first k rated in the target's list: from whichever end of the
    // list is nearer, sum those afresh or take the others back.
    TargetSums* sums = scratch.sums.data();
    for (size_t p = 0; p < r.n; ++p) {
      const int32_t j = r.index[p];
      const double d = rated[j].dev;
      const ReverseEntry* end = reverse_.data() + reverse_ptr_[j + 1];
      for (const ReverseEntry* q = reverse_.data() + reverse_ptr_[j]; q != end; ++q) {
        TargetSums& t = sums[q->target];
        t.num += q->sim * d;
        t.den += q->sim;
        ++t.count;
      }
    }
    for (int32_t i = 0; i < n_items; ++i) {
      TargetSums& t = sums[i];
      int32_t count = t.count;
      if (count > 2 * k) {
        count = first_k_rated(graph_.begin(i), graph_.end(i), rated, k, t.num, t.den);
      } else if (count > k) {
        drop_last_rated(graph_.begin(i), graph_.end(i), rated, count - k, t.num, t.den);
        count = k;
      }
      out[i] = static_cast<float>(finish(st, i, count, t.num, t.den));
      t = TargetSums{0, 0, 0};
    }
  }
  for (size_t p = 0; p < r.n; ++p) rated[r.index[p]] = RatedItem{0, 0};
}

void KnnModel::score_users(const UserProfile& user, const UserStats& st, float* out) const {
  const int32_t n_items = m_->n_items();
  const NeighborList nbrs = user_neighbors(user, st);
  TargetSums* sums = score_scratch(static_cast<size_t>(n_items)).sums.data();
  // Neighbours best first: the first k that rated an item are its k best.
  for (const KnnNeighbor* p = nbrs.begin; p != nbrs.end; ++p) {
    const double s = p->sim;
    SparseRow rv = m_->user(p->index);
    for (size_t q = 0; q < rv.n; ++q) {
      TargetSums& t = sums[rv.index[q]];
      if (t.count >= opt_.k) continue;
      ++t.count;
      t.num += s * user_deviation(p->index, rv.index[q], rv.value[q]);
      t.den += s;
    }
  }
  for (int32_t i = 0; i < n_items; ++i) {
    TargetSums& t = sums[i];
    out[i] = static_cast<float>(finish(st, i, t.count, t.num, t.den));
    t = TargetSums{0, 0, 0};
  }
}

std::vector<ScoredIndex> KnnModel::similar_items(int32_t item, size_t n) const {
  std::vector<ScoredIndex> out;
  if (opt_.spec.kind != KnnKind::Item || item < 0 || item >= graph_.rows()) return out;
  for (const KnnNeighbor* p = graph_.begin(item); p != graph_.end(item) && out.size() < n; ++p)
    out.push_back({p->index, p->sim});
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
  w.put<double>(opt_.spec.prune_shrinkage);
  w.put<double>(opt_.damping);
  w.put_vector(graph_.ptr);
  w.put_vector(graph_.nbr);
}

void KnnModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint32_t>() != kKnnFormat) Reader::corrupt("unknown knn format version");
  KnnOptions o;
  const uint8_t kind = r.get<uint8_t>(), sim = r.get<uint8_t>(), pred = r.get<uint8_t>();
  if (kind > 1 || sim > 4 || pred > 3) Reader::corrupt("knn variant");
  o.spec.kind = static_cast<KnnKind>(kind);
  o.spec.similarity = static_cast<KnnSimilarity>(sim);
  o.predictor = static_cast<KnnPredictor>(pred);
  o.k = r.get<int32_t>();
  o.min_k = r.get<int32_t>();
  o.spec.min_support = r.get<int32_t>();
  o.spec.max_neighbors = r.get<int32_t>();
  o.spec.shrinkage = r.get<double>();
  o.spec.prune_shrinkage = r.get<double>();
  o.damping = r.get<double>();
  if (o.spec.max_neighbors < 1 || o.spec.max_neighbors > kMaxNeighborsLimit || o.k < 1 ||
      o.k > o.spec.max_neighbors || o.min_k < 1 || o.min_k > o.k || o.spec.min_support < 1 ||
      !(o.spec.shrinkage >= 0 && o.spec.shrinkage <= 1e6) ||
      !(o.spec.prune_shrinkage >= 0 && o.spec.prune_shrinkage <= 1e6) ||
      !(o.damping >= 0 && o.damping <= 1e6) ||
      (o.damping != 0 && o.predictor == KnnPredictor::Basic))
    Reader::corrupt("knn parameters out of range");

  const int32_t n_x =
      o.spec.kind == KnnKind::Item ? data.ratings->n_items() : data.ratings->n_users();
  KnnGraph g;
  g.ptr = r.get_vector_exact<int64_t>(static_cast<uint64_t>(n_x) + 1);
  const int64_t nnz = g.ptr.back();
  if (g.ptr[0] != 0 || nnz < 0 ||
      static_cast<uint64_t>(nnz) > static_cast<uint64_t>(n_x) * o.spec.max_neighbors)
    Reader::corrupt("knn neighbour offsets");
  g.nbr = r.get_vector_exact<KnnNeighbor>(static_cast<uint64_t>(nnz));
  // Every row: within bounds, no self or repeated neighbour, similarities in (0, 1], best first.
  std::vector<int32_t> seen(static_cast<size_t>(n_x), -1);
  for (int32_t x = 0; x < n_x; ++x) {
    const int64_t b = g.ptr[x], e = g.ptr[x + 1];
    if (e < b || e > nnz || e - b > o.spec.max_neighbors) Reader::corrupt("knn neighbour offsets");
    for (int64_t p = b; p < e; ++p) {
      const int32_t j = g.nbr[p].index;
      if (j < 0 || j >= n_x || j == x || seen[j] == x) Reader::corrupt("knn neighbour index");
      seen[j] = x;
      const float s = g.nbr[p].sim;
      if (!(s > 0 && s <= 1.0f + 1e-5f) || (p > b && s > g.nbr[p - 1].sim))
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
