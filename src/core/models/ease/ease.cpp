// The ease model: options, the closed-form training (sparse Gram matrix, parallel inverse),
// pruning, scoring, explanations and the validated model format.
#include "core/models/ease/ease.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/models/ease/spd_inverse.hpp"
#include "core/models/item_item/item_rows.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

namespace autorec {
namespace {

constexpr uint32_t kEaseFormat = 1;
// lambda when not given: this times the mean squared input value (6400 validated on
// MovieLens ratings, whose mean square is about 13.7 -- so about 470 for 0/1 interactions,
// where 400 to 500 validated).
constexpr double kDefaultLambdaPerSquare = 470;
constexpr int32_t kMaxPruneTo = 100000;
// The model is stored in a bytea, which PostgreSQL caps at 1 GB.
constexpr double kMaxModelBytes = 900.0 * (1 << 20);

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

// X^T X from the sparse matrix: column i sums, over the users of item i, x_ui times that user's
// row, so the cost is sum over users of their count squared, and threads own whole columns.
template <typename T>
Mat<T> gram(const RatingMatrix& x, ThreadPool& pool, const FitContext& ctx) {
  const int32_t n = x.n_items();
  Mat<T> g = Mat<T>::Zero(n, n);
  const size_t block = 16;
  pool.run(
      (static_cast<size_t>(n) + block - 1) / block,
      [&](size_t t, int) {
        const int32_t end = static_cast<int32_t>(std::min<size_t>(n, (t + 1) * block));
        for (int32_t i = static_cast<int32_t>(t * block); i < end; ++i) {
          T* col = g.col(i).data();
          SparseRow c = x.item(i);
          for (size_t k = 0; k < c.n; ++k) {
            const T a = c.value[k];
            SparseRow r = x.user(c.index[k]);
            for (size_t q = 0; q < r.n; ++q) col[r.index[q]] += a * static_cast<T>(r.value[q]);
          }
        }
      },
      &ctx);
  return g;
}

// B^T (column i = row i of B) from P = (G + lambda I)^-1.
template <typename T>
Eigen::MatrixXf weights_from_inverse(Mat<T>& p) {
  const Eigen::Index n = p.rows();
  const Eigen::Matrix<T, Eigen::Dynamic, 1> inv_diag = p.diagonal().cwiseInverse();
  if constexpr (std::is_same<T, float>::value) {
    for (Eigen::Index i = 0; i < n; ++i) {
      p.col(i).array() *= -inv_diag.array();
      p(i, i) = 0;
    }
    return std::move(p);
  } else {
    Eigen::MatrixXf bt(n, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      bt.col(i) = (-(p.col(i).array() * inv_diag.array())).template cast<float>().matrix();
      bt(i, i) = 0;
    }
    p.resize(0, 0);
    return bt;
  }
}

template <typename T>
Eigen::MatrixXf solve(const RatingMatrix& x, double lambda, ThreadPool& pool,
                      const FitContext& ctx) {
  Mat<T> a = gram<T>(x, pool, ctx);
  a.diagonal().array() += static_cast<T>(lambda);
  invert_spd<T>(a, pool, ctx);
  return weights_from_inverse<T>(a);
}

// Per row of B, the prune_to entries of largest |B_ij|, stored largest value first.
KnnGraph prune(const Eigen::MatrixXf& bt, int32_t keep, ThreadPool& pool, const FitContext& ctx) {
  const int32_t n = static_cast<int32_t>(bt.cols());
  const size_t k = static_cast<size_t>(std::min(keep, std::max(n - 1, 0)));
  std::vector<std::vector<KnnNeighbor>> rows(static_cast<size_t>(n));
  pool.run(
      static_cast<size_t>(n),
      [&](size_t i, int) {
        std::vector<KnnNeighbor>& row = rows[i];
        row.reserve(static_cast<size_t>(n));
        for (int32_t j = 0; j < n; ++j)
          if (j != static_cast<int32_t>(i) && bt(j, static_cast<Eigen::Index>(i)) != 0.0f)
            row.push_back({j, bt(j, static_cast<Eigen::Index>(i))});
        auto by_magnitude = [](const KnnNeighbor& p, const KnnNeighbor& q) {
          const float a = std::fabs(p.sim), b = std::fabs(q.sim);
          return a != b ? a > b : p.index < q.index;
        };
        if (row.size() > k) {
          std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end(),
                           by_magnitude);
          row.resize(k);
        }
        std::sort(row.begin(), row.end(), [](const KnnNeighbor& p, const KnnNeighbor& q) {
          return p.sim != q.sim ? p.sim > q.sim : p.index < q.index;
        });
        row.shrink_to_fit();
      },
      &ctx);
  KnnGraph g;
  g.ptr.assign(static_cast<size_t>(n) + 1, 0);
  for (int32_t i = 0; i < n; ++i) g.ptr[i + 1] = g.ptr[i] + static_cast<int64_t>(rows[i].size());
  g.nbr.reserve(static_cast<size_t>(g.ptr.back()));
  for (auto& row : rows) {
    g.nbr.insert(g.nbr.end(), row.begin(), row.end());
    std::vector<KnnNeighbor>().swap(row);
  }
  return g;
}

std::string human(double bytes) {
  char buf[64];
  if (bytes < 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.0f MB", bytes / (1024.0 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.1f GB", bytes / (1024.0 * 1024 * 1024));
  return buf;
}

}  // namespace

EaseOptions EaseOptions::read(Options& o) {
  EaseOptions e;
  // Unset, the penalty follows the data (fit()): the spec's default is null.
  const std::optional<double> lambda = o.optional_number("lambda", 1e-6, 1e12);
  e.lambda_given = lambda.has_value();
  e.lambda = lambda.value_or(e.lambda);
  e.weighting = ImplicitWeighting::read(o, true);
  e.prune_to = static_cast<int32_t>(o.integer("prune_to", 0, 0, kMaxPruneTo));
  e.double_precision = o.choice("precision", "float", {"float", "double"}) == "double";
  return e;
}

std::unique_ptr<Model> make_ease_model(Options& options) {
  return std::make_unique<EaseModel>(EaseOptions::read(options));
}

double ease_dense_bytes(int64_t n_items, bool double_precision) {
  const double n = static_cast<double>(n_items);
  return 2.0 * (double_precision ? 8.0 : 4.0) * n * n;
}

int64_t ease_max_items(size_t bytes, bool double_precision) {
  int64_t n = static_cast<int64_t>(
      std::floor(std::sqrt(static_cast<double>(bytes) / ease_dense_bytes(1, double_precision))));
  while (n > 0 && ease_dense_bytes(n, double_precision) > static_cast<double>(bytes)) --n;
  while (ease_dense_bytes(n + 1, double_precision) <= static_cast<double>(bytes)) ++n;
  return n;
}

std::string ease_memory_hint(size_t budget_bytes, bool double_precision) {
  const int64_t n = ease_max_items(budget_bytes, double_precision);
  return "An ease training holds two dense items x items matrices (" +
         std::string(double_precision ? "16" : "8") + " x items^2 bytes): " +
         human(static_cast<double>(budget_bytes)) + " fits at most " + std::to_string(n) +
         " items. Train on fewer items (e.g. only items with enough interactions), " +
         (double_precision ? "use \"precision\": \"float\", " : "") +
         "or raise autorec.max_training_memory.";
}

size_t EaseModel::estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const {
  const double n = n_items;
  const double kept = opt_.prune_to > 0 ? n * std::min<double>(opt_.prune_to, n) : 0;
  const double threads = std::max(1u, std::thread::hardware_concurrency());
  // Dense matrices; pruned rows twice while they are assembled; the weighted matrix (triples
  // and both orientations); Eigen's per-call GEMM blocking buffers.
  const double bytes = ease_dense_bytes(n_items, opt_.double_precision) + 16.0 * kept +
                       28.0 * static_cast<double>(nnz) +
                       24.0 * (static_cast<double>(n_users) + n) + threads * (4 << 20);
  return bytes >= static_cast<double>(SIZE_MAX) ? SIZE_MAX : static_cast<size_t>(bytes);
}

std::string EaseModel::memory_hint(size_t budget_bytes) const {
  // Per items^2, as Recommender::estimated_training_bytes counts an ease training: the solve's
  // two dense matrices (8 bytes in float), or at the end the dense model kept and three copies
  // of its saved bytes (16); plus an eighth for the allocator. Pruned, the end is small.
  const double scalar = opt_.double_precision ? 8.0 : 4.0;
  const double per_item2 = (pruned() ? 2 * scalar : 4 * scalar) * 1.125;
  // Less what does not grow with the items: the per-thread GEMM buffers (and a margin for the
  // ratings, which the hint cannot know).
  const double threads = std::max(1u, std::thread::hardware_concurrency());
  const double fixed = 1.125 * threads * (4 << 20) + (1 << 20);
  const double room = std::max(0.0, static_cast<double>(budget_bytes) - fixed);
  const int64_t n = static_cast<int64_t>(std::floor(std::sqrt(room / per_item2)));
  char per[32];
  std::snprintf(per, sizeof per, "%g", per_item2);
  return std::string("An ease model is dense in the number of items (about ") + per +
         " x items^2 bytes to train and store): " + human(static_cast<double>(budget_bytes)) +
         " fits at most about " + std::to_string(n) +
         " items. Train on fewer items (e.g. only items with enough interactions), " +
         (pruned() ? "" : "prune the model (option prune_to), ") +
         (opt_.double_precision ? "use \"precision\": \"float\", " : "") +
         "or raise autorec.max_training_memory.";
}

MemoryEstimate EaseModel::estimated_memory(const TrainingSize& size) const {
  const double n = size.n_items;
  // B: dense items x items, or the pruned rows (an index and a value an entry).
  const double kept = pruned() ? 8.0 * n * std::min<double>(opt_.prune_to, n)
                               : (opt_.double_precision ? 8.0 : 4.0) * n * n;
  MemoryEstimate m;
  m.training = estimated_training_bytes(size.n_users, size.n_items, size.nnz);
  m.kept = bytes_of<char>(kept);
  m.saved = m.kept;
  return m;
}

void EaseModel::fit(const TrainingData& data, FitContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const RatingMatrix& m = *data.ratings;
  const int32_t n = m.n_items();
  if (!pruned() && 4.0 * n * n > kMaxModelBytes)
    throw Error(ErrorKind::ResourceLimit,
                "ease model would be too large: " + std::to_string(n) +
                    " items need a dense items x items matrix of " + human(4.0 * n * n),
                "Set the option prune_to (e.g. 200) to keep the largest weights per item, or "
                "train on fewer items; a model is stored in a bytea of at most 1 GB.");
  ThreadPool pool(ctx.threads);
  Eigen::MatrixXf bt;
  opt_.weighting = opt_.weighting.for_input(data.explicit_ratings);
  {
    const RatingMatrix x = weighted_matrix(m, opt_.weighting);
    ctx.check_interrupt();
    if (!opt_.lambda_given) {
      // The Gram matrix grows with the square of the values: the default penalty follows, so
      // that 0/1 interactions and 1..5 ratings are regularised alike (chosen on validation).
      double sq = 0;
      for (float v : x.user_values()) sq += static_cast<double>(v) * v;
      opt_.lambda = kDefaultLambdaPerSquare * (x.nnz() ? sq / static_cast<double>(x.nnz()) : 1.0);
    }
    bt = opt_.double_precision ? solve<double>(x, opt_.lambda, pool, ctx)
                               : solve<float>(x, opt_.lambda, pool, ctx);
  }
  n_items_ = n;
  if (pruned()) {
    rows_ = prune(bt, opt_.prune_to, pool, ctx);
    bt_.resize(0, 0);
  } else {
    bt_ = std::move(bt);
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "ease: %d items, lambda %g, %s in %.2f s", n, opt_.lambda,
                pruned() ? "pruned" : "dense",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ctx.notice(buf);
}

float EaseModel::weight(int32_t i, int32_t j) const {
  if (i < 0 || j < 0 || i >= n_items_ || j >= n_items_) return 0.0f;
  return pruned() ? row_entry(rows_, i, j) : bt_(j, i);
}

void EaseModel::score(const UserProfile& user, float* out) const {
  if (pruned()) {
    score_from_rows(rows_, opt_.weighting, user.ratings, n_items_, out);
    return;
  }
  Eigen::Map<Eigen::VectorXf> s(out, n_items_);
  s.setZero();
  const SparseRow& r = user.ratings;
  for (size_t k = 0; k < r.n; ++k) {
    const int32_t i = r.index[k];
    const float x = opt_.weighting.weight(r.value[k]);
    if (i < 0 || i >= n_items_ || x == 0.0f) continue;
    s.noalias() += x * bt_.col(i);
  }
}

double EaseModel::predict(const UserProfile& user, int32_t item) const {
  double s = 0;
  const SparseRow& r = user.ratings;
  for (size_t k = 0; k < r.n; ++k)
    s += static_cast<double>(opt_.weighting.weight(r.value[k])) * weight(r.index[k], item);
  return s;
}

std::vector<ScoredIndex> EaseModel::similar_items(int32_t item, size_t n) const {
  if (item < 0 || item >= n_items_) return {};
  if (pruned()) return top_of_row(rows_, item, n);
  std::vector<ScoredIndex> out;
  for (int32_t j = 0; j < n_items_; ++j)
    if (j != item && bt_(j, item) > 0) out.push_back({j, bt_(j, item)});
  auto better = [](const ScoredIndex& a, const ScoredIndex& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  const size_t k = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(), better);
  out.resize(k);
  return out;
}

std::vector<Contribution> EaseModel::explain(const UserProfile& user, int32_t item) const {
  return item_contributions(opt_.weighting, user.ratings, n_items_, item,
                            [&](int32_t i, int32_t j) { return weight(i, j); });
}

void EaseModel::save(Writer& w) const {
  w.put<uint32_t>(kEaseFormat);
  w.put<double>(opt_.lambda);
  opt_.weighting.save(w);
  w.put<int32_t>(opt_.prune_to);
  w.put<uint8_t>(opt_.double_precision ? 1 : 0);
  w.put<int32_t>(n_items_);
  if (pruned()) {
    save_rows(w, rows_);
    return;
  }
  const uint64_t count = static_cast<uint64_t>(bt_.size());
  w.put<uint64_t>(count);
  const auto* p = reinterpret_cast<const uint8_t*>(bt_.data());
  w.bytes().insert(w.bytes().end(), p, p + count * sizeof(float));
}

void EaseModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint32_t>() != kEaseFormat) Reader::corrupt("unknown ease format version");
  EaseOptions o;
  o.lambda = r.get<double>();
  o.weighting = ImplicitWeighting::load(r);
  o.prune_to = r.get<int32_t>();
  const uint8_t dbl = r.get<uint8_t>();
  const int32_t n = r.get<int32_t>();
  if (!(o.lambda > 0) || o.prune_to < 0 || o.prune_to > kMaxPruneTo || dbl > 1 ||
      n != data.ratings->n_items())
    Reader::corrupt("ease parameters");
  o.double_precision = dbl == 1;
  opt_ = o;
  n_items_ = n;
  if (pruned()) {
    rows_ = load_rows(r, n, n, o.prune_to);
    bt_.resize(0, 0);
    return;
  }
  const std::vector<float> b = r.get_vector_exact<float>(static_cast<uint64_t>(n) * n);
  for (float v : b)
    if (!std::isfinite(v)) Reader::corrupt("ease weights");
  bt_ = Eigen::Map<const Eigen::MatrixXf>(b.data(), n, n);
  rows_ = KnnGraph();
}

}  // namespace autorec
