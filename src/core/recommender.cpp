// Training, (de)serialization and serving of a whole model.
#include "core/recommender.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "core/features.hpp"
#include "core/registry.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

namespace autorec {
namespace {

// The ranking companion of the rating families (see Recommender::ranking_scores): an implicit
// model of "will the user consume the item", trained with its family's default options. The
// itemknn family: sparse (memory in the co-ratings, never items^2) and cheap (about 1.5 s on
// ML-1M on 2 cores).
constexpr const char* kCompanionFamily = "itemknn";
// The default rank_beta, chosen on validation splits (bench_rankblend --validate: 10% of
// ML-100K u1.base and of the ML-1M 90% training part, every rating family at its defaults).
constexpr double kDefaultRankBeta = 0.1;
// The section after the model's payload when a companion follows; payloads without it (saved
// before the blend existed, or with rank_by 'rating') rank by the predicted rating.
constexpr uint32_t kRankSectionTag = 0x52424c31;  // "RBL1"

// The companion learns from the pairs rated in the top quarter of the training range (>= 4 on
// a 1..5 scale: the itemknn default), whatever the scale.
std::unique_ptr<Model> make_companion(double r_min = 1, double r_max = 5) {
  char json[64];
  std::snprintf(json, sizeof json, "{\"min_rating\": %.17g}", r_min + 0.75 * (r_max - r_min));
  Options o = Options::parse(json);
  return create_model(kCompanionFamily, o);
}

}  // namespace

// Saved with the options: whether the training input held ratings (explicit) or interaction
// weights. Ranking families' popularity fallback counts raters of ratings, sums weights.
constexpr const char* kExplicitInputKey = "_explicit_input";

void FitContext::epoch_done(const EpochStats& s, int of) {
  history.push_back(s);
  planned_epochs = of;
  char head[48], buf[192];
  if (of > 0)
    std::snprintf(head, sizeof head, "epoch %d of %d", s.epoch, of);
  else
    std::snprintf(head, sizeof head, "epoch %d", s.epoch);
  if (std::isnan(s.train_rmse) && std::isnan(s.validation_rmse))  // a ranking family
    std::snprintf(buf, sizeof buf, "%s (%.2f s)", head, s.seconds);
  else if (std::isnan(s.validation_rmse))
    std::snprintf(buf, sizeof buf, "%s: train RMSE %.4f (%.2f s)", head, s.train_rmse, s.seconds);
  else
    std::snprintf(buf, sizeof buf, "%s: train RMSE %.4f, validation RMSE %.4f (%.2f s)", head,
                  s.train_rmse, s.validation_rmse, s.seconds);
  progress(buf);
}

namespace {

// The line that says a training ended before its last epoch (early stopping on the validation
// RMSE, or an optimizer that converged); empty when it ran every epoch or the family reports
// no epochs.
std::string early_stop_line(const FitContext& ctx) {
  if (ctx.history.empty() || ctx.planned_epochs <= 0) return {};
  const int last = ctx.history.back().epoch;
  if (last >= ctx.planned_epochs) return {};
  char buf[160];
  std::snprintf(buf, sizeof buf, "stopped early after epoch %d of %d", last, ctx.planned_epochs);
  std::string line = buf;
  const EpochStats* best = nullptr;
  for (const EpochStats& s : ctx.history)
    if (!std::isnan(s.validation_rmse) && (!best || s.validation_rmse < best->validation_rmse))
      best = &s;
  if (best) {
    std::snprintf(buf, sizeof buf, " (best validation RMSE %.4f, epoch %d)",
                  best->validation_rmse, best->epoch);
    line += buf;
  }
  return line;
}

}  // namespace

std::unique_ptr<Recommender> Recommender::configure(const std::string& algorithm,
                                                    Options options, bool describing) {
  std::unique_ptr<Recommender> r(new Recommender());
  const Family& family = find_family(algorithm);
  r->algorithm_ = algorithm;
  r->scores_ = family.scores;
  // The scopes label the option reference (options/reference.hpp): options every family of a
  // kind reads, and the family's own.
  options.set_scope(OptionScope::Training);
  r->seed_ = static_cast<uint64_t>(options.integer("seed", 42, 0, INT64_MAX));
  r->threads_ = static_cast<int>(options.integer("threads", 0, 0, 256));
  r->verbose_ = options.boolean("verbose", false);
  options.set_scope(OptionScope::Algorithm);
  r->model_ = family.make(options);
  const BaselineUse use = r->model_->baseline_use();
  // A rating family always gets the baseline: it is the fallback predict() serves.
  r->fit_baseline_ = family.scores == ScoreKind::Rating || use.wanted;
  r->baseline_is_training_ = use.is_training;
  // The baseline family's own options have no prefix; the others' fallback has one.
  options.set_scope(*use.option_prefix ? OptionScope::Training : OptionScope::Algorithm);
  if (r->fit_baseline_) r->bias_options_ = BiasOptions::read(options, use.option_prefix);
  options.set_scope(OptionScope::Training);
  if (family.scores == ScoreKind::Rating) {
    const bool blend = options.choice("rank_by", "blend", {"blend", "rating"}) == "blend";
    r->rank_beta_ = options.number("rank_beta", kDefaultRankBeta, 0, 100);
    if (blend) r->companion_ = make_companion();
  }
  options.set_scope(OptionScope::Algorithm);
  options.reject_unknown(algorithm);
  if (!describing) r->model_->check_options();
  r->options_ = std::move(options);
  return r;
}

Error Recommender::ratings_required(const std::string& algorithm, const std::string& why,
                                    ErrorKind kind, const char* file, int line,
                                    const char* function) {
  const std::string ranking = algorithm_list(ScoreKind::Ranking);
  return Error(kind,
               "algorithm \"" + algorithm + "\" predicts ratings and needs a rating column, but " +
                   why,
               "Name the rating column with the option rating_column." +
                   (ranking.empty() ? std::string()
                                    : " Algorithms that learn from implicit data (user and "
                                      "item columns, an optional weight_column): " +
                                          ranking + "."),
               {}, file, line, function);
}

void Recommender::fit(const RawRatings& raw, FitContext& ctx, const FeatureSet* features) {
  auto start = std::chrono::steady_clock::now();
  if (scores_ == ScoreKind::Rating && raw.implicit)
    throw ratings_required(algorithm_, "the input is implicit (no ratings)");
  // Explicit input keeps its ratings for a ranking family too (TrainingData::explicit_ratings):
  // the family decides how to read them (EASE weights by them, itemknn keeps the high ones).
  Dataset d = build_dataset(raw);
  explicit_input_ = !raw.implicit;
  options_.record(kExplicitInputKey, explicit_input_);
  users_ = std::move(d.users);
  items_ = std::move(d.items);
  ratings_ = std::move(d.matrix);
  duplicates_ = d.duplicates;
  if (features) {
    features->users.validate("user_features");
    features->items.validate("item_features");
    add_ids(features->users.ids, features->items.ids);
  }
  ctx.check_interrupt();
  if (ctx.memory_check) {
    TrainingSize size;
    size.n_users = users_.size();
    size.n_items = items_.size();
    size.nnz = ratings_.nnz();
    size.threads = training_threads(ctx.max_threads);
    size_t feature_bytes = 0;
    if (features)
      for (const FeatureTable* t : {&features->users, &features->items}) {
        size.feature_rows += t->rows();
        size.feature_values += t->values();
        size.feature_indices += FeatureEncoder::learn(*t, 0).size();
        feature_bytes += t->bytes();
      }
    ctx.memory_check(estimated_training_bytes(size, raw.size(), feature_bytes), *model_);
  }
  ctx.seed = seed_;
  ctx.threads = training_threads(ctx.max_threads);
  ctx.verbose = verbose_;
  // When the baseline is the model its epochs are the training's; for the other families it is
  // their fallback (or an input), and their own epochs make the history.
  baseline_ = fit_baseline_ ? fit_biases(ratings_, bias_options_, &ctx, baseline_is_training_)
                            : Biases{};
  model_->fit(data(features), ctx);
  const std::string early = early_stop_line(ctx);
  if (!early.empty()) ctx.notice(early);
  if (companion_) {
    ctx.check_interrupt();
    companion_ = make_companion(ratings_.min_rating(), ratings_.max_rating());
    // Its progress reads as the companion's; its epochs (none for itemknn) are not the model's.
    FitContext cctx;
    cctx.interrupt_check = ctx.interrupt_check;
    cctx.seed = seed_;
    cctx.threads = ctx.threads;
    cctx.verbose = ctx.verbose;
    if (ctx.notice_sink)
      cctx.notice_sink = [&ctx](const std::string& msg) { ctx.notice("ranking companion " + msg); };
    if (ctx.progress_sink)
      cctx.progress_sink = [&ctx](const std::string& msg) {
        ctx.progress("ranking companion " + msg);
      };
    companion_->fit(data(), cctx);
  }
  prepare_fallback();
  history_ = ctx.history;
  fit_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Recommender::add_ids(const std::vector<int64_t>& users, const std::vector<int64_t>& items) {
  auto merged = [](const IdMap& m, std::vector<int64_t> ids) {
    ids.insert(ids.end(), m.ids().begin(), m.ids().end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.size() >= static_cast<size_t>(INT32_MAX))
      throw Error(ErrorKind::ResourceLimit, "too many distinct users or items");
    return IdMap(std::move(ids));
  };
  IdMap nu = merged(users_, users), ni = merged(items_, items);
  if (nu.size() == users_.size() && ni.size() == items_.size()) return;
  std::vector<int32_t> umap(static_cast<size_t>(users_.size())),
      imap(static_cast<size_t>(items_.size()));
  for (int32_t u = 0; u < users_.size(); ++u) umap[u] = nu.find(users_.id(u));
  for (int32_t i = 0; i < items_.size(); ++i) imap[i] = ni.find(items_.id(i));
  std::vector<Triple> triples = ratings_.triples();
  for (Triple& t : triples) {
    t.user = umap[t.user];
    t.item = imap[t.item];
  }
  ratings_ = RatingMatrix(nu.size(), ni.size(), triples);
  if (baseline_.user.size() == umap.size() && baseline_.item.size() == imap.size()) {
    std::vector<float> bu(static_cast<size_t>(nu.size()), 0.0f),
        bi(static_cast<size_t>(ni.size()), 0.0f);
    for (size_t u = 0; u < umap.size(); ++u) bu[umap[u]] = baseline_.user[u];
    for (size_t i = 0; i < imap.size(); ++i) bi[imap[i]] = baseline_.item[i];
    baseline_.user = std::move(bu);
    baseline_.item = std::move(bi);
  }
  users_ = std::move(nu);
  items_ = std::move(ni);
}

void Recommender::refresh_features(const FeatureSet& features) {
  if (model_->feature_sources().empty())
    throw Error(ErrorKind::NotSupported,
                "model algorithm \"" + algorithm_ + "\" does not use user or item features",
                "autorec_refresh_features() works for models trained with the options "
                "user_features or item_features.");
  features.users.validate("user_features");
  features.items.validate("item_features");
  add_ids(features.users.ids, features.items.ids);
  model_->refresh_features(data(&features));
  // New items (and the dense indices that moved) reach the companion by refitting it on the
  // same ratings: cheap, and the same similarities for the items it knew.
  if (companion_) {
    FitContext ctx;
    ctx.seed = seed_;
    ctx.threads = threads_;
    companion_ = make_companion(ratings_.min_rating(), ratings_.max_rating());
    companion_->fit(data(), ctx);
  }
  prepare_fallback();
}

int Recommender::training_threads(int max_threads) const {
  return resolve_threads(threads_, max_threads);
}

size_t Recommender::estimated_training_bytes(const TrainingSize& size, size_t raw_rows,
                                             size_t feature_bytes) const {
  const double users = size.n_users, items = size.n_items, nnz = static_cast<double>(size.nnz);
  // The rows as read (user, item id and rating each); the read grows the vector by doubling, so
  // the last copy and the one before it exist at once.
  const size_t input = bytes_of<int64_t>(1.5 * 3 * static_cast<double>(raw_rows));
  // Indexing (build_dataset): sorted id copies, two generations of triples being sorted and the
  // averaged ones; then CSR and CSC (an index and a value per rating, an offset per row), the
  // id maps and the baseline.
  const size_t indexing = bytes_of<Triple>(3.0 * static_cast<double>(raw_rows)) +
                          bytes_of<int64_t>(2.0 * static_cast<double>(raw_rows));
  const size_t matrix = bytes_of<int32_t>(4 * nnz) + bytes_of<int64_t>(users + items + 2);
  const size_t id_maps = bytes_of<int64_t>(users + items);
  const size_t baseline = bytes_of<float>(2 * (users + items));
  // serialize() writes the ratings (CSR), id maps and baseline next to the model's own bytes;
  // the glue holds that buffer, its bytea and the result tuple at once, with the model alive.
  const size_t saved = bytes_of<float>(2 * nnz) + bytes_of<int64_t>(users + 1) + id_maps +
                       bytes_of<float>(users + items);
  constexpr size_t kSerializedCopies = 3;
  MemoryEstimate m = model_->estimated_memory(size);
  if (companion_) {
    // The companion is trained after the model, whose kept state is held meanwhile.
    const MemoryEstimate c = companion_->estimated_memory(size);
    m.training = std::max(m.training, m.kept + c.training);
    m.kept += c.kept;
    m.saved += c.saved;
  }
  const size_t end = m.kept + kSerializedCopies * (saved + m.saved);
  const size_t total = input + feature_bytes +
                      std::max(indexing, matrix + id_maps + baseline + std::max(m.training, end));
  // What the allocator adds to what is asked of it: the arenas of the worker threads, blocks
  // freed but not returned to the system, code pages touched for the first time (bench/memory.sh
  // measures estimates of 1.03 to 1.5 times the peak without it).
  return total + total / 8;
}

std::vector<uint8_t> Recommender::serialize() const {
  Writer w;
  w.put_string(options_.to_json());
  w.put<uint64_t>(seed_);
  w.put<double>(fit_seconds_);
  w.put<uint64_t>(duplicates_);
  w.put_vector(users_.ids());
  w.put_vector(items_.ids());
  w.put_vector(ratings_.user_ptr());
  w.put_vector(ratings_.user_items());
  w.put_vector(ratings_.user_values());
  baseline_.save(w);
  w.put<uint64_t>(history_.size());
  for (const EpochStats& e : history_) w.put(e);
  model_->save(w);
  if (companion_) {
    w.put<uint32_t>(kRankSectionTag);
    w.put<double>(rank_beta_);
    companion_->save(w);
  }
  ModelHeader h;
  h.algorithm = algorithm_;
  h.n_users = users_.size();
  h.n_items = items_.size();
  h.n_ratings = ratings_.nnz();
  return frame_model(h, w.bytes());
}

std::unique_ptr<Recommender> Recommender::deserialize(const uint8_t* data, size_t n) {
  const uint8_t* payload;
  size_t len;
  ModelHeader h = unframe_model(data, n, &payload, &len);
  // The tag is outside the CRC (which covers the payload only); an unknown tag is damage, not a
  // user's choice of algorithm. The raw bytes stay out of the message: they may not be text.
  const std::vector<std::string> names = algorithm_names();
  if (std::find(names.begin(), names.end(), h.algorithm) == names.end())
    Reader::corrupt("unknown algorithm tag");
  Reader r(payload, len);
  std::unique_ptr<Recommender> rec(new Recommender());
  rec->algorithm_ = h.algorithm;
  rec->scores_ = find_family(h.algorithm).scores;
  rec->options_ = Options::parse(r.get_string());
  // Models saved before the key existed were trained on ratings, or are ranking models whose
  // fallback summed the values: both read as false here only for implicit input.
  rec->explicit_input_ = rec->options_.boolean(kExplicitInputKey, rec->scores_ == ScoreKind::Rating);
  rec->seed_ = r.get<uint64_t>();
  rec->fit_seconds_ = r.get<double>();
  rec->duplicates_ = r.get<uint64_t>();
  auto check_sorted = [](const std::vector<int64_t>& ids) {
    for (size_t k = 1; k < ids.size(); ++k)
      if (ids[k - 1] >= ids[k]) Reader::corrupt("id map is not sorted");
  };
  std::vector<int64_t> uids = r.get_vector_exact<int64_t>(static_cast<uint64_t>(h.n_users));
  std::vector<int64_t> iids = r.get_vector_exact<int64_t>(static_cast<uint64_t>(h.n_items));
  check_sorted(uids);
  check_sorted(iids);
  rec->users_ = IdMap(std::move(uids));
  rec->items_ = IdMap(std::move(iids));
  std::vector<int64_t> ptr = r.get_vector_exact<int64_t>(static_cast<uint64_t>(h.n_users) + 1);
  std::vector<int32_t> idx = r.get_vector_exact<int32_t>(h.n_ratings);
  std::vector<float> val = r.get_vector_exact<float>(h.n_ratings);
  if (ptr[0] != 0 || static_cast<uint64_t>(ptr.back()) != h.n_ratings)
    Reader::corrupt("rating matrix offsets");
  std::vector<Triple> triples;
  triples.reserve(h.n_ratings);
  for (int32_t u = 0; u < h.n_users; ++u) {
    if (ptr[u] > ptr[u + 1] || static_cast<uint64_t>(ptr[u + 1]) > h.n_ratings)
      Reader::corrupt("rating matrix offsets");
    for (int64_t k = ptr[u]; k < ptr[u + 1]; ++k) {
      if (idx[k] < 0 || idx[k] >= h.n_items || !std::isfinite(val[k]))
        Reader::corrupt("rating matrix entry");
      // RatingMatrix stores each row sorted and holds one rating per (user, item).
      if (k > ptr[u] && idx[k - 1] >= idx[k]) Reader::corrupt("rating matrix row is not sorted");
      triples.push_back({u, idx[k], val[k]});
    }
  }
  rec->ratings_ = RatingMatrix(h.n_users, h.n_items, triples);
  rec->baseline_.load(r, h.n_users, h.n_items);
  if (rec->scores_ == ScoreKind::Rating && rec->baseline_.item.empty())
    Reader::corrupt("a rating model without its baseline");
  uint64_t n_hist = r.get<uint64_t>();
  if (n_hist > r.remaining() / sizeof(EpochStats)) Reader::corrupt("history length");
  for (uint64_t k = 0; k < n_hist; ++k) rec->history_.push_back(r.get<EpochStats>());
  Options none;
  rec->model_ = create_model(h.algorithm, none);
  rec->model_->load(r, rec->data());
  if (r.remaining() != 0 && rec->scores_ == ScoreKind::Rating) {
    if (r.get<uint32_t>() != kRankSectionTag) Reader::corrupt("unknown section after the model");
    rec->rank_beta_ = r.get<double>();
    if (!(rec->rank_beta_ >= 0 && rec->rank_beta_ <= 100)) Reader::corrupt("rank_beta");
    rec->companion_ = make_companion();
    rec->companion_->load(r, rec->data());
  }
  if (r.remaining() != 0) Reader::corrupt("trailing bytes after the model");
  rec->prepare_fallback();
  return rec;
}

double Recommender::clip(double r) const {
  return std::min<double>(std::max<double>(r, ratings_.min_rating()), ratings_.max_rating());
}

UserProfile Recommender::profile(int32_t u) const { return {u, ratings_.user(u)}; }

void Recommender::score_user(int32_t u, std::vector<float>& out) const {
  out.resize(static_cast<size_t>(items_.size()));
  model_->score(profile(u), out.data());
}

void Recommender::blend_scores(const float* rating, const float* companion, size_t n,
                               double r_min, double r_max, double beta, float* out) {
  float c_max = 0;
  for (size_t i = 0; i < n; ++i) c_max = std::max(c_max, companion[i]);
  const double eps = c_max > 0 ? 1e-3 * c_max : 1.0;
  const double range = r_max > r_min ? r_max - r_min : 1.0;
  for (size_t i = 0; i < n; ++i) {
    const double r = std::min(std::max(static_cast<double>(rating[i]), r_min), r_max);
    const double g = (r - r_min) / range;
    const double c = std::max(0.0, static_cast<double>(companion[i]));
    out[i] = static_cast<float>((c + eps) * (beta == 1.0 ? g : std::pow(g, beta)));
  }
}

void Recommender::ranking_scores(const UserProfile& p, std::vector<float>& out) const {
  const size_t n = static_cast<size_t>(items_.size());
  out.resize(n);
  model_->score(p, out.data());
  if (!companion_) return;
  std::vector<float> c(n);
  companion_->score(p, c.data());
  blend_scores(out.data(), c.data(), n, ratings_.min_rating(), ratings_.max_rating(), rank_beta_,
               out.data());
}

std::vector<ScoredId> Recommender::top_n(const std::vector<float>& scores, size_t n,
                                         const SparseRow* exclude,
                                         const std::vector<int64_t>* candidates,
                                         bool clip_shown) const {
  std::vector<ScoredIndex> pool;
  auto excluded = [&](int32_t i) {
    return exclude && std::binary_search(exclude->index, exclude->index + exclude->n, i);
  };
  if (candidates) {
    std::vector<int32_t> idx;
    for (int64_t id : *candidates) {
      int32_t i = items_.find(id);
      if (i >= 0) idx.push_back(i);
    }
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    for (int32_t i : idx)
      if (!excluded(i)) pool.push_back({i, scores[i]});
  } else {
    pool.reserve(scores.size());
    size_t e = 0;
    for (int32_t i = 0; i < items_.size(); ++i) {
      if (exclude && e < exclude->n && exclude->index[e] == i) {
        ++e;
        continue;
      }
      pool.push_back({i, scores[i]});
    }
  }
  auto better = [](const ScoredIndex& a, const ScoredIndex& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  n = std::min(n, pool.size());
  std::partial_sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(n), pool.end(),
                    better);
  std::vector<ScoredId> out;
  out.reserve(n);
  for (size_t k = 0; k < n; ++k) out.push_back({items_.id(pool[k].index), clip_shown ? clip(pool[k].score) : pool[k].score});
  return out;
}

void Recommender::prepare_fallback() {
  if (scores_ == ScoreKind::Ranking) {
    fallback_ = item_interactions(ratings_, explicit_input_);
    return;
  }
  fallback_.assign(static_cast<size_t>(items_.size()), 0.0f);
  for (int32_t i = 0; i < items_.size(); ++i)
    fallback_[static_cast<size_t>(i)] = static_cast<float>(baseline_.predict(-1, i));
}

std::vector<ScoredId> Recommender::popular(size_t n,
                                           const std::vector<int64_t>* candidates) const {
  return top_n(fallback_, n, nullptr, candidates, scores_ == ScoreKind::Rating);
}

std::vector<ScoredId> Recommender::recommend(int64_t user, size_t n, bool exclude_rated,
                                             const std::vector<int64_t>* candidates) const {
  if (n == 0) return {};
  int32_t u = users_.find(user);
  if (u < 0) return popular(n, candidates);
  std::vector<float> s;
  const UserProfile p = profile(u);
  ranking_scores(p, s);
  return top_n(s, n, exclude_rated ? &p.ratings : nullptr, candidates,
               scores_ == ScoreKind::Rating && !companion_);
}

std::vector<ScoredId> Recommender::recommend_for_ratings(const std::vector<int64_t>& item_ids,
                                                         const std::vector<double>& values,
                                                         size_t n) const {
  if (item_ids.size() != values.size())
    throw Error(ErrorKind::InvalidParameter, "item_ids and ratings must have the same length");
  // Duplicates are averaged, as in training; every value is first clipped to the training
  // range, so that a huge rating (1e200) counts as the highest one instead of overflowing the
  // model's arithmetic into NaN scores.
  std::map<int32_t, std::pair<double, int>> acc;
  for (size_t k = 0; k < item_ids.size(); ++k) {
    if (!std::isfinite(values[k]))
      throw Error(ErrorKind::DataError, "ratings must be finite numbers");
    int32_t i = items_.find(item_ids[k]);
    if (i < 0) continue;  // items the model has never seen carry no signal
    acc[i].first += clip(values[k]);
    acc[i].second += 1;
  }
  if (n == 0) return {};
  if (acc.empty()) return popular(n, nullptr);
  std::vector<int32_t> idx;
  std::vector<float> val;
  for (auto& [i, sv] : acc) {
    idx.push_back(i);
    val.push_back(static_cast<float>(sv.first / sv.second));
  }
  UserProfile p{-1, {idx.data(), val.data(), idx.size()}};
  std::vector<float> s;
  ranking_scores(p, s);
  return top_n(s, n, &p.ratings, nullptr, scores_ == ScoreKind::Rating && !companion_);
}

double Recommender::predict(int64_t user, int64_t item) const {
  if (scores_ == ScoreKind::Ranking)
    throw Error(ErrorKind::NotSupported,
                "model algorithm \"" + algorithm_ + "\" ranks items and does not predict ratings",
                "Use recommend() for its top-n items. Algorithms that predict ratings: " +
                    algorithm_list(ScoreKind::Rating) + ".");
  int32_t u = users_.find(user), i = items_.find(item);
  if (u < 0 || i < 0) return clip(baseline_.predict(u, i));
  return clip(model_->predict(profile(u), i));
}

std::vector<ScoredId> Recommender::similar_items(int64_t item, size_t n) const {
  if (!model_->has_item_similarity())
    throw Error(ErrorKind::NotSupported,
                "model algorithm \"" + algorithm_ + "\" has no item similarity",
                "similar_items() needs a model that learns item-item similarities (an "
                "item-based neighbourhood model).");
  int32_t i = items_.find(item);
  if (i < 0 || n == 0) return {};
  std::vector<ScoredIndex> s = model_->similar_items(i, n);
  std::vector<ScoredId> out;
  for (const ScoredIndex& x : s) out.push_back({items_.id(x.index), x.score});
  return out;
}

std::vector<ExplainedId> Recommender::explain(int64_t user, int64_t item) const {
  if (!model_->can_explain())
    throw Error(ErrorKind::NotSupported,
                "model algorithm \"" + algorithm_ + "\" cannot explain its recommendations",
                "explain_recommendation() works for models that score from neighbours "
                "(neighbourhood models).");
  int32_t u = users_.find(user), i = items_.find(item);
  if (u < 0 || i < 0) return {};
  std::vector<Contribution> c = model_->explain(profile(u), i);
  const IdMap& ids = model_->explains_with_users() ? users_ : items_;
  std::vector<ExplainedId> out;
  for (const Contribution& x : c) out.push_back({ids.id(x.index), x.rating, x.similarity, x.contribution});
  return out;
}

}  // namespace autorec
