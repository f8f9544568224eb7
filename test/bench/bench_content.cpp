// The content / hybrid factorization machine on MovieLens 100K with u.user and u.item as
// features, in the core (no PostgreSQL): for choosing defaults on validation splits and for
// the cold-start experiment. bench/content.sh measures the same through SQL.
//   bench_content DIR validate 'options-json' ...   mean RMSE on 10% validation splits of
//   u1..u5.base bench_content DIR folds 'options-json' ...      mean RMSE on the official test
//   folds u1..u5 bench_content DIR cold 'options-json' ...       10% of the items held out entirely
//   (COLD_SEED) bench_content DIR cold-validate 'options' ...   the same on another 10% of the
//   items, taken
//                                                   from the training part (the cold test items
//                                                   are left out altogether): for tuning
// The options are merged into {"user_features": "u", "item_features": "i"}.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "core/features.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "movielens.hpp"

using namespace autorec;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

// The same features as bench/lib.sh load_features.
FeatureSet load_features(const std::string& dir) {
  FeatureSet f;
  std::ifstream users(dir + "/u.user"), items(dir + "/u.item"), genre_file(dir + "/u.genre");
  if (!users || !items || !genre_file)
    throw std::runtime_error("no u.user / u.item / u.genre in " + dir);
  FeatureColumn age{"age", FeatureKind::Numeric}, gender{"gender", FeatureKind::Categorical},
      occ{"occupation", FeatureKind::Categorical}, zip{"zip_region", FeatureKind::Categorical};
  std::string line;
  while (std::getline(users, line)) {
    auto p = split(line, '|');
    if (p.size() < 5) continue;
    f.users.ids.push_back(std::stoll(p[0]));
    age.add_number(std::stod(p[1]));
    gender.add_token(p[2].c_str());
    gender.end_row();
    occ.add_token(p[3].c_str());
    occ.end_row();
    zip.add_token(p[4].substr(0, 1).c_str());
    zip.end_row();
  }
  f.users.columns = {age, gender, occ, zip};
  std::vector<std::string> genres;
  while (std::getline(genre_file, line)) {
    auto p = split(line, '|');
    if (p.size() >= 2 && !p[0].empty()) genres.push_back(p[0]);
  }
  FeatureColumn year{"year", FeatureKind::Numeric}, gs{"genres", FeatureKind::Set};
  while (std::getline(items, line)) {
    auto p = split(line, '|');
    if (p.size() < 5 + genres.size()) continue;
    f.items.ids.push_back(std::stoll(p[0]));
    year.add_number(p[2].size() >= 4 ? std::stod(p[2].substr(p[2].size() - 4)) : std::nan(""));
    for (size_t g = 0; g < genres.size(); ++g)
      if (p[5 + g] == "1") gs.add_token(genres[g].c_str());
    gs.end_row();
  }
  f.items.columns = {year, gs};
  return f;
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Result {
  double rmse, wall, cpu;
};

Result run(const std::string& algorithm, const std::string& opts, const RawRatings& train,
           const RawRatings& test, const FeatureSet& f) {
  auto wall0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  auto rec = Recommender::configure(algorithm, Options::parse(opts));
  FitContext ctx;
  rec->fit(train, ctx, algorithm == "content" ? &f : nullptr);
  Result r{};
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.cpu = cpu_seconds() - cpu0;
  double sse = 0;
  for (size_t k = 0; k < test.size(); ++k) {
    double e = rec->predict(test.users[k], test.items[k]) - test.ratings[k];
    sse += e * e;
  }
  r.rmse = std::sqrt(sse / static_cast<double>(test.size()));
  return r;
}

std::string merged(const std::string& extra) {
  std::string base = R"({"user_features": "u", "item_features": "i")";
  std::string body = extra;
  while (!body.empty() && (body.front() == ' ' || body.front() == '{')) body.erase(body.begin());
  while (!body.empty() && (body.back() == ' ' || body.back() == '}')) body.pop_back();
  return body.empty() ? base + "}" : base + ", " + body + "}";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR validate|folds|cold 'options' ...\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], mode = argv[2];
  FeatureSet f = load_features(dir);
  std::vector<std::string> specs;
  for (int a = 3; a < argc; ++a) specs.push_back(argv[a]);
  if (specs.empty()) specs.push_back("{}");

  if (mode == "cold" || mode == "cold-validate") {
    RawRatings all = bench::load_ratings(dir + "/u.data");
    const uint64_t seed =
        std::getenv("COLD_SEED") ? std::strtoull(std::getenv("COLD_SEED"), nullptr, 10) : 1;
    std::set<int64_t> items(all.items.begin(), all.items.end());
    std::vector<int64_t> order(items.begin(), items.end());
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    std::set<int64_t> cold(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(
                                                              std::lround(order.size() * 0.1)));
    const size_t n_cold = cold.size();
    if (mode == "cold-validate") {  // the next 10% of the shuffled items, the test items dropped
      std::set<int64_t> val(order.begin() + static_cast<std::ptrdiff_t>(n_cold),
                            order.begin() + static_cast<std::ptrdiff_t>(2 * n_cold));
      RawRatings rest;
      for (size_t k = 0; k < all.size(); ++k)
        if (!cold.count(all.items[k])) rest.add(all.users[k], all.items[k], all.ratings[k]);
      all = rest;
      cold = val;
    }
    RawRatings train, test;
    for (size_t k = 0; k < all.size(); ++k)
      (cold.count(all.items[k]) ? test : train).add(all.users[k], all.items[k], all.ratings[k]);
    Result b = run("baseline", "{}", train, test, f);
    std::printf("%s (seed %llu): %zu items, %zu ratings held out\n", mode.c_str(),
                static_cast<unsigned long long>(seed), cold.size(), test.size());
    std::printf("%-60s rmse %.4f\n", "baseline", b.rmse);
    for (const std::string& s : specs) {
      Result r = run("content", merged(s), train, test, f);
      std::printf("%-60s rmse %.4f (%+.4f vs baseline)  wall %.2f s cpu %.2f s\n", s.c_str(),
                  r.rmse, r.rmse - b.rmse, r.wall, r.cpu);
    }
    return 0;
  }
  for (const std::string& s : specs) {
    double sum = 0, wall = 0, cpu = 0;
    for (int k = 1; k <= 5; ++k) {
      RawRatings base = bench::load_ratings(dir + "/u" + std::to_string(k) + ".base"), train, test;
      if (mode == "validate") {
        bench::split_90_10(base, static_cast<uint64_t>(k), train, test);
      } else {
        train = base;
        test = bench::load_ratings(dir + "/u" + std::to_string(k) + ".test");
      }
      Result r = run("content", merged(s), train, test, f);
      sum += r.rmse;
      wall += r.wall;
      cpu += r.cpu;
    }
    std::printf("%-60s %s rmse %.4f  wall %.2f s cpu %.2f s per fold\n", s.c_str(), mode.c_str(),
                sum / 5, wall / 5, cpu / 5);
  }
  return 0;
}
