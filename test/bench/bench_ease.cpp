// Benchmark of the implicit item-item families ease and itemknn: the top-N protocol of
// autorec_evaluate (every item unrated in training ranked, relevant = test rating >= 4, k = 10,
// mean over users with a relevant test item) on validation splits (10% of the training part,
// seeded) to choose defaults, then test numbers on the ML-100K folds u1..u5 and ML-1M 90/10 seed 1.
//
//   bench_ease --validate [ml100k_dir] [ml1m_ratings.dat]   option grids, validation only
//   bench_ease --precision [ml100k_dir] [ml1m_ratings.dat]  ease float vs double on validation
//   bench_ease --test [ml100k_dir] [ml1m_ratings.dat]       the defaults on the test folds
//   bench_ease --one ease|itemknn '{json}' [dir] [ml1m]     one configuration, validation + test
//   bench_ease --val ease|itemknn '{json}' [dir] [ml1m]     one configuration, validation only
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics.hpp"
#include "core/models/ease/ease.hpp"
#include "core/models/itemknn/itemknn.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/registry.hpp"
#include "movielens.hpp"
#include "timing.hpp"

using namespace autorec;
using namespace autorec::bench;

namespace {


std::unique_ptr<Model> make(const std::string& family, const std::string& json) {
  Options o = Options::parse(json);
  // Through the registry: in a portable build, at the instruction-set level in use (core/isa.hpp).
  std::unique_ptr<Model> m = create_model(family, o);
  o.reject_unknown(family);
  return m;
}

struct Result {
  double p = 0, r = 0, ndcg = 0, fit_s = 0, score_us = 0, est_mb = 0, rss_mb = 0;
  size_t users = 0, unknown = 0;
};

Result run(const std::string& family, const std::string& json, const RawRatings& train,
           const RawRatings& test) {
  Result res;
  Dataset d = build_dataset(train);
  auto model = make(family, json);
  TrainingData td;
  td.ratings = &d.matrix;
  td.users = &d.users;
  td.items = &d.items;
  FitContext ctx;
  TrainingSize size;
  size.n_users = d.matrix.n_users();
  size.n_items = d.matrix.n_items();
  size.nnz = d.matrix.nnz();
  res.est_mb = static_cast<double>(model->estimated_memory(size).training) / 1048576.0;
  const double rss0 = peak_rss_mb();
  double t0 = now();
  model->fit(td, ctx);
  res.fit_s = now() - t0;
  res.rss_mb = peak_rss_mb() - rss0;  // growth of the process peak (meaningful on a first fit)

  std::unordered_map<int64_t, std::vector<int64_t>> relevant;
  for (size_t k = 0; k < test.size(); ++k)
    if (test.ratings[k] >= 4) relevant[test.users[k]].push_back(test.items[k]);
  std::vector<std::pair<int64_t, const std::vector<int64_t>*>> users;
  for (auto& e : relevant) users.push_back({e.first, &e.second});
  std::sort(users.begin(), users.end());
  const int32_t n_items = d.matrix.n_items();
  std::vector<RankingScores> scores(users.size());
  std::vector<char> known(users.size(), 0);
  ThreadPool pool(0);
  pool.run(users.size(), [&](size_t t, int) {
    const int32_t u = d.users.find(users[t].first);
    if (u < 0) return;  // counts as a miss
    known[t] = 1;
    std::vector<float> s(static_cast<size_t>(n_items));
    UserProfile prof{u, d.matrix.user(u)};
    model->score(prof, s.data());
    for (size_t k = 0; k < prof.ratings.n; ++k)
      s[prof.ratings.index[k]] = -std::numeric_limits<float>::infinity();
    std::vector<int32_t> idx(static_cast<size_t>(n_items));
    for (int32_t i = 0; i < n_items; ++i) idx[i] = i;
    const size_t top = std::min<size_t>(10, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                      [&](int32_t a, int32_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
    std::vector<int64_t> rec;
    for (size_t k = 0; k < top; ++k) rec.push_back(d.items.id(idx[k]));
    scores[t] = rank_scores(rec, *users[t].second, 10);
  });
  for (size_t t = 0; t < users.size(); ++t) {
    res.p += scores[t].precision;
    res.r += scores[t].recall;
    res.ndcg += scores[t].ndcg;
    res.unknown += known[t] ? 0 : 1;
  }
  res.users = users.size();
  if (res.users) {
    res.p /= static_cast<double>(res.users);
    res.r /= static_cast<double>(res.users);
    res.ndcg /= static_cast<double>(res.users);
  }
  // score() alone, one thread, for every training user (thread CPU time).
  std::vector<float> s(static_cast<size_t>(n_items));
  const int32_t n_users = d.matrix.n_users();
  t0 = thread_cpu();
  for (int32_t u = 0; u < n_users; ++u) model->score({u, d.matrix.user(u)}, s.data());
  res.score_us = (thread_cpu() - t0) * 1e6 / std::max(1, n_users);
  return res;
}

// The validation split of a training part: 10% of its ratings held out, seed 7.
void validation_split(const RawRatings& train, RawRatings& fit, RawRatings& val) {
  bench::split_90_10(train, 7, fit, val);
}

struct Data {
  std::string name;
  std::vector<std::pair<RawRatings, RawRatings>> folds;  // (train, test)
};

Data ml100k(const std::string& dir, int n_folds) {
  Data d{"ML-100K u1..u" + std::to_string(n_folds), {}};
  for (int f = 1; f <= n_folds; ++f)
    d.folds.push_back({bench::load_ratings(dir + "/u" + std::to_string(f) + ".base"),
                       bench::load_ratings(dir + "/u" + std::to_string(f) + ".test")});
  return d;
}

Data ml1m(const std::string& path) {
  Data d{"ML-1M 90/10 s1", {}};
  RawRatings all = bench::load_ratings(path), train, test;
  bench::split_90_10(all, 1, train, test);
  d.folds.push_back({std::move(train), std::move(test)});
  return d;
}

// Validation: only the first fold's training part, split again.
Result validate(const std::string& family, const std::string& json, const Data& d) {
  RawRatings fit, val;
  validation_split(d.folds[0].first, fit, val);
  return run(family, json, fit, val);
}

Result test_mean(const std::string& family, const std::string& json, const Data& d) {
  Result m;
  for (auto& [train, test] : d.folds) {
    Result r = run(family, json, train, test);
    m.p += r.p;
    m.r += r.r;
    m.ndcg += r.ndcg;
    m.fit_s += r.fit_s;
    m.score_us += r.score_us;
    m.est_mb = std::max(m.est_mb, r.est_mb);
    m.rss_mb = std::max(m.rss_mb, r.rss_mb);
    m.unknown += r.unknown;
  }
  const double n = static_cast<double>(d.folds.size());
  m.p /= n;
  m.r /= n;
  m.ndcg /= n;
  m.fit_s /= n;
  m.score_us /= n;
  return m;
}

void header_val() {
  std::printf("| data (validation) | family | options | P@10 | NDCG@10 | train s |\n|---|---|---|---|---|---|\n");
}
void row_val(const Data& d, const std::string& f, const std::string& j, const Result& r) {
  std::printf("| %s | %s | `%s` | %.4f | %.4f | %.2f |\n", d.name.c_str(), f.c_str(), j.c_str(),
              r.p, r.ndcg, r.fit_s);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "--test";
  int a = 2;
  std::string family, json;
  if (mode == "--one" || mode == "--val") {
    family = argv[a++];
    json = argv[a++];
  }
  const std::string dir = argc > a ? argv[a] : "../shared/data/ml-100k";
  const std::string m1 = argc > a + 1 ? argv[a + 1] : "";
  std::vector<Data> data;
  data.push_back(ml100k(dir, mode == "--test" || mode == "--one" ? 5 : 1));
  if (!m1.empty()) data.push_back(ml1m(m1));

  if (mode == "--validate") {
    header_val();
    for (const Data& d : data) {
      for (const char* w : {"", ", \"min_rating\": 4", ", \"weighting\": \"rating\""})
        for (int lambda : {100, 200, 400, 800, 1600, 3200}) {
          std::string j = "{\"lambda\": " + std::to_string(lambda) + w + "}";
          row_val(d, "ease", j, validate("ease", j, d));
        }
      for (const char* w : {"", ", \"min_rating\": 4"})
        for (int k : {20, 50, 100, 200, 400})
          for (int shrink : {0, 10, 50})
            for (double alpha : {0.5, 0.7}) {
              char j[200];
              std::snprintf(j, sizeof j, "{\"k\": %d, \"shrinkage\": %d, \"alpha\": %.1f%s}", k,
                            shrink, alpha, w);
              row_val(d, "itemknn", j, validate("itemknn", j, d));
            }
    }
    return 0;
  }
  if (mode == "--val") {
    header_val();
    for (const Data& d : data) row_val(d, family, json, validate(family, json, d));
    return 0;
  }
  if (mode == "--precision") {
    header_val();
    for (const Data& d : data)
      for (const char* p : {"float", "double"}) {
        const std::string j = std::string("{\"precision\": \"") + p + "\"}";
        row_val(d, "ease", j, validate("ease", j, d));
      }
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> configs = {{"ease", "{}"}, {"itemknn", "{}"}};
  if (mode == "--one") configs = {{family, json}};
  std::printf("| data (test) | family | options | P@10 | R@10 | NDCG@10 | train s | score us/user | est. MB | peak RSS growth MB | validation NDCG@10 |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Data& d : data)
    for (auto& [f, j] : configs) {
      const Result r = test_mean(f, j, d);
      const Result v = validate(f, j, d);
      std::printf("| %s | %s | `%s` | %.4f | %.4f | %.4f | %.2f | %.1f | %.0f | %.0f | %.4f |\n",
                  d.name.c_str(), f.c_str(), j.c_str(), r.p, r.r, r.ndcg, r.fit_s, r.score_us,
                  r.est_mb, r.rss_mb, v.ndcg);
      if (r.unknown) std::printf("(%zu test users unknown to training counted as misses)\n", r.unknown);
      std::fflush(stdout);
    }
  return 0;
}
