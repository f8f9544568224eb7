// Benchmark of the ranking blend of the rating families (Recommender::ranking_scores): the
// top-N protocol of autorec_evaluate (every item unrated in training ranked, relevant = test
// rating >= 4, k = 10, mean over users with a relevant test item) on VALIDATION splits (10% of
// ML-100K u1.base and of the ML-1M 90% training part, seed 7) for a grid of rank_beta, every
// rating family at its default options (content needs features: not here). beta = inf is the
// predicted rating alone (rank_by 'rating'); "companion" is the companion alone.
//
//   bench_rankblend [ml100k_dir] [ml1m_ratings.dat or ''] [families, comma-separated]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "movielens.hpp"

using namespace autorec;

namespace {

const std::vector<double> kBetas = {0, 0.1, 0.2, 0.3, 0.5, 1, 2};

std::vector<int64_t> top10(const Recommender& rec, const std::vector<float>& s, int32_t u) {
  std::vector<float> v = s;
  const SparseRow seen = rec.ratings().user(u);
  for (size_t k = 0; k < seen.n; ++k) v[seen.index[k]] = -std::numeric_limits<float>::infinity();
  std::vector<int32_t> idx(v.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i);
  const size_t top = std::min<size_t>(10, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                    [&](int32_t a, int32_t b) { return v[a] != v[b] ? v[a] > v[b] : a < b; });
  std::vector<int64_t> out;
  for (size_t k = 0; k < top; ++k) out.push_back(rec.items().id(idx[k]));
  return out;
}

// NDCG@10 per beta (then rating alone, companion alone), and the fit seconds.
std::vector<double> validate(const std::string& family, const RawRatings& fit,
                             const RawRatings& val, double* fit_s) {
  auto rec = Recommender::configure(family, Options::parse("{}"));
  FitContext ctx;
  const auto t0 = std::chrono::steady_clock::now();
  rec->fit(fit, ctx);
  *fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::map<int64_t, std::vector<int64_t>> relevant;
  for (size_t k = 0; k < val.size(); ++k)
    if (val.ratings[k] >= 4) relevant[val.users[k]].push_back(val.items[k]);
  std::vector<std::pair<int64_t, const std::vector<int64_t>*>> users;
  for (auto& e : relevant) users.push_back({e.first, &e.second});
  const size_t n_cols = kBetas.size() + 2;
  std::vector<std::vector<double>> ndcg(users.size(), std::vector<double>(n_cols, 0));
  const size_t n = static_cast<size_t>(rec->items().size());
  const double lo = rec->ratings().min_rating(), hi = rec->ratings().max_rating();
  ThreadPool pool(0);
  pool.run(users.size(), [&](size_t t, int) {
    const int32_t u = rec->users().find(users[t].first);
    if (u < 0) return;
    std::vector<float> r, c(n), b(n);
    rec->score_user(u, r);
    rec->companion()->score({u, rec->ratings().user(u)}, c.data());
    for (size_t j = 0; j < kBetas.size(); ++j) {
      Recommender::blend_scores(r.data(), c.data(), n, lo, hi, kBetas[j], b.data());
      ndcg[t][j] = rank_scores(top10(*rec, b, u), *users[t].second, 10).ndcg;
    }
    ndcg[t][kBetas.size()] = rank_scores(top10(*rec, r, u), *users[t].second, 10).ndcg;
    ndcg[t][kBetas.size() + 1] = rank_scores(top10(*rec, c, u), *users[t].second, 10).ndcg;
  });
  std::vector<double> mean(n_cols, 0);
  for (auto& row : ndcg)
    for (size_t j = 0; j < n_cols; ++j) mean[j] += row[j] / static_cast<double>(users.size());
  return mean;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = bench::ml100k_dir(argc, argv);
  const std::string ml1m = argc > 2 ? argv[2] : "../shared/data/ml-1m/ratings.dat";
  std::vector<std::string> families = {"baseline", "knn", "svd", "autorec"};
  if (argc > 3) {
    families.clear();
    std::stringstream ss(argv[3]);
    for (std::string f; std::getline(ss, f, ',');) families.push_back(f);
  }
  std::vector<std::pair<std::string, RawRatings>> data;
  data.push_back({"ML-100K u1", bench::load_ratings(dir + "/u1.base")});
  if (!ml1m.empty()) {
    RawRatings all = bench::load_ratings(ml1m), train, test;
    bench::split_90_10(all, 1, train, test);
    data.push_back({"ML-1M s1", std::move(train)});
  }
  std::printf("validation NDCG@10 (10%% of the training part held out, seed 7)\n");
  std::printf("%-11s %-9s", "data", "family");
  for (double b : kBetas) std::printf(" b=%-5g", b);
  std::printf(" %-7s %-7s %s\n", "rating", "compan.", "fit_s");
  for (auto& [name, train] : data) {
    RawRatings fit, val;
    bench::split_90_10(train, 7, fit, val);
    for (const std::string& f : families) {
      double fit_s = 0;
      const std::vector<double> m = validate(f, fit, val, &fit_s);
      std::printf("%-11s %-9s", name.c_str(), f.c_str());
      for (double v : m) std::printf(" %.4f ", v);
      std::printf(" %.1f\n", fit_s);
      std::fflush(stdout);
    }
  }
  return 0;
}
