// Unit tests for the content-based / hybrid factorization machine (algorithm 'content'): the
// FM arithmetic against its definition and finite differences, feature encoding, a planted
// problem learned from features alone, cold-start items and users, refresh, serialization and
// options.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/features.hpp"
#include "core/models/content/content.hpp"
#include "core/models/content/content_fm.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

struct FmFixture {
  int k = 4;
  uint32_t n_f = 12;
  std::vector<float> w, v;
  std::vector<uint32_t> ia{0, 3, 5}, ib{7, 8, 11};
  std::vector<float> xa{1.0f, -0.7f, 0.5f}, xb{1.0f, 0.4f, 1.3f};
  double w0 = 3.2;

  explicit FmFixture(uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.4f);
    w.resize(n_f);
    v.resize(static_cast<size_t>(n_f) * k);
    for (float& x : w) x = d(rng);
    for (float& x : v) x = d(rng);
  }
  fm::Row a() const { return {ia.data(), xa.data(), ia.size()}; }
  fm::Row b() const { return {ib.data(), xb.data(), ib.size()}; }
  fm::ConstParams cp() const { return {w0, w.data(), v.data(), k}; }

  // The FM by its definition: all pairs f < g of the concatenated row.
  double naive() const {
    std::vector<uint32_t> idx = ia;
    idx.insert(idx.end(), ib.begin(), ib.end());
    std::vector<float> x = xa;
    x.insert(x.end(), xb.begin(), xb.end());
    double y = w0;
    for (size_t p = 0; p < idx.size(); ++p) {
      y += w[idx[p]] * x[p];
      for (size_t q = p + 1; q < idx.size(); ++q) {
        double d = 0;
        for (int f = 0; f < k; ++f) d += v[idx[p] * k + f] * v[idx[q] * k + f];
        y += d * x[p] * x[q];
      }
    }
    return y;
  }
  double loss(float r, float reg_w, float reg_v) const {
    const double e = r - naive();
    double pen = 0;
    for (const auto* idx : {&ia, &ib})
      for (uint32_t f : *idx) {
        pen += reg_w * w[f] * w[f];
        for (int d = 0; d < k; ++d) pen += reg_v * v[f * k + d] * v[f * k + d];
      }
    return 0.5 * e * e + 0.5 * pen;
  }
};

}  // namespace

TEST(Content, FmPredictMatchesThePairwiseDefinition) {
  FmFixture fx(1);
  std::vector<float> s(fx.k), su(fx.k), si(fx.k);
  const double y = fm::predict(fx.cp(), fx.a(), fx.b(), s.data());
  EXPECT_NEAR(y, fx.naive(), 1e-5);
  // The split used for serving: w0 + a_u + a_i + <s_u, s_i>.
  const double au = fm::side(fx.cp(), fx.a(), su.data());
  const double ai = fm::side(fx.cp(), fx.b(), si.data());
  double dot = 0;
  for (int f = 0; f < fx.k; ++f) dot += su[f] * si[f];
  EXPECT_NEAR(fx.w0 + au + ai + dot, y, 1e-5);
}

TEST(Content, FmSgdStepFollowsTheFiniteDifferenceGradient) {
  FmFixture fx(2);
  const float r = 4.0f, reg_w = 0.03f, reg_v = 0.05f, lr = 1e-3f;
  // Numerical gradient of the per-rating objective for every parameter the pair touches.
  FmFixture probe = fx;
  std::vector<double> gw(fx.n_f, 0.0), gv(fx.v.size(), 0.0);
  const double h = 1e-3;
  for (const auto* idx : {&fx.ia, &fx.ib})
    for (uint32_t f : *idx) {
      const float keep = probe.w[f];
      probe.w[f] = keep + static_cast<float>(h);
      double up = probe.loss(r, reg_w, reg_v);
      probe.w[f] = keep - static_cast<float>(h);
      double down = probe.loss(r, reg_w, reg_v);
      probe.w[f] = keep;
      gw[f] = (up - down) / (2 * h);
      for (int d = 0; d < fx.k; ++d) {
        float& p = probe.v[f * fx.k + d];
        const float kv = p;
        p = kv + static_cast<float>(h);
        up = probe.loss(r, reg_w, reg_v);
        p = kv - static_cast<float>(h);
        down = probe.loss(r, reg_w, reg_v);
        p = kv;
        gv[f * fx.k + d] = (up - down) / (2 * h);
      }
    }
  FmFixture stepped = fx;
  std::vector<float> s(fx.k);
  const double err = fm::sgd_step({fx.w0, stepped.w.data(), stepped.v.data(), fx.k}, stepped.a(),
                                  stepped.b(), r, lr, reg_w, reg_v, s.data());
  EXPECT_NEAR(err, r - fx.naive(), 1e-5);
  for (uint32_t f = 0; f < fx.n_f; ++f) {
    EXPECT_NEAR((fx.w[f] - stepped.w[f]) / lr, gw[f], 2e-3) << "w" << f;
    for (int d = 0; d < fx.k; ++d)
      EXPECT_NEAR((fx.v[f * fx.k + d] - stepped.v[f * fx.k + d]) / lr, gv[f * fx.k + d], 2e-3)
          << "v" << f << "," << d;
  }
}

namespace {

FeatureColumn numeric(const std::string& name, std::vector<double> x) {
  FeatureColumn c;
  c.name = name;
  c.kind = FeatureKind::Numeric;
  c.numbers = std::move(x);
  return c;
}

FeatureColumn tokens(const std::string& name, FeatureKind kind,
                     const std::vector<std::vector<std::string>>& rows) {
  FeatureColumn c;
  c.name = name;
  c.kind = kind;
  for (const auto& r : rows) {
    for (const std::string& t : r) c.add_token(t.c_str());
    c.end_row();
  }
  return c;
}

std::vector<std::pair<uint32_t, float>> encoded(const FeatureEncoder& e, const FeatureTable& t,
                                                size_t r) {
  std::vector<uint32_t> idx;
  std::vector<float> val;
  e.encode_row(t, e.map_columns(t, "test"), r, idx, val);
  std::vector<std::pair<uint32_t, float>> out;
  for (size_t k = 0; k < idx.size(); ++k) out.emplace_back(idx[k], val[k]);
  return out;
}

}  // namespace

TEST(Content, EncodesNumericOneHotAndMultiHot) {
  FeatureTable t;
  t.ids = {10, 11, 12, 13};
  const double nan = std::nan("");
  t.columns.push_back(numeric("age", {20, 40, nan, 30}));
  t.columns.push_back(tokens("sex", FeatureKind::Categorical, {{"M"}, {"F"}, {}, {"F"}}));
  t.columns.push_back(
      tokens("genres", FeatureKind::Set, {{"drama", "comedy"}, {"war"}, {"comedy", "comedy"}, {}}));
  t.validate("test");
  FeatureEncoder e = FeatureEncoder::learn(t, 5);
  // age: 1 index, sex: F, M, genres: comedy, drama, war.
  ASSERT_EQ(e.size(), 6u);
  ASSERT_EQ(e.columns().size(), 3u);
  EXPECT_DOUBLE_EQ(e.columns()[0].mean, 30.0);
  EXPECT_NEAR(e.columns()[0].scale, std::sqrt(200.0 / 3.0), 1e-12);
  EXPECT_EQ(e.columns()[1].vocab, (std::vector<std::string>{"F", "M"}));
  EXPECT_EQ(e.columns()[2].vocab, (std::vector<std::string>{"comedy", "drama", "war"}));

  const float z = static_cast<float>(-10.0 / std::sqrt(200.0 / 3.0));
  auto r0 = encoded(e, t, 0);
  ASSERT_EQ(r0.size(), 4u);
  EXPECT_EQ(r0[0].first, 5u);
  EXPECT_NEAR(r0[0].second, z, 1e-6);
  EXPECT_EQ(r0[1], std::make_pair(7u, 1.0f));  // M
  EXPECT_EQ(r0[2].first, 9u);                  // drama, weighted 1/sqrt(2)
  EXPECT_NEAR(r0[2].second, 1 / std::sqrt(2.0f), 1e-6);
  EXPECT_EQ(r0[3].first, 8u);  // comedy
  EXPECT_NEAR(r0[3].second, 1 / std::sqrt(2.0f), 1e-6);
  // NULL numeric = the mean (0), NULL category = nothing, a repeated token counts once.
  auto r2 = encoded(e, t, 2);
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0], std::make_pair(5u, 0.0f));
  EXPECT_EQ(r2[1], std::make_pair(8u, 1.0f));
  auto r3 = encoded(e, t, 3);
  ASSERT_EQ(r3.size(), 2u);  // age 30 -> 0, F, no genres
  EXPECT_EQ(r3[1], std::make_pair(6u, 1.0f));

  // Rows read later: columns matched by name in any order, unseen tokens ignored.
  FeatureTable later;
  later.ids = {99};
  later.columns.push_back(tokens("genres", FeatureKind::Set, {{"war", "western"}}));
  later.columns.push_back(numeric("age", {60}));
  later.columns.push_back(tokens("sex", FeatureKind::Categorical, {{"X"}}));
  auto rl = encoded(e, later, 0);
  ASSERT_EQ(rl.size(), 2u);
  EXPECT_NEAR(rl[0].second, 30.0 / std::sqrt(200.0 / 3.0), 1e-5);
  EXPECT_EQ(rl[1], std::make_pair(10u, 1.0f));
  // A column that disappeared or changed kind is an error.
  later.columns.pop_back();
  EXPECT_THROW(e.map_columns(later, "item_features"), Error);
  later.columns.push_back(numeric("sex", {1}));
  EXPECT_THROW(e.map_columns(later, "item_features"), Error);

  FeatureTable dup;
  dup.ids = {1, 2, 1};
  EXPECT_THROW(dup.validate("user_features"), Error);
}

TEST(Content, EncoderSerializationRoundTrip) {
  FeatureTable t;
  t.ids = {1, 2, 3};
  t.columns.push_back(numeric("x", {1, 2, 4}));
  t.columns.push_back(tokens("c", FeatureKind::Categorical, {{"a"}, {"b"}, {"a"}}));
  FeatureEncoder e = FeatureEncoder::learn(t, 3);
  Writer w;
  e.save(w);
  Reader r(w.bytes().data(), w.bytes().size());
  FeatureEncoder back;
  back.load(r, 3);
  EXPECT_EQ(r.remaining(), 0u);
  for (size_t row = 0; row < 3; ++row) EXPECT_EQ(encoded(back, t, row), encoded(e, t, row));
}

namespace {

// A planted problem where ratings depend only on features: users belong to one of 4 groups
// and have an age; items have 1-3 of 6 genres and a year. The rating is 3 + an affinity of
// group and genre + age and year effects + noise.
struct Planted {
  RawRatings train, test;
  FeatureSet features;
  std::vector<int64_t> cold_items;  // items with features and no training ratings
  RawRatings cold;                  // their ratings (the truth)
};

Planted planted(uint64_t seed, double noise = 0.2) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unif(0, 1);
  std::normal_distribution<double> eps(0, noise);
  const int users = 200, items = 150, groups = 4, genres = 6;
  std::vector<double> aff(groups * genres);
  for (double& a : aff) a = unif(rng) * 2 - 1;
  std::vector<int> group(users);
  std::vector<double> age(users), year(items);
  std::vector<std::vector<int>> gen(items);
  Planted p;
  FeatureColumn g = tokens("group", FeatureKind::Categorical, {});
  FeatureColumn a = numeric("age", {});
  for (int u = 0; u < users; ++u) {
    group[u] = static_cast<int>(unif(rng) * groups);
    age[u] = 20 + 40 * unif(rng);
    p.features.users.ids.push_back(1000 + u);
    g.add_token(("g" + std::to_string(group[u])).c_str());
    g.end_row();
    a.add_number(u % 17 == 0 ? std::nan("") : age[u]);
  }
  p.features.users.columns = {g, a};
  FeatureColumn gs = tokens("genres", FeatureKind::Set, {});
  FeatureColumn y = numeric("year", {});
  for (int i = 0; i < items; ++i) {
    year[i] = 1950 + 50 * unif(rng);
    const int n = 1 + static_cast<int>(unif(rng) * 3);
    for (int j = 0; j < n; ++j) {
      int x = static_cast<int>(unif(rng) * genres);
      if (std::find(gen[i].begin(), gen[i].end(), x) == gen[i].end()) gen[i].push_back(x);
    }
    p.features.items.ids.push_back(5000 + i);
    for (int x : gen[i]) gs.add_token(("genre" + std::to_string(x)).c_str());
    gs.end_row();
    y.add_number(year[i]);
  }
  p.features.items.columns = {gs, y};
  for (int i = items - 15; i < items; ++i) p.cold_items.push_back(5000 + i);
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i) {
      if (unif(rng) > 0.15) continue;
      double r = 3 + (year[i] - 1975) / 50.0 - (age[u] - 40) / 40.0;
      double s = 0;
      for (int x : gen[i]) s += aff[group[u] * genres + x];
      r += 1.5 * s / static_cast<double>(gen[i].size());
      const double truth = r;
      r += eps(rng);
      if (i >= items - 15)
        p.cold.add(1000 + u, 5000 + i, truth);
      else
        (unif(rng) < 0.1 ? p.test : p.train).add(1000 + u, 5000 + i, r);
    }
  return p;
}

std::unique_ptr<Recommender> fit_content(const Planted& p, const std::string& opts,
                                         FitContext* out = nullptr) {
  auto rec = Recommender::configure("content", Options::parse(opts));
  FitContext ctx;
  rec->fit(p.train, ctx, &p.features);
  if (out) *out = ctx;
  return rec;
}

double rmse_of(const Recommender& rec, const RawRatings& t) {
  double sse = 0;
  for (size_t k = 0; k < t.size(); ++k) {
    const double e = rec.predict(t.users[k], t.items[k]) - t.ratings[k];
    sse += e * e;
  }
  return std::sqrt(sse / static_cast<double>(t.size()));
}

double baseline_rmse(const Planted& p, const RawRatings& t) {
  auto rec = Recommender::configure("baseline", Options());
  FitContext ctx;
  rec->fit(p.train, ctx);
  return rmse_of(*rec, t);
}

constexpr const char* kOpts =
    R"({"user_features": "u", "item_features": "i", "threads": 1, "seed": 3)";

}  // namespace

TEST(Content, LearnsAPlantedProblemFromFeaturesAlone) {
  Planted p = planted(7);
  auto rec = fit_content(p, std::string(kOpts) + R"(, "use_ids": false, "epochs": 40})");
  const double content = rmse_of(*rec, p.test), base = baseline_rmse(p, p.test);
  // The noise is 0.2: the model gets near it, the baseline (which cannot see the
  // group x genre affinities) stays far away.
  EXPECT_LT(content, 0.35) << "baseline " << base;
  EXPECT_GT(base, content + 0.2);
  // Cold-start items: features, no ratings, scored by the model (the baseline only knows
  // the user).
  for (int64_t i : p.cold_items) EXPECT_GE(rec->items().find(i), 0);
  const double cold = rmse_of(*rec, p.cold), cold_base = baseline_rmse(p, p.cold);
  EXPECT_LT(cold, 0.35) << "baseline " << cold_base;
  EXPECT_GT(cold_base, cold + 0.2);
  // The hybrid learns it too.
  auto hybrid = fit_content(p, std::string(kOpts) + R"(, "epochs": 40})");
  EXPECT_LT(rmse_of(*hybrid, p.test), 0.35);
}

TEST(Content, IdDropoutTeachesTheFeaturesForColdItems) {
  // With ids, the id weights absorb part of what the features explain; trained without the
  // ids now and then, the features carry it alone, which is what cold items are scored by.
  Planted p = planted(14);
  auto plain = fit_content(p, std::string(kOpts) + R"(, "id_dropout": 0})");
  auto dropped = fit_content(p, std::string(kOpts) + R"(, "id_dropout": 0.3})");
  const double with = rmse_of(*dropped, p.cold), without = rmse_of(*plain, p.cold);
  EXPECT_LT(with, without - 0.02) << with << " vs " << without;
}

TEST(Content, ZeroFactorsIsALinearModel) {
  // Without interactions the group x genre affinity cannot be learned, but the age and year
  // effects can: better than the baseline, worse than the FM.
  Planted p = planted(8);
  auto linear = fit_content(p, std::string(kOpts) + R"(, "use_ids": false, "factors": 0})");
  auto fm = fit_content(p, std::string(kOpts) + R"(, "use_ids": false, "epochs": 40})");
  const double lin = rmse_of(*linear, p.test);
  EXPECT_LT(lin, baseline_rmse(p, p.test));
  EXPECT_GT(lin, rmse_of(*fm, p.test) + 0.1);
}

TEST(Content, ServesScoresConsistentWithPredict) {
  Planted p = planted(9);
  auto rec = fit_content(p, std::string(kOpts) + "}");
  std::vector<float> s;
  rec->score_user(3, s);
  const int64_t user = rec->users().id(3);
  for (int32_t i = 0; i < rec->items().size(); i += 7)
    EXPECT_NEAR(rec->clip(s[i]), rec->predict(user, rec->items().id(i)), 1e-4);
  // Cold items can be recommended.
  auto top = rec->recommend(user, static_cast<size_t>(rec->items().size()), true, nullptr);
  bool cold_seen = false;
  for (const ScoredId& x : top)
    cold_seen |= std::find(p.cold_items.begin(), p.cold_items.end(), x.id) != p.cold_items.end();
  EXPECT_TRUE(cold_seen);
  // A visitor described by ratings: the fold-in reproduces a user's taste roughly.
  SparseRow rated = rec->ratings().user(3);
  std::vector<int64_t> ids;
  std::vector<double> vals;
  for (size_t k = 0; k < rated.n; ++k) {
    ids.push_back(rec->items().id(rated.index[k]));
    vals.push_back(rated.value[k]);
  }
  auto visitor = rec->recommend_for_ratings(ids, vals, 5);
  ASSERT_EQ(visitor.size(), 5u);
  for (const ScoredId& x : visitor) EXPECT_EQ(std::find(ids.begin(), ids.end(), x.id), ids.end());
}

TEST(Content, ColdUserIsScoredFromFeatures) {
  Planted p = planted(10);
  // Users 1000..1019 lose their ratings: they stay known through user_features.
  RawRatings kept, dropped;
  for (size_t k = 0; k < p.train.size(); ++k)
    (p.train.users[k] < 1020 ? dropped : kept)
        .add(p.train.users[k], p.train.items[k], p.train.ratings[k]);
  Planted q = p;
  q.train = kept;
  auto rec = fit_content(q, std::string(kOpts) + R"(, "epochs": 40})");
  EXPECT_GE(rec->users().find(1005), 0);
  EXPECT_LT(rmse_of(*rec, dropped), baseline_rmse(q, dropped) - 0.2);
}

TEST(Content, RefreshScoresNewItemsWithoutRetraining) {
  Planted p = planted(11);
  // Trained before the cold items appeared in item_features; a refresh adds them.
  Planted q = p;
  FeatureTable& items = q.features.items;
  const size_t keep = items.rows() - p.cold_items.size();
  items.ids.resize(keep);
  items.columns[0].offsets.resize(keep + 1);
  items.columns[0].tokens.resize(items.columns[0].offsets.back());
  items.columns[1].numbers.resize(keep);
  auto rec = fit_content(q, std::string(kOpts) + R"(, "epochs": 40})");
  EXPECT_LT(rec->items().find(p.cold_items[0]), 0);
  const int32_t u1001 = rec->users().find(1001);
  EXPECT_DOUBLE_EQ(rec->predict(1001, p.cold_items[0]),
                   rec->clip(rec->baseline().predict(u1001, -1)));
  std::vector<double> old;
  for (size_t k = 0; k < p.test.size(); ++k)
    old.push_back(rec->predict(p.test.users[k], p.test.items[k]));
  std::vector<uint8_t> before = rec->serialize();

  rec->refresh_features(p.features);
  ASSERT_GE(rec->items().find(p.cold_items[0]), 0);
  EXPECT_LT(rmse_of(*rec, p.cold), baseline_rmse(q, p.cold) - 0.2);
  // Known pairs keep their predictions; the ratings moved with the new indices.
  for (size_t k = 0; k < p.test.size(); ++k)
    EXPECT_NEAR(rec->predict(p.test.users[k], p.test.items[k]), old[k], 1e-6);
  EXPECT_EQ(rec->ratings().nnz(), q.train.size());
  EXPECT_EQ(rec->items().size(), static_cast<int32_t>(p.features.items.rows()));
  // The same refresh of a stored copy gives the same model.
  auto copy = Recommender::deserialize(before.data(), before.size());
  copy->refresh_features(p.features);
  EXPECT_EQ(copy->serialize(), rec->serialize());
  // The ranking companion follows the new items: the refreshed model loads and ranks them.
  const std::vector<uint8_t> after = rec->serialize();
  auto loaded = Recommender::deserialize(after.data(), after.size());
  ASSERT_NE(loaded->companion(), nullptr);
  const std::vector<int64_t> cold(p.cold_items.begin(), p.cold_items.end());
  const std::vector<ScoredId> a = rec->recommend(1001, 3, true, &cold);
  const std::vector<ScoredId> b = loaded->recommend(1001, 3, true, &cold);
  ASSERT_EQ(a.size(), std::min<size_t>(3, cold.size()));
  ASSERT_EQ(b.size(), a.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].id, b[k].id);
  // Families without features cannot refresh.
  auto svd = Recommender::configure("svd", Options::parse(R"({"epochs": 1})"));
  FitContext ctx;
  svd->fit(p.train, ctx);
  EXPECT_THROW(svd->refresh_features(p.features), Error);
}

TEST(Content, SerializationRoundTripAndDeterminism) {
  Planted p = planted(12);
  auto rec = fit_content(p, std::string(kOpts) + R"(, "epochs": 5})");
  std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  ASSERT_EQ(back->algorithm(), "content");
  EXPECT_EQ(back->feature_sources().users, "u");
  EXPECT_EQ(back->feature_sources().items, "i");
  for (size_t k = 0; k < p.test.size(); k += 11)
    EXPECT_EQ(back->predict(p.test.users[k], p.test.items[k]),
              rec->predict(p.test.users[k], p.test.items[k]));
  EXPECT_EQ(back->serialize(), bytes);
  // The same seed with one thread gives the same model.
  auto again = fit_content(p, std::string(kOpts) + R"(, "epochs": 5})");
  EXPECT_EQ(again->predict(1001, 5001), rec->predict(1001, 5001));
  // A refresh survives the round trip too.
  back->refresh_features(p.features);
  std::vector<uint8_t> b2 = back->serialize();
  auto back2 = Recommender::deserialize(b2.data(), b2.size());
  EXPECT_EQ(back2->predict(1001, 5001), rec->predict(1001, 5001));
  // Truncated data is an error, not a crash.
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, bytes.size() - 40})
    EXPECT_THROW(Recommender::deserialize(bytes.data(), cut), Error);
}

TEST(Content, EarlyStoppingAndHistory) {
  Planted p = planted(13);
  FitContext ctx;
  auto rec = fit_content(
      p, std::string(kOpts) + R"(, "validation_fraction": 0.2, "epochs": 200, "patience": 2})",
      &ctx);
  ASSERT_FALSE(ctx.history.empty());
  EXPECT_LT(ctx.history.size(), 200u);
  for (const EpochStats& e : ctx.history) EXPECT_FALSE(std::isnan(e.validation_rmse));
}

TEST(Content, RejectsBadOptions) {
  auto bad = [](const std::string& opts) {
    EXPECT_THROW(Recommender::configure("content", Options::parse(opts)), Error) << opts;
  };
  bad("{}");
  bad(R"({"user_features": ""})");
  bad(R"({"item_features": "i", "factors": -1})");
  bad(R"({"item_features": "i", "use_ids": "yes"})");
  bad(R"({"item_features": "i", "learning_rate": 0})");
  bad(R"({"item_features": "i", "method": "als"})");
  bad(R"({"item_features": 5})");
  try {
    Recommender::configure("content", Options());
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("user_features or item_features"), std::string::npos);
  }
  EXPECT_NO_THROW(Recommender::configure("content", Options::parse(R"({"item_features": "i"})")));
}
