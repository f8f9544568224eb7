// Similarities from co-rated pairs only: each row accumulates, over the users (items) it was
// rated by, the items (users) those rated, in a per-thread dense accumulator, so the cost grows
// with the co-ratings and never with items^2; only the best max_neighbors survive per row.
#include "core/models/knn/knn_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>

#include "core/error.hpp"
#include "core/model.hpp"
#include "core/models/baseline.hpp"
#include "core/parallel.hpp"

namespace autorec {
namespace {

// A row's entries are (y, a); each y lists its own entries (x2, b). Seen from the rows x.
struct Layout {
  const int64_t* x_ptr;
  const int32_t* x_idx;
  const float* x_val;
  const int64_t* y_ptr;
  const int32_t* y_idx;
  const float* y_val;
};

Layout layout_for(const KnnSimilarityInputs& in) {
  const RatingMatrix& m = *in.m;
  Layout csr{
      m.user_ptr().data(), m.user_items().data(), in.csr_values(), nullptr, nullptr, nullptr};
  Layout csc{
      m.item_ptr().data(), m.item_users().data(), in.csc_values(), nullptr, nullptr, nullptr};
  Layout l = in.spec.kind == KnnKind::Item ? csc : csr;
  const Layout& other = in.spec.kind == KnnKind::Item ? csr : csc;
  l.y_ptr = other.x_ptr;
  l.y_idx = other.x_idx;
  l.y_val = other.x_val;
  return l;
}

// The sums one pair of rows needs, packed so that an update touches one cache line.
// adjusted_cosine runs as cosine on its centred values.
template <KnnSimilarity S>
struct PairSums {  // cosine, pearson_baseline
  double ab, aa, bb;
  int32_t n;
  void add(double a, double b) {
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
};
template <>
struct PairSums<KnnSimilarity::Pearson> {
  double ab, aa, bb, sa, sb;
  int32_t n;
  void add(double a, double b) {
    ab += a * b;
    aa += a * a;
    bb += b * b;
    sa += a;
    sb += b;
  }
};
template <>
struct PairSums<KnnSimilarity::ImplicitCosine> {  // the norms are the rows' own
  double ab;
  int32_t n;
  void add(double a, double b) { ab += a * b; }
};
template <>
struct PairSums<KnnSimilarity::Msd> {
  double dd;
  int32_t n;
  void add(double a, double b) { dd += (a - b) * (a - b); }
};

// Dense per-thread sums, indexed by the other row x2; `touched` lists the x2 seen so that
// collecting and resetting costs the co-rated count, not the row count.
template <KnnSimilarity S>
struct Scratch {
  std::vector<PairSums<S>> sums;
  std::vector<int32_t> touched;
  std::vector<KnnNeighbor> out, keyed, kept;
  std::vector<int32_t> support;  // co-ratings of each entry of out

  explicit Scratch(int32_t n_x) : sums(static_cast<size_t>(n_x), PairSums<S>{}) {}
};

template <KnnSimilarity S>
void accumulate(const Layout& l, const int32_t* row_idx, const float* row_val, size_t row_n,
                int32_t self, Scratch<S>& s) {
  PairSums<S>* sums = s.sums.data();
  for (size_t k = 0; k < row_n; ++k) {
    const int32_t y = row_idx[k];
    const double a = row_val[k];
    const int32_t* idx = l.y_idx + l.y_ptr[y];
    const int32_t* end = l.y_idx + l.y_ptr[y + 1];
    const float* val = l.y_val + l.y_ptr[y];
    for (; idx != end; ++idx, ++val) {
      const int32_t x2 = *idx;
      if (x2 == self) continue;
      PairSums<S>& p = sums[x2];
      if (p.n++ == 0) s.touched.push_back(x2);
      p.add(a, *val);
    }
  }
}

// Cosine of two sums of squares, 0 when either side is (numerically) constant zero.
inline double cosine_of(double ab, double aa, double bb) {
  const double den = aa * bb;
  if (!(den > 0)) return 0;
  return std::min(1.0, ab / std::sqrt(den));
}

template <KnnSimilarity S>
double similarity_of(const PairSums<S>& p, double shrinkage) {
  const double n = p.n;
  if constexpr (S == KnnSimilarity::Msd) {
    return 1.0 / (p.dd / n + 1.0);
  } else if constexpr (S == KnnSimilarity::Pearson) {
    // Centred on the means over the co-rated pairs only (Surprise's definition).
    const double num = n * p.ab - p.sa * p.sb;
    const double d1 = n * p.aa - p.sa * p.sa;
    const double d2 = n * p.bb - p.sb * p.sb;
    // Cancellation can leave a tiny positive variance for constant ratings: treat as zero.
    if (d1 <= 1e-12 * n * p.aa || d2 <= 1e-12 * n * p.bb) return 0;
    return std::max(-1.0, std::min(1.0, num / std::sqrt(d1 * d2)));
  } else if constexpr (S == KnnSimilarity::PearsonBaseline) {
    return cosine_of(p.ab, p.aa, p.bb) * (n - 1) / (n - 1 + shrinkage);
  } else {
    return cosine_of(p.ab, p.aa, p.bb);
  }
}

inline bool better(const KnnNeighbor& p, const KnnNeighbor& q) {
  return p.sim != q.sim ? p.sim > q.sim : p.index < q.index;
}

// Turns the sums into similarities, keeps the positive ones with enough support, prunes to
// max_neighbors by the support-weighted key, sorts best first, and resets the accumulators.
// `self` is the row the sums belong to (implicit_cosine reads its norm).
template <KnnSimilarity S>
void collect(const KnnSimilarityInputs& in, int32_t self, Scratch<S>& s) {
  const KnnSimilaritySpec& spec = in.spec;
  s.out.clear();
  s.support.clear();
  // Surprise: pearson_baseline needs 2 co-ratings for its shrinkage term to mean anything.
  const int32_t min_support =
      S == KnnSimilarity::PearsonBaseline ? std::max(2, spec.min_support) : spec.min_support;
  for (int32_t x2 : s.touched) {
    PairSums<S>& p = s.sums[x2];
    if (p.n >= min_support) {
      float sim;
      if constexpr (S == KnnSimilarity::ImplicitCosine) {
        const double den = in.row_norm[self] * in.neighbor_norm[x2] + spec.shrinkage;
        sim = den > 0 ? static_cast<float>(p.ab / den) : 0.0f;
      } else {
        sim = static_cast<float>(similarity_of<S>(p, spec.shrinkage));
      }
      if (sim > 0) {
        s.out.push_back({x2, sim});
        s.support.push_back(p.n);
      }
    }
    p = PairSums<S>{};
  }
  s.touched.clear();
  const size_t cap = static_cast<size_t>(spec.max_neighbors);
  if (s.out.size() > cap) {
    s.keyed.resize(s.out.size());
    for (size_t q = 0; q < s.out.size(); ++q) {
      const double n = s.support[q];
      s.keyed[q] = {static_cast<int32_t>(q),
                    static_cast<float>(s.out[q].sim * (n / (n + spec.prune_shrinkage)))};
    }
    const std::vector<KnnNeighbor>& out = s.out;
    std::nth_element(s.keyed.begin(), s.keyed.begin() + static_cast<std::ptrdiff_t>(cap),
                     s.keyed.end(), [&](const KnnNeighbor& p, const KnnNeighbor& q) {
                       return p.sim != q.sim ? p.sim > q.sim
                                             : out[p.index].index < out[q.index].index;
                     });
    s.kept.clear();
    for (size_t q = 0; q < cap; ++q) s.kept.push_back(s.out[s.keyed[q].index]);
    s.out.swap(s.kept);
  }
  std::sort(s.out.begin(), s.out.end(), better);
}

template <KnnSimilarity S>
KnnGraph build_graph(const KnnSimilarityInputs& in, FitContext& ctx) {
  const Layout l = layout_for(in);
  const int32_t n_x = in.spec.kind == KnnKind::Item ? in.m->n_items() : in.m->n_users();
  ThreadPool pool(ctx.threads);
  std::vector<std::unique_ptr<Scratch<S>>> scratch;
  for (int w = 0; w < pool.size(); ++w) scratch.push_back(std::make_unique<Scratch<S>>(n_x));
  std::vector<std::vector<KnnNeighbor>> rows(static_cast<size_t>(n_x));
  // Small blocks: rows differ a lot in cost, and cancellation is polled between blocks.
  const size_t block = 16;
  const size_t n_tasks = (static_cast<size_t>(n_x) + block - 1) / block;
  pool.run(
      n_tasks,
      [&](size_t t, int w) {
        Scratch<S>& s = *scratch[static_cast<size_t>(w)];
        const size_t end = std::min(static_cast<size_t>(n_x), (t + 1) * block);
        for (size_t x = t * block; x < end; ++x) {
          const int64_t b = l.x_ptr[x], e = l.x_ptr[x + 1];
          accumulate<S>(l, l.x_idx + b, l.x_val + b, static_cast<size_t>(e - b),
                        static_cast<int32_t>(x), s);
          collect<S>(in, static_cast<int32_t>(x), s);
          rows[x].assign(s.out.begin(), s.out.end());
        }
      },
      &ctx);
  scratch.clear();

  KnnGraph g;
  g.ptr.assign(static_cast<size_t>(n_x) + 1, 0);
  for (int32_t x = 0; x < n_x; ++x) g.ptr[x + 1] = g.ptr[x] + static_cast<int64_t>(rows[x].size());
  g.nbr.reserve(static_cast<size_t>(g.ptr.back()));
  for (auto& row : rows) {
    g.nbr.insert(g.nbr.end(), row.begin(), row.end());
    std::vector<KnnNeighbor>().swap(row);  // keeps the peak near one copy of the graph
  }
  return g;
}

}  // namespace

KnnSimilarityInputs::KnnSimilarityInputs(const RatingMatrix& mat, const Biases& bias,
                                         const KnnSimilaritySpec& s)
    : m(&mat), b(&bias), spec(s) {
  const size_t nu = static_cast<size_t>(mat.n_users()), ni = static_cast<size_t>(mat.n_items());
  user_mean.assign(nu, static_cast<float>(mat.mean()));
  item_mean.assign(ni, static_cast<float>(mat.mean()));
  for (int32_t u = 0; u < mat.n_users(); ++u) {
    SparseRow r = mat.user(u);
    double sum = 0;
    for (size_t k = 0; k < r.n; ++k) sum += r.value[k];
    if (r.n) user_mean[u] = static_cast<float>(sum / static_cast<double>(r.n));
  }
  for (int32_t i = 0; i < mat.n_items(); ++i) {
    SparseRow c = mat.item(i);
    double sum = 0;
    for (size_t k = 0; k < c.n; ++k) sum += c.value[k];
    if (c.n) item_mean[i] = static_cast<float>(sum / static_cast<double>(c.n));
  }
  if (spec.similarity == KnnSimilarity::ImplicitCosine) {
    const bool item = spec.kind == KnnKind::Item;
    const size_t n_x = item ? ni : nu;
    row_norm.assign(n_x, 0.0);
    neighbor_norm.assign(n_x, 0.0);
    for (size_t x = 0; x < n_x; ++x) {
      SparseRow r = item ? mat.item(static_cast<int32_t>(x)) : mat.user(static_cast<int32_t>(x));
      double sq = 0;
      for (size_t k = 0; k < r.n; ++k) sq += static_cast<double>(r.value[k]) * r.value[k];
      row_norm[x] = std::pow(sq, 1.0 - spec.alpha);
      neighbor_norm[x] = std::pow(sq, spec.alpha);
    }
    return;
  }
  if (spec.similarity != KnnSimilarity::AdjustedCosine &&
      spec.similarity != KnnSimilarity::PearsonBaseline)
    return;
  // The residual of rating (u, i), identical in both orientations.
  auto residual = [&](int32_t u, int32_t i, float r) -> float {
    if (spec.similarity == KnnSimilarity::PearsonBaseline)
      return static_cast<float>(r - bias.predict(u, i));
    // adjusted cosine: centre on the mean of the side that is not compared
    return spec.kind == KnnKind::Item ? r - user_mean[u] : r - item_mean[i];
  };
  csr_value.resize(mat.nnz());
  csc_value.resize(mat.nnz());
  for (int32_t u = 0; u < mat.n_users(); ++u) {
    const int64_t b0 = mat.user_ptr()[u];
    SparseRow r = mat.user(u);
    for (size_t k = 0; k < r.n; ++k) csr_value[b0 + k] = residual(u, r.index[k], r.value[k]);
  }
  for (int32_t i = 0; i < mat.n_items(); ++i) {
    const int64_t b0 = mat.item_ptr()[i];
    SparseRow c = mat.item(i);
    for (size_t k = 0; k < c.n; ++k) csc_value[b0 + k] = residual(c.index[k], i, c.value[k]);
  }
}

const float* KnnSimilarityInputs::csr_values() const {
  return csr_value.empty() ? m->user_values().data() : csr_value.data();
}
const float* KnnSimilarityInputs::csc_values() const {
  return csc_value.empty() ? m->item_values().data() : csc_value.data();
}

void KnnSimilarityInputs::release_for_serving() {
  std::vector<float>().swap(csr_value);
  if (spec.kind == KnnKind::Item) std::vector<float>().swap(csc_value);
}

float KnnSimilarityInputs::transform_new_user(int32_t item, float r, double user_bias) const {
  switch (spec.similarity) {
    case KnnSimilarity::PearsonBaseline:
      return static_cast<float>(r - (b->mean + user_bias + b->item[item]));
    case KnnSimilarity::AdjustedCosine:
      return r - item_mean[item];  // only user-based models fold in users this way
    default:
      return r;
  }
}

KnnGraph compute_neighbor_graph(const KnnSimilarityInputs& in, FitContext& ctx) {
  const int64_t n_x = in.spec.kind == KnnKind::Item ? in.m->n_items() : in.m->n_users();
  // The graph is stored in the model's bytea, which PostgreSQL caps at 1 GB.
  const double bound = static_cast<double>(n_x) * in.spec.max_neighbors * 8.0;
  if (bound > 900.0 * (1 << 20))
    throw Error(ErrorKind::ResourceLimit,
                "knn model would be too large: " + std::to_string(n_x) + " rows x max_neighbors " +
                    std::to_string(in.spec.max_neighbors) + " neighbours",
                "Lower the option max_neighbors so that rows x max_neighbors x 8 bytes stays "
                "under 900 MB.");
  switch (in.spec.similarity) {
    case KnnSimilarity::Cosine:
    case KnnSimilarity::AdjustedCosine:
      return build_graph<KnnSimilarity::Cosine>(in, ctx);
    case KnnSimilarity::Pearson:
      return build_graph<KnnSimilarity::Pearson>(in, ctx);
    case KnnSimilarity::Msd:
      return build_graph<KnnSimilarity::Msd>(in, ctx);
    case KnnSimilarity::PearsonBaseline:
      return build_graph<KnnSimilarity::PearsonBaseline>(in, ctx);
    case KnnSimilarity::ImplicitCosine:
      return build_graph<KnnSimilarity::ImplicitCosine>(in, ctx);
  }
  throw Error(ErrorKind::Internal, "unknown similarity");
}

std::vector<KnnNeighbor> new_user_neighbors(const KnnSimilarityInputs& in, const SparseRow& ratings,
                                            double user_bias) {
  if (in.spec.kind != KnnKind::User || in.spec.similarity == KnnSimilarity::ImplicitCosine)
    throw Error(ErrorKind::Internal, "new_user_neighbors needs a user-based, non-implicit model");
  Layout l = layout_for(in);
  std::vector<float> val(ratings.n);
  for (size_t k = 0; k < ratings.n; ++k)
    val[k] = in.transform_new_user(ratings.index[k], ratings.value[k], user_bias);
  auto run = [&](auto tag) {
    constexpr KnnSimilarity S = decltype(tag)::value;
    // Kept per thread between calls (collect() leaves the sums zeroed): serving folds in one
    // user per query and should not allocate a row of sums every time.
    thread_local std::unique_ptr<Scratch<S>> scratch;
    if (!scratch || scratch->sums.size() != static_cast<size_t>(in.m->n_users()))
      scratch = std::make_unique<Scratch<S>>(in.m->n_users());
    Scratch<S>& s = *scratch;
    accumulate<S>(l, ratings.index, val.data(), ratings.n, -1, s);
    collect<S>(in, -1, s);
    return s.out;
  };
  switch (in.spec.similarity) {
    case KnnSimilarity::Cosine:
    case KnnSimilarity::AdjustedCosine:
      return run(std::integral_constant<KnnSimilarity, KnnSimilarity::Cosine>());
    case KnnSimilarity::Pearson:
      return run(std::integral_constant<KnnSimilarity, KnnSimilarity::Pearson>());
    case KnnSimilarity::Msd:
      return run(std::integral_constant<KnnSimilarity, KnnSimilarity::Msd>());
    case KnnSimilarity::PearsonBaseline:
      return run(std::integral_constant<KnnSimilarity, KnnSimilarity::PearsonBaseline>());
    case KnnSimilarity::ImplicitCosine:
      break;
  }
  return {};
}

}  // namespace autorec
