// Unit tests for the shared core: options, ratings matrix, serialization, baseline, metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

RawRatings small_ratings() {
  // 3 users x 3 items, with a duplicate (10, 100) that is averaged to 4.
  RawRatings r;
  r.add(10, 100, 5);
  r.add(10, 100, 3);
  r.add(10, 200, 3);
  r.add(20, 100, 4);
  r.add(20, 300, 1);
  r.add(30, 200, 2);
  r.add(30, 300, 5);
  return r;
}

std::unique_ptr<Recommender> trained(const std::string& algo, const std::string& opts,
                                     const RawRatings& train = small_ratings()) {
  auto rec = Recommender::configure(algo, Options::parse(opts));
  FitContext ctx;
  rec->fit(train, ctx);
  return rec;
}

// Where the recommender-level fields of a serialized model start (the order of
// Recommender::serialize), so that a test can change one behind a recomputed checksum.
struct Layout {
  size_t header;     // the payload starts here
  size_t csr_index;  // the first CSR item index (int32)
  size_t baseline;   // Biases: mean, reg_user (doubles), user and item biases (vectors)
};

Layout layout_of(const std::vector<uint8_t>& b, const std::string& algorithm) {
  Layout l;
  l.header = 8 + 4 + 8 + algorithm.size() + 4 + 4 + 8 + 8 + 4;  // src/core/serialize.cpp
  size_t p = l.header;
  auto count = [&] {
    uint64_t n;
    std::memcpy(&n, b.data() + p, sizeof n);
    p += sizeof n;
    return static_cast<size_t>(n);
  };
  p += count();          // options JSON
  p += 3 * 8;            // seed, fit seconds, duplicates
  p += count() * 8;      // user ids
  p += count() * 8;      // item ids
  p += count() * 8;      // CSR offsets
  size_t nnz = count();  // CSR item indices
  l.csr_index = p;
  p += nnz * 4;
  p += count() * 4;  // CSR values
  l.baseline = p;
  return l;
}

template <typename T>
std::vector<uint8_t> patched(std::vector<uint8_t> b, size_t header, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
  uint32_t crc = crc32(b.data() + header, b.size() - header);
  std::memcpy(b.data() + header - 4, &crc, sizeof crc);
  return b;
}

void expect_corrupt(const std::vector<uint8_t>& b, const std::string& what) {
  try {
    Recommender::deserialize(b.data(), b.size());
    ADD_FAILURE() << what << ": accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << what << ": " << e.what();
  }
}

}  // namespace

TEST(Options, TypedGettersAndErrors) {
  Options o = Options::parse(R"({"k": 40, "kind": "item", "hidden": [500, 250], "x": true})");
  EXPECT_EQ(o.integer("k", 1, 1, 100), 40);
  EXPECT_EQ(o.choice("kind", "user", {"item", "user"}), "item");
  EXPECT_EQ(o.integer_list("hidden", {1}, 1, 10000), (std::vector<int64_t>{500, 250}));
  EXPECT_THROW(o.reject_unknown("knn"), Error);  // "x" was never asked for
  EXPECT_TRUE(o.boolean("x", false));
  EXPECT_NO_THROW(o.reject_unknown("knn"));
  EXPECT_THROW(o.integer("k", 1, 50, 100), Error);
  EXPECT_THROW(Options::parse("[1]"), Error);
  EXPECT_THROW(Options::parse("{\"a\": "), Error);
  EXPECT_THROW(Options::parse(R"({"hidden": []})").integer_list("hidden", {1}, 1, 10), Error);
  try {
    Options::parse(R"({"kind": "diagonal"})").choice("kind", "item", {"item", "user"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kind"), std::string::npos);
    EXPECT_NE(e.hint().find("item, user"), std::string::npos);
  }
}

TEST(Ratings, DatasetMapsIdsAndAveragesDuplicates) {
  Dataset d = build_dataset(small_ratings());
  EXPECT_EQ(d.users.size(), 3);
  EXPECT_EQ(d.items.size(), 3);
  EXPECT_EQ(d.duplicates, 1u);
  EXPECT_EQ(d.matrix.nnz(), 6u);
  EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(10), d.items.find(100)), 4.0f);
  EXPECT_TRUE(std::isnan(d.matrix.rating(d.users.find(10), d.items.find(300))));
  EXPECT_EQ(d.users.find(999), -1);
  SparseRow c = d.matrix.item(d.items.find(300));
  ASSERT_EQ(c.n, 2u);
  EXPECT_FLOAT_EQ(c.value[0], 1.0f);
  EXPECT_FLOAT_EQ(c.value[1], 5.0f);
  RawRatings bad = small_ratings();
  bad.add(1, 1, std::nan(""));
  EXPECT_THROW(build_dataset(bad), Error);
  EXPECT_THROW(build_dataset(RawRatings{}), Error);
}

TEST(Baseline, MatchesHandComputedAls) {
  // One epoch by hand, items first (Surprise's order): mu = (4+3+4+1+2+5)/6 = 19/6.
  Dataset d = build_dataset(small_ratings());
  BiasOptions o;
  o.epochs = 1;
  o.reg_item = 1;
  o.reg_user = 2;
  Biases b = fit_biases(d.matrix, o);
  const double mu = 19.0 / 6.0;
  EXPECT_NEAR(b.mean, mu, 1e-9);
  // item 100: users 10 (4) and 20 (4), b_u = 0: (8 - 2 mu) / (1 + 2)
  double bi100 = (8 - 2 * mu) / 3, bi200 = (5 - 2 * mu) / 3, bi300 = (6 - 2 * mu) / 3;
  EXPECT_NEAR(b.item[d.items.find(100)], bi100, 1e-6);
  EXPECT_NEAR(b.item[d.items.find(200)], bi200, 1e-6);
  // user 10: items 100 (4) and 200 (3): (7 - 2 mu - bi100 - bi200) / (2 + 2)
  EXPECT_NEAR(b.user[d.users.find(10)], (7 - 2 * mu - bi100 - bi200) / 4, 1e-6);
  EXPECT_NEAR(b.user[d.users.find(30)], (7 - 2 * mu - bi200 - bi300) / 4, 1e-6);

  // The same epoch through the model: a prediction is mu + b_u + b_i, and a visitor's bias is
  // folded in with reg_user (ratings lie in [1, 5], so nothing here is clipped). Ranked by
  // rating, recommend_for_ratings shows those predictions.
  auto rec = trained("baseline",
                     R"({"epochs": 1, "reg_item": 1, "reg_user": 2, "rank_by": "rating"})");
  const double bu20 = (5 - 2 * mu - bi100 - bi300) / 4;
  EXPECT_NEAR(rec->predict(20, 200), mu + bu20 + bi200, 1e-5);
  const double visitor = (5 - mu - bi100) / (2 + 1);  // one rating of 5 on item 100
  auto top = rec->recommend_for_ratings({100}, {5}, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 300);  // bi300 > bi200
  EXPECT_NEAR(top[0].score, mu + visitor + bi300, 1e-5);
  EXPECT_EQ(top[1].id, 200);
  EXPECT_NEAR(top[1].score, mu + visitor + bi200, 1e-5);
}

TEST(Baseline, ReportsEachEpoch) {
  // The baseline algorithm reports every epoch: train RMSE of the biases after it, no
  // validation RMSE (the baseline is fitted on all ratings).
  Dataset d = build_dataset(small_ratings());
  BiasOptions o;
  o.epochs = 3;
  FitContext ctx;
  std::vector<std::string> notices;
  ctx.notice_sink = [&](const std::string& m) { notices.push_back(m); };
  Biases b = fit_biases(d.matrix, o, &ctx, true);
  ASSERT_EQ(ctx.history.size(), 3u);
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices[0].rfind("epoch 1 of 3: train RMSE ", 0), 0u) << notices[0];
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(ctx.history[e].epoch, static_cast<int>(e + 1));
    EXPECT_TRUE(std::isnan(ctx.history[e].validation_rmse));
    EXPECT_GE(ctx.history[e].seconds, 0.0);
  }
  double sq = 0;
  for (const Triple& t : d.matrix.triples()) {
    const double err = t.rating - b.predict(t.user, t.item);
    sq += err * err;
  }
  EXPECT_NEAR(ctx.history.back().train_rmse, std::sqrt(sq / d.matrix.nnz()), 1e-6);
  // Without report_epochs (every other family's fallback) nothing is recorded, and the fit is
  // the same.
  FitContext quiet;
  Biases q = fit_biases(d.matrix, o, &quiet);
  EXPECT_TRUE(quiet.history.empty());
  EXPECT_EQ(q.user, b.user);
  EXPECT_EQ(q.item, b.item);
  // Through the Recommender: the baseline algorithm's history is its epochs; another family's
  // history holds only its own epochs.
  EXPECT_EQ(trained("baseline", R"({"epochs": 4})")->history().size(), 4u);
  auto svd = trained("svd", R"({"epochs": 2, "baseline_epochs": 5})");
  ASSERT_EQ(svd->history().size(), 2u);
  EXPECT_EQ(svd->history().back().epoch, 2);
}

TEST(Recommender, ServesAndRoundTrips) {
  auto rec = trained("baseline", "{}");
  auto top = rec->recommend(10, 10, true, nullptr);
  ASSERT_EQ(top.size(), 1u);  // user 10 rated 100 and 200
  EXPECT_EQ(top[0].id, 300);
  EXPECT_EQ(rec->recommend(10, 10, false, nullptr).size(), 3u);
  std::vector<int64_t> cand = {300, 300, 100, 12345};
  auto c = rec->recommend(10, 5, false, &cand);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(rec->recommend(999, 2, true, nullptr).size(), 2u);  // unknown user: popularity
  double p = rec->predict(20, 200);
  EXPECT_GE(p, 1.0);
  EXPECT_LE(p, 5.0);

  std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  EXPECT_EQ(back->algorithm(), "baseline");
  EXPECT_DOUBLE_EQ(back->predict(20, 200), p);
  EXPECT_EQ(back->users().ids(), rec->users().ids());
  EXPECT_EQ(back->ratings().nnz(), rec->ratings().nnz());
  EXPECT_EQ(back->serialize(), bytes);
}

TEST(Recommender, FoldInAndCapabilities) {
  auto rec = trained("baseline", "{}");
  auto r = rec->recommend_for_ratings({100, 999}, {5.0, 1.0}, 10);
  ASSERT_EQ(r.size(), 2u);  // 100 is excluded, 999 unknown
  EXPECT_THROW(rec->similar_items(100, 5), Error);
  EXPECT_THROW(rec->explain(10, 300), Error);
  EXPECT_THROW(rec->recommend_for_ratings({1}, {1, 2}, 3), Error);
}

TEST(Recommender, RejectsBadConfiguration) {
  EXPECT_THROW(Recommender::configure("nope", Options()), Error);
  EXPECT_THROW(Recommender::configure("baseline", Options::parse(R"({"bogus": 1})")), Error);
  EXPECT_THROW(Recommender::configure("baseline", Options::parse(R"({"reg_user": -1})")), Error);
}

TEST(Serialization, DetectsCorruption) {
  std::vector<uint8_t> bytes = trained("baseline", "{}")->serialize();
  // Every truncation is a corrupted model.
  for (size_t n = 0; n < bytes.size(); ++n)
    expect_corrupt(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n),
                   "length " + std::to_string(n));
  // So is every flipped byte, the algorithm tag's included (magic, version, tag, dimensions,
  // lengths or checksum catch it).
  for (uint8_t mask : {0x01, 0x5A, 0x80, 0xFF})
    for (size_t k = 0; k < bytes.size(); ++k) {
      std::vector<uint8_t> b = bytes;
      b[k] ^= mask;
      expect_corrupt(b, "byte " + std::to_string(k) + " ^ " + std::to_string(mask));
    }
}

TEST(Serialization, ChecksValuesBehindTheChecksum) {
  const std::vector<uint8_t> bytes = trained("baseline", "{}")->serialize();
  const Layout l = layout_of(bytes, "baseline");
  // The layout is right: rewriting a field with its own value loads.
  int32_t first;
  std::memcpy(&first, bytes.data() + l.csr_index, sizeof first);
  ASSERT_EQ(first, 0);  // user 10 rated items 100 and 200: indices 0, 1
  double mean;
  std::memcpy(&mean, bytes.data() + l.baseline, sizeof mean);
  ASSERT_NEAR(mean, 19.0 / 6.0, 1e-12);
  std::vector<uint8_t> same = patched(bytes, l.header, l.baseline, mean);
  ASSERT_EQ(same, bytes);
  ASSERT_NO_THROW(Recommender::deserialize(same.data(), same.size()));

  // A CSR row holds each item once, in increasing order.
  expect_corrupt(patched(bytes, l.header, l.csr_index + 4, int32_t{0}), "repeated item");
  expect_corrupt(patched(patched(bytes, l.header, l.csr_index, int32_t{1}), l.header,
                         l.csr_index + 4, int32_t{0}),
                 "unsorted row");
  // The baseline's mean, penalty and biases are finite, and the penalty is not negative.
  const double nan = std::nan(""), inf = INFINITY;
  expect_corrupt(patched(bytes, l.header, l.baseline, nan), "NaN mean");
  expect_corrupt(patched(bytes, l.header, l.baseline, inf), "infinite mean");
  expect_corrupt(patched(bytes, l.header, l.baseline + 8, -1.0), "negative reg_user");
  expect_corrupt(patched(bytes, l.header, l.baseline + 8, nan), "NaN reg_user");
  const size_t user_bias = l.baseline + 16 + 8, item_bias = user_bias + 3 * 4 + 8;
  expect_corrupt(patched(bytes, l.header, user_bias + 4, std::nanf("")), "NaN user bias");
  expect_corrupt(patched(bytes, l.header, item_bias + 8, -INFINITY), "infinite item bias");
  // A zero penalty is legitimate (the option allows it).
  EXPECT_NO_THROW(
      Recommender::deserialize(patched(bytes, l.header, l.baseline + 8, 0.0).data(), bytes.size()));
}

TEST(Metrics, HandComputed) {
  EXPECT_NEAR(rmse({1, 2, 3}, {1, 2, 5}), std::sqrt(4.0 / 3), 1e-12);
  EXPECT_NEAR(mae({1, 2, 3}, {2, 2, 5}), 1.0, 1e-12);
  // recommended [a, b, c], relevant {b, d}, k = 3
  RankingScores s = rank_scores({1, 2, 3}, {2, 4}, 3);
  EXPECT_NEAR(s.precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.recall, 0.5, 1e-12);
  EXPECT_NEAR(s.ndcg, (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(s.average_precision, (1.0 / 2) / 2, 1e-12);
  EXPECT_EQ(s.hit, 1.0);
  EXPECT_NEAR(s.reciprocal_rank, 1.0 / 2, 1e-12);  // the first relevant item is at rank 2
  RankingScores miss = rank_scores({1, 2}, {3}, 2);
  EXPECT_EQ(miss.hit, 0.0);
  EXPECT_EQ(miss.reciprocal_rank, 0.0);
  // More relevant items than k, and a list shorter than k: precision divides by k, recall by
  // |relevant|, AP and the ideal DCG stop at min(k, |relevant|).
  s = rank_scores({1, 2}, {1, 3, 4, 5}, 3);
  EXPECT_NEAR(s.precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.recall, 1.0 / 4, 1e-12);
  EXPECT_NEAR(s.average_precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.ndcg, 1 / (1 + 1 / std::log2(3.0) + 1.0 / 2), 1e-12);
  EXPECT_EQ(s.reciprocal_rank, 1.0);
}

TEST(Metrics, EvaluateCountsUsersAndCoverage) {
  auto rec = trained("baseline", "{}");
  RawRatings test;
  test.add(10, 300, 5);
  test.add(20, 200, 2);
  Evaluation ev = evaluate(*rec, test, 1, 4.0);
  EXPECT_EQ(ev.n_ratings, 2u);
  EXPECT_EQ(ev.n_users, 2u);
  EXPECT_DOUBLE_EQ(ev.precision_at_k, 1.0);  // user 10's only candidate is 300, relevant
  // Coverage counts user 20's list too ([200]), although no item of user 20's is relevant.
  EXPECT_NEAR(ev.catalog_coverage, 2.0 / 3, 1e-12);
}

TEST(Metrics, EvaluateAveragesOverUsersWithRelevantItems) {
  // Five items, rated 6 - item by five other users, so the baseline ranks 1 > 2 > ... > 5
  // for everybody; users 1, 2 and 3 have rated the first 1, 2 and 4 items.
  RawRatings train;
  for (int64_t u = 100; u < 105; ++u)
    for (int64_t i = 1; i <= 5; ++i) train.add(u, i, static_cast<double>(6 - i));
  for (int64_t i = 1; i <= 4; ++i) {
    if (i <= 1) train.add(1, i, static_cast<double>(6 - i));
    if (i <= 2) train.add(2, i, static_cast<double>(6 - i));
    train.add(3, i, static_cast<double>(6 - i));
  }
  auto rec = trained("baseline", "{}", train);
  auto ids = [&](int64_t u) {
    std::vector<int64_t> out;
    for (const ScoredId& s : rec->recommend(u, 2, true, nullptr)) out.push_back(s.id);
    return out;
  };
  ASSERT_EQ(ids(1), (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(ids(2), (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(ids(3), (std::vector<int64_t>{5}));
  ASSERT_EQ(ids(999), (std::vector<int64_t>{1, 2}));  // unknown: the popularity fallback

  RawRatings test;
  test.add(1, 3, 5);  // relevant {3, 4, 5}: [2, 3] hits at rank 2
  test.add(1, 4, 4);
  test.add(1, 5, 4);
  test.add(2, 4, 5);  // relevant {4}: [3, 4] hits at rank 2
  test.add(3, 5, 2);  // nothing relevant
  Evaluation ev = evaluate(*rec, test, 2, 4.0);
  EXPECT_EQ(ev.n_ratings, 5u);
  EXPECT_EQ(ev.n_users, 3u);
  const double l = 1 / std::log2(3.0);  // the gain at rank 2
  EXPECT_NEAR(ev.precision_at_k, (1.0 / 2 + 1.0 / 2) / 2, 1e-12);
  EXPECT_NEAR(ev.recall_at_k, (1.0 / 3 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(ev.map_at_k, ((1.0 / 2) / 2 + (1.0 / 2) / 1) / 2, 1e-12);
  EXPECT_NEAR(ev.ndcg_at_k, (l / (1 + l) + l / 1) / 2, 1e-12);
  EXPECT_NEAR(ev.catalog_coverage, 4.0 / 5, 1e-12);  // [2, 3], [3, 4], [5]
  EXPECT_NEAR(ev.hit_rate_at_k, 1.0, 1e-12);          // users 1 and 2 both hit
  EXPECT_NEAR(ev.mrr_at_k, (1.0 / 2 + 1.0 / 2) / 2, 1e-12);
  // Training interactions: item 1: 8, item 2: 7, items 3 and 4: 6, item 5: 5; the lists hold
  // 2, 3, 3, 4, 5. Percentiles by sorted position of the first of a tie, of 4: item 5 0,
  // items 3 and 4 1/4, item 2 3/4, item 1 1.
  EXPECT_NEAR(ev.mean_popularity, (7.0 + 6 + 6 + 6 + 5) / 5, 1e-12);
  EXPECT_NEAR(ev.popularity_percentile, (0.75 + 0.25 + 0.25 + 0.25 + 0) / 5, 1e-12);
  std::vector<UserEvaluation> users;
  Evaluation again = evaluate(*rec, test, 2, 4.0, nullptr, 0, &users);
  EXPECT_EQ(again.ndcg_at_k, ev.ndcg_at_k);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].user, 1);
  EXPECT_EQ(users[0].n_ratings, 3u);
  EXPECT_EQ(users[0].n_relevant, 3u);
  EXPECT_TRUE(users[0].known);
  EXPECT_NEAR(users[0].scores.ndcg, l / (1 + l), 1e-12);
  EXPECT_NEAR(users[1].scores.reciprocal_rank, 1.0 / 2, 1e-12);
  EXPECT_EQ(users[2].n_relevant, 0u);
  EXPECT_EQ(users[2].scores.hit, 0.0);
  std::vector<double> p, a;
  for (size_t r = 0; r < test.size(); ++r) {
    p.push_back(rec->predict(test.users[r], test.items[r]));
    a.push_back(test.ratings[r]);
  }
  double se = 0, ae = 0;
  for (size_t r = 0; r < p.size(); ++r) {
    se += (p[r] - a[r]) * (p[r] - a[r]);
    ae += std::fabs(p[r] - a[r]);
  }
  EXPECT_NEAR(ev.rmse, std::sqrt(se / 5), 1e-12);
  EXPECT_NEAR(ev.mae, ae / 5, 1e-12);

  // Coverage does not depend on the threshold; the ranking metrics have no users left.
  Evaluation none = evaluate(*rec, test, 2, 6.0);
  EXPECT_EQ(none.precision_at_k, 0.0);
  EXPECT_EQ(none.map_at_k, 0.0);
  EXPECT_NEAR(none.catalog_coverage, 4.0 / 5, 1e-12);

  // An unknown user is ranked by the popularity fallback but adds nothing to coverage.
  RawRatings visitor;
  visitor.add(999, 2, 5);  // [1, 2] hits at rank 2
  Evaluation v = evaluate(*rec, visitor, 2, 4.0);
  EXPECT_NEAR(v.precision_at_k, 1.0 / 2, 1e-12);
  EXPECT_NEAR(v.map_at_k, 1.0 / 2, 1e-12);
  EXPECT_EQ(v.catalog_coverage, 0.0);
}

TEST(ThreadPool, RunsAllTasksAndPropagatesCancel) {
  ThreadPool pool(2);
  std::vector<int> hit(1000, 0);
  pool.run(hit.size(), [&](size_t t, int) { hit[t] = 1; });
  for (int h : hit) EXPECT_EQ(h, 1);
  FitContext ctx;
  ctx.interrupt_check = [] { return true; };
  EXPECT_THROW(pool.run(1000, [](size_t, int) {}, &ctx), Cancelled);
  EXPECT_THROW(pool.run(10, [](size_t t, int) {
    if (t == 3) throw Error(ErrorKind::Internal, "x");
  }), Error);
}

TEST(Ratings, IdsOfAnySpanMapInOrder) {
  // A small span uses a direct table, a huge one a hash map: both give sorted dense indices.
  for (int64_t far : {int64_t{50}, INT64_MAX}) {
    RawRatings r;
    r.add(far, 7, 1);
    r.add(INT64_MIN + (far == 50 ? INT64_MAX : 0), 7, 2);  // -1 or INT64_MIN
    r.add(3, -5, 3);
    r.add(3, -5, 5);  // duplicate pair
    Dataset d = build_dataset(r);
    ASSERT_EQ(d.users.size(), 3);
    EXPECT_LT(d.users.id(0), d.users.id(1));
    EXPECT_LT(d.users.id(1), d.users.id(2));
    EXPECT_EQ(d.users.find(far), 2);
    EXPECT_EQ(d.items.find(-5), 0);
    EXPECT_EQ(d.duplicates, 1u);
    EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(3), d.items.find(-5)), 4.0f);
  }
  RawRatings huge;
  huge.add(1, 1, 1e300);
  EXPECT_THROW(build_dataset(huge), Error);
}

TEST(Errors, CarryTheThrowSiteAndDetail) {
  // The guard reports an Error's own location (file, line, function), not its own.
  const int line = __LINE__ + 2;
  try {
    throw Error(ErrorKind::UndefinedColumn, "the source has no column \"x\"", "Hint.", "Detail.");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::UndefinedColumn);
    EXPECT_EQ(e.detail(), "Detail.");
    EXPECT_EQ(e.hint(), "Hint.");
    EXPECT_NE(std::strstr(e.file(), "test_core.cpp"), nullptr) << e.file();
    EXPECT_EQ(e.line(), line);
    EXPECT_STREQ(e.function(), "TestBody");
  }
  // An error thrown deep in the core names that function.
  try {
    Options o = Options::parse("{\"epochs\": 0}");
    o.integer("epochs", 1, 1, 10);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    EXPECT_NE(std::strstr(e.file(), "options.cpp"), nullptr) << e.file();
    EXPECT_STREQ(e.function(), "integer");
  }
}

TEST(Recommender, ThreadsCappedAndEpochProgressRouted) {
  // "threads" asks, FitContext::max_threads (autorec.max_training_threads) caps.
  auto rec = Recommender::configure("baseline", Options::parse("{\"threads\": 3, \"epochs\": 2}"));
  EXPECT_EQ(rec->training_threads(), 3);
  EXPECT_EQ(rec->training_threads(1), 1);
  EXPECT_EQ(rec->training_threads(8), 3);
  // Per-epoch lines go to progress_sink ("epoch N of M"), and to notice_sink with verbose.
  for (bool verbose : {false, true}) {
    auto r = Recommender::configure(
        "baseline", Options::parse(verbose ? "{\"epochs\": 2, \"verbose\": true, \"rank_by\": \"rating\"}"
                                           : "{\"epochs\": 2, \"rank_by\": \"rating\"}"));
    FitContext ctx;
    ctx.max_threads = 1;
    std::vector<std::string> notices, progress;
    ctx.notice_sink = [&](const std::string& m) { notices.push_back(m); };
    ctx.progress_sink = [&](const std::string& m) { progress.push_back(m); };
    r->fit(small_ratings(), ctx);
    EXPECT_EQ(ctx.threads, 1);
    const std::vector<std::string>& epochs = verbose ? notices : progress;
    ASSERT_EQ(epochs.size(), 2u) << verbose;
    EXPECT_EQ(epochs[1].rfind("epoch 2 of 2: train RMSE ", 0), 0u) << epochs[1];
    EXPECT_EQ((verbose ? progress : notices).size(), 0u) << verbose;
  }
}
