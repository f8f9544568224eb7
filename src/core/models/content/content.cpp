// Content-based and hybrid factorization machine: options, encoding of the feature rows,
// SGD training (Hogwild over both cores), serving (precomputed user and item parts, fold-in
// of new users) and serialization.
#include "core/models/content/content.hpp"

#include "core/eigen.hpp"
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/models/content/content_fm.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"
#include "core/training/early_stopping.hpp"

namespace autorec {
namespace {

constexpr int kMaxFactors = 1000;
constexpr size_t kChunk = 16384;  // ratings per task: cancellation is polled between tasks

}  // namespace

// Options of algorithm 'content' and their defaults.
//
//   user_features        table, view or SELECT query with a user id column (named as the
//                        ratings source's, user_column) and feature columns       none
//   item_features        the same for items (item_column)                         none
//                        (at least one of the two is required)
//   use_ids              the user and item ids are features too (hybrid of collaborative
//                        filtering and content); false = content only              true
//   factors              dimension of the pairwise interactions; 0 = linear model
//                        (ridge regression on the features)                       16
//   epochs               SGD passes over the ratings                              60
//   learning_rate        SGD step                                                 0.01
//   lr_decay             the step is multiplied by this after each epoch          0.95
//   regularization       both penalties below (per rating, as in svd)
//     reg_linear         on the linear weights w_f                                0.02
//     reg_factors        on the interaction vectors v_f                           0.05
//   init_std             std. deviation of the initial v_f                        0.05
//   id_dropout           probability that a rating is trained without the user's
//                        id feature, and independently without the item's (only
//                        with use_ids): the features then learn to predict on
//                        their own, as they must for cold-start users and items   0.15
//   validation_fraction  share of the ratings held out to stop early (0 = off)    0
//   patience             epochs without a better validation RMSE before stopping  3
//
// How the defaults were chosen (bench_content validate / cold-validate): on validation splits
// (10% of each of the five ML-100K training folds u1..u5.base, the test folds untouched) with
// u.user and u.item as features, and for id_dropout also on a cold-start validation split
// (10% of the items held out from the items left after removing the cold-start test items).
// reg_factors 0.05 beat 0.01, 0.04, 0.06, 0.08 and 0.12 (which collapses the factors); with it
// 16 factors beat 8 (0.9182 vs 0.9222 at 30 epochs) and 32 (0.9122 vs 0.9134 at 60 epochs, at
// twice the cost); 60 epochs beat 30 by 0.006 (100 gain 0.0007 more). id_dropout trades warm
// accuracy for cold start: 0 / 0.1 / 0.15 / 0.2 gave validation RMSE 0.9092 / 0.9119 / 0.9141 /
// 0.9170 and cold-start validation RMSE 0.025-0.037 below the baseline's at 0.15 (0.020-0.034
// at 0.1); a model for warm users and items only can set it to 0.
//
// Feature columns: numeric types (and date, timestamp) are standardised with the training
// rows' mean and standard deviation (NULL = the mean); text, boolean and other scalar types
// are one-hot; arrays are multi-hot, each present token weighted 1/sqrt(tokens in the row).
// Values not seen at training are ignored.
//
// Reproducibility: with "threads": 1 a seed gives the same model every time; with more threads
// the ratings are shared out among them without locks (Hogwild), so the result varies slightly.
ContentOptions ContentOptions::read(Options& o) {
  ContentOptions c;
  c.user_features = o.optional_text("user_features").value_or("");
  c.item_features = o.optional_text("item_features").value_or("");
  c.use_ids = o.boolean("use_ids", c.use_ids);
  c.factors = static_cast<int>(o.integer("factors", c.factors, 0, kMaxFactors));
  c.epochs = static_cast<int>(o.integer("epochs", c.epochs, 1, 10000));
  c.learning_rate = o.number("learning_rate", c.learning_rate, 1e-6, 1.0);
  c.lr_decay = o.number("lr_decay", c.lr_decay, 0.01, 1.0);
  // Unset, regularization has no value of its own (the spec shows no default).
  const std::optional<double> reg_value = o.optional_number("regularization", 0.0, 100.0);
  const bool given = reg_value.has_value();
  const double reg = reg_value.value_or(c.reg_factors);
  c.reg_linear = o.number("reg_linear", given ? reg : c.reg_linear, 0.0, 100.0);
  c.reg_factors = o.number("reg_factors", given ? reg : c.reg_factors, 0.0, 100.0);
  c.init_std = o.number("init_std", c.init_std, 0.0, 1.0);
  c.id_dropout = o.number("id_dropout", c.id_dropout, 0.0, 1.0);
  c.validation_fraction = o.number("validation_fraction", 0.0, 0.0, 0.5);
  c.patience = static_cast<int>(o.integer("patience", c.patience, 1, 1000));
  return c;
}

void ContentModel::check_options() const {
  auto blank = [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (blank(opt_.user_features) && blank(opt_.item_features))
    throw Error(ErrorKind::InvalidParameter,
                "algorithm \"content\" needs the option user_features or item_features",
                "Name a table, view or SELECT query with an id column and feature columns, for "
                "example '{\"item_features\": \"movies\"}'.");
}

MemoryEstimate ContentModel::estimated_memory(const TrainingSize& size) const {
  const double entities = static_cast<double>(size.n_users) + size.n_items;
  const double nnz = static_cast<double>(size.nnz), k = opt_.factors;
  const double ids = opt_.use_ids ? entities : 0;
  const double n_f = static_cast<double>(size.feature_indices) + ids;  // w_ and v_ rows
  // Encoded rows: an (index, value) pair per feature value and id, an offset per entity.
  const double rows = 8 * (static_cast<double>(size.feature_values) + ids) + 8 * entities;
  const double params = 4 * n_f * (k + 1);
  MemoryEstimate m;
  m.saved = static_cast<size_t>(8 * ids + params + rows);
  // Kept: parameters, encoded rows, the id lists, and per entity the serving side (a double
  // and k floats); the encoders' vocabularies are in the feature tables' bytes already.
  m.kept = m.saved + static_cast<size_t>(entities * (8 + 4 * k));
  // Training adds a best copy of the parameters (early stopping), the shuffled training
  // triples, the validation split (its own CSR + CSC and triples) and per-thread scratch.
  const double split = opt_.validation_fraction > 0 ? 16 * nnz + 12 * nnz : 0;
  m.training = m.kept + static_cast<size_t>((opt_.validation_fraction > 0 ? params : 0) +
                                            12 * nnz + split + 8 * (k + 1) * size.threads);
  return m;
}

void ContentModel::encode_rows(const TrainingData& data) {
  auto encode = [&](const FeatureTable* t, const FeatureEncoder& enc, const IdMap& ids,
                    const std::vector<int64_t>& id_vocab, uint32_t id_base, const char* what) {
    FeatureRows rows;
    std::vector<std::pair<int64_t, size_t>> by_id;
    std::vector<int> cols;
    if (t && !t->empty()) {
      cols = enc.map_columns(*t, what);
      for (size_t r = 0; r < t->rows(); ++r) by_id.emplace_back(t->ids[r], r);
      std::sort(by_id.begin(), by_id.end());
    }
    for (int32_t e = 0; e < ids.size(); ++e) {
      const int64_t id = ids.id(e);
      auto it = std::lower_bound(by_id.begin(), by_id.end(), std::make_pair(id, size_t(0)));
      if (it != by_id.end() && it->first == id)
        enc.encode_row(*t, cols, it->second, rows.index, rows.value);
      if (opt_.use_ids) {
        auto jt = std::lower_bound(id_vocab.begin(), id_vocab.end(), id);
        if (jt != id_vocab.end() && *jt == id) {
          rows.index.push_back(id_base + static_cast<uint32_t>(jt - id_vocab.begin()));
          rows.value.push_back(1.0f);
        }
      }
      rows.ptr.push_back(rows.index.size());
    }
    return rows;
  };
  const FeatureSet* f = data.features;
  user_rows_ = encode(f ? &f->users : nullptr, user_enc_, *data.users, user_ids_, user_id_base_,
                      "user_features");
  item_rows_ = encode(f ? &f->items : nullptr, item_enc_, *data.items, item_ids_, item_id_base_,
                      "item_features");
}

void ContentModel::fit(const TrainingData& data, FitContext& ctx) {
  check_options();
  const RatingMatrix& full = *data.ratings;
  static const FeatureSet kNone;
  const FeatureSet& features = data.features ? *data.features : kNone;
  user_enc_ = FeatureEncoder::learn(features.users, 0);
  item_enc_ = FeatureEncoder::learn(features.items, user_enc_.size());
  user_ids_.clear();
  item_ids_.clear();
  if (opt_.use_ids) {
    for (int32_t u = 0; u < full.n_users(); ++u)
      if (full.user(u).n) user_ids_.push_back(data.users->id(u));
    for (int32_t i = 0; i < full.n_items(); ++i)
      if (full.item(i).n) item_ids_.push_back(data.items->id(i));
  }
  user_id_base_ = user_enc_.base() + user_enc_.size() + item_enc_.size();
  item_id_base_ = user_id_base_ + static_cast<uint32_t>(user_ids_.size());
  const uint32_t n_f = item_id_base_ + static_cast<uint32_t>(item_ids_.size());
  const int k = opt_.factors;
  const double bytes = 4.0 * n_f * (k + 1.0);
  if (bytes > 1e9)
    throw Error(ErrorKind::ResourceLimit,
                "a content model with " + std::to_string(n_f) + " features and " +
                    std::to_string(k) + " factors would take " +
                    std::to_string(static_cast<long long>(bytes / 1e6)) +
                    " MB, more than a model can hold (1 GB)",
                "Use fewer factors, or features with fewer distinct values.");
  encode_rows(data);

  ValidationSplit split;
  const RatingMatrix* train = &training_part(full, opt_.validation_fraction, ctx.seed ^ 0x76A11DA7Eull, split);
  w0_ = train->mean();
  w_.assign(n_f, 0.0f);
  v_.resize(static_cast<size_t>(n_f) * static_cast<size_t>(k));
  std::mt19937_64 rng(ctx.seed);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(opt_.init_std));
  for (float& x : v_) x = normal(rng);

  std::vector<Triple> triples = train->triples();  // shuffled in place each epoch
  const size_t n_chunks = (triples.size() + kChunk - 1) / kChunk;
  ThreadPool pool(ctx.threads);
  std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()),
                                          std::vector<float>(static_cast<size_t>(k) + 1));
  std::vector<double> sse(n_chunks);
  auto row = [](const FeatureRows& rows, int32_t e) {
    const size_t b = rows.ptr[static_cast<size_t>(e)], n = rows.ptr[static_cast<size_t>(e) + 1] - b;
    return fm::Row{rows.index.data() + b, rows.value.data() + b, n};
  };
  const double lo = full.min_rating(), hi = full.max_rating();
  auto validation_rmse = [&]() {
    if (split.validation.empty()) return std::numeric_limits<double>::quiet_NaN();
    const fm::ConstParams p{w0_, w_.data(), v_.data(), k};
    std::vector<float> s(static_cast<size_t>(k) + 1);
    double e2 = 0;
    for (const Triple& t : split.validation) {
      const double y = std::clamp(
          fm::predict(p, row(user_rows_, t.user), row(item_rows_, t.item), s.data()), lo, hi);
      e2 += (t.rating - y) * (t.rating - y);
    }
    return std::sqrt(e2 / static_cast<double>(split.validation.size()));
  };

  std::vector<float> best_w, best_v;
  EarlyStopping stopping(opt_.patience);
  float lr = static_cast<float>(opt_.learning_rate);
  const float reg_w = static_cast<float>(opt_.reg_linear),
              reg_v = static_cast<float>(opt_.reg_factors);
  const bool dropout = opt_.use_ids && opt_.id_dropout > 0;
  for (int epoch = 1; epoch <= opt_.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    ctx.check_interrupt();
    std::shuffle(triples.begin(), triples.end(), rng);
    const fm::Params p{w0_, w_.data(), v_.data(), k};
    pool.run(
        n_chunks,
        [&](size_t c, int worker) {
          float* s = scratch[static_cast<size_t>(worker)].data();
          auto [b, e] = std::make_pair(c * kChunk, std::min(triples.size(), (c + 1) * kChunk));
          // Per chunk, so that the draws do not depend on which thread runs it.
          std::mt19937_64 drop_rng(ctx.seed ^ (static_cast<uint64_t>(epoch) << 32) ^ c);
          std::bernoulli_distribution drop(opt_.id_dropout);
          double acc = 0;
          for (size_t j = b; j < e; ++j) {
            const Triple& t = triples[j];
            fm::Row ur = row(user_rows_, t.user), ir = row(item_rows_, t.item);
            if (dropout) {
              // The id feature is the last of a row: training without it makes the features
              // carry what they can on their own, as they must for cold-start users and items.
              if (ur.n && ur.index[ur.n - 1] >= user_id_base_ && drop(drop_rng)) --ur.n;
              if (ir.n && ir.index[ir.n - 1] >= user_id_base_ && drop(drop_rng)) --ir.n;
            }
            const double err = fm::sgd_step(p, ur, ir, t.rating, lr, reg_w, reg_v, s);
            acc += err * err;
          }
          sse[c] = acc;
        },
        &ctx);
    lr *= static_cast<float>(opt_.lr_decay);
    EpochStats st;
    st.epoch = epoch;
    st.train_rmse = std::sqrt(std::accumulate(sse.begin(), sse.end(), 0.0) /
                              static_cast<double>(std::max<size_t>(triples.size(), 1)));
    st.validation_rmse = validation_rmse();
    for (float x : w_)
      if (!std::isfinite(x))
        throw Error(ErrorKind::DataError, "training diverged (non-finite weights)",
                    "Use a smaller learning_rate.");
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ctx.epoch_done(st, opt_.epochs);
    const EarlyStopping::Verdict verdict = stopping.offer(st.validation_rmse);
    if (verdict == EarlyStopping::Verdict::Improved) {
      best_w = w_;
      best_v = v_;
    } else if (verdict == EarlyStopping::Verdict::Stop) {
      break;
    }
  }
  if (stopping.has_best()) {
    w_ = std::move(best_w);
    v_ = std::move(best_v);
  }
  prepare_serving();
}

void ContentModel::refresh_features(const TrainingData& data) {
  encode_rows(data);
  prepare_serving();
}

void ContentModel::prepare_serving() {
  const int k = opt_.factors;
  const fm::ConstParams p{w0_, w_.data(), v_.data(), k};
  auto sides = [&](const FeatureRows& rows, std::vector<double>& a, std::vector<float>& s) {
    const size_t n = rows.rows();
    a.assign(n, 0.0);
    s.assign(n * static_cast<size_t>(k), 0.0f);
    std::vector<float> tmp(static_cast<size_t>(k) + 1);
    for (size_t e = 0; e < n; ++e) {
      const size_t b = rows.ptr[e];
      a[e] = fm::side(p, {rows.index.data() + b, rows.value.data() + b, rows.ptr[e + 1] - b},
                      tmp.data());
      std::copy(tmp.begin(), tmp.begin() + k, s.begin() + static_cast<std::ptrdiff_t>(e * k));
    }
  };
  sides(user_rows_, user_a_, user_s_);
  sides(item_rows_, item_a_, item_s_);
}

void ContentModel::user_side(const UserProfile& user, double& a, std::vector<float>& s) const {
  const int k = opt_.factors;
  const size_t n_users = user_a_.size(), n_items = item_a_.size();
  if (user.index >= 0 && static_cast<size_t>(user.index) < n_users) {
    a = user_a_[static_cast<size_t>(user.index)];
    s.assign(
        user_s_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(user.index) * k),
        user_s_.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(user.index) + 1) * k));
    return;
  }
  // A visitor known only by the ratings given: fit a bias and s by ridge regression against
  // the fixed item parts, r - w0 - a_i = a + <s, s_i>, with the per-rating penalties.
  a = 0;
  s.assign(static_cast<size_t>(k), 0.0f);
  const SparseRow& r = user.ratings;
  std::vector<size_t> ok;
  for (size_t j = 0; j < r.n; ++j)
    if (r.index[j] >= 0 && static_cast<size_t>(r.index[j]) < n_items && std::isfinite(r.value[j]))
      ok.push_back(j);
  if (ok.empty()) return;
  const Eigen::Index d = k + 1;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(d, d);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(d);
  Eigen::VectorXd x(d);
  for (size_t j : ok) {
    const size_t i = static_cast<size_t>(r.index[j]);
    for (int f = 0; f < k; ++f) x[f] = item_s_[i * k + f];
    x[k] = 1.0;
    A.selfadjointView<Eigen::Lower>().rankUpdate(x);
    rhs += x * (r.value[j] - w0_ - item_a_[i]);
  }
  const double n = static_cast<double>(ok.size());
  Eigen::MatrixXd full = A.selfadjointView<Eigen::Lower>();
  for (int f = 0; f < k; ++f) full(f, f) += opt_.reg_factors * n + 1e-9;
  full(k, k) += opt_.reg_linear * n + 1e-9;
  Eigen::VectorXd theta = full.ldlt().solve(rhs);
  if (!theta.allFinite()) return;
  for (int f = 0; f < k; ++f) s[static_cast<size_t>(f)] = static_cast<float>(theta[f]);
  a = theta[k];
}

double ContentModel::predict(const UserProfile& user, int32_t item) const {
  if (item < 0 || static_cast<size_t>(item) >= item_a_.size()) return w0_;
  double a;
  std::vector<float> s;
  user_side(user, a, s);
  const int k = opt_.factors;
  const float* si = item_s_.data() + static_cast<size_t>(item) * k;
  double dot = 0;
  for (int f = 0; f < k; ++f) dot += static_cast<double>(s[static_cast<size_t>(f)]) * si[f];
  return w0_ + a + item_a_[static_cast<size_t>(item)] + dot;
}

void ContentModel::score(const UserProfile& user, float* out) const {
  double a;
  std::vector<float> s;
  user_side(user, a, s);
  const int k = opt_.factors;
  const Eigen::Index n = static_cast<Eigen::Index>(item_a_.size());
  Eigen::Map<Eigen::VectorXf> o(out, n);
  if (k > 0) {
    using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowMatrixF> S(item_s_.data(), n, k);
    o.noalias() = S * Eigen::Map<const Eigen::VectorXf>(s.data(), k);
  } else {
    o.setZero();
  }
  for (Eigen::Index i = 0; i < n; ++i)
    out[i] += static_cast<float>(w0_ + a + item_a_[static_cast<size_t>(i)]);
}

namespace {

void put_rows(Writer& w, const FeatureRows& r) {
  w.put_vector(r.ptr);
  w.put_vector(r.index);
  w.put_vector(r.value);
}

FeatureRows get_rows(Reader& r, int32_t n, uint32_t n_features) {
  FeatureRows rows;
  rows.ptr = r.get_vector_exact<uint64_t>(static_cast<uint64_t>(n) + 1);
  rows.index = r.get_vector<uint32_t>();
  rows.value = r.get_vector_exact<float>(rows.index.size());
  if (rows.ptr[0] != 0 || rows.ptr.back() != rows.index.size())
    Reader::corrupt("feature row offsets");
  for (size_t e = 0; e + 1 < rows.ptr.size(); ++e)
    if (rows.ptr[e] > rows.ptr[e + 1]) Reader::corrupt("feature row offsets");
  for (uint32_t f : rows.index)
    if (f >= n_features) Reader::corrupt("feature index");
  for (float x : rows.value)
    if (!std::isfinite(x)) Reader::corrupt("feature value");
  return rows;
}

std::vector<int64_t> get_ids(Reader& r) {
  std::vector<int64_t> ids = r.get_vector<int64_t>();
  for (size_t k = 1; k < ids.size(); ++k)
    if (ids[k - 1] >= ids[k]) Reader::corrupt("id feature order");
  return ids;
}

}  // namespace

void ContentModel::save(Writer& w) const {
  w.put<uint8_t>(opt_.use_ids ? 1 : 0);
  w.put<int32_t>(opt_.factors);
  w.put_string(opt_.user_features);
  w.put_string(opt_.item_features);
  w.put<double>(opt_.reg_linear);
  w.put<double>(opt_.reg_factors);
  w.put<double>(w0_);
  user_enc_.save(w);
  item_enc_.save(w);
  w.put_vector(user_ids_);
  w.put_vector(item_ids_);
  w.put_vector(w_);
  w.put_vector(v_);
  put_rows(w, user_rows_);
  put_rows(w, item_rows_);
}

void ContentModel::load(Reader& r, const TrainingData& data) {
  ContentOptions o;
  const uint8_t use_ids = r.get<uint8_t>();
  if (use_ids > 1) Reader::corrupt("content use_ids");
  o.use_ids = use_ids == 1;
  o.factors = r.get<int32_t>();
  if (o.factors < 0 || o.factors > kMaxFactors) Reader::corrupt("content factor count");
  o.user_features = r.get_string();
  o.item_features = r.get_string();
  o.reg_linear = r.get<double>();
  o.reg_factors = r.get<double>();
  if (!std::isfinite(o.reg_linear) || o.reg_linear < 0 || !std::isfinite(o.reg_factors) ||
      o.reg_factors < 0)
    Reader::corrupt("content penalties");
  const double w0 = r.get<double>();
  if (!std::isfinite(w0)) Reader::corrupt("content global bias");
  FeatureEncoder ue, ie;
  ue.load(r, 0);
  ie.load(r, ue.size());
  std::vector<int64_t> uids = get_ids(r), iids = get_ids(r);
  const uint64_t n_f = static_cast<uint64_t>(ue.size()) + ie.size() + uids.size() + iids.size();
  if (n_f > UINT32_MAX) Reader::corrupt("content feature count");
  std::vector<float> w = r.get_vector_exact<float>(n_f);
  std::vector<float> v = r.get_vector_exact<float>(n_f * static_cast<uint64_t>(o.factors));
  for (const std::vector<float>* p : {&w, &v})
    for (float x : *p)
      if (!std::isfinite(x)) Reader::corrupt("non-finite content parameter");
  user_rows_ = get_rows(r, data.ratings->n_users(), static_cast<uint32_t>(n_f));
  item_rows_ = get_rows(r, data.ratings->n_items(), static_cast<uint32_t>(n_f));
  opt_ = o;
  w0_ = w0;
  user_enc_ = std::move(ue);
  item_enc_ = std::move(ie);
  user_ids_ = std::move(uids);
  item_ids_ = std::move(iids);
  user_id_base_ = user_enc_.size() + item_enc_.size();
  item_id_base_ = user_id_base_ + static_cast<uint32_t>(user_ids_.size());
  w_ = std::move(w);
  v_ = std::move(v);
  prepare_serving();
}

}  // namespace autorec
