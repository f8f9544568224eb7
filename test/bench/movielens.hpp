// Loading MovieLens files for the benchmarks (the data is never part of the project: the
// benchmarks take a path, default ../shared/data).
#pragma once

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/ratings.hpp"

namespace autorec::bench {

// ML-100K (tab-separated) or ML-1M ("::"-separated) rating files.
inline RawRatings load_ratings(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  RawRatings r;
  std::string line;
  while (std::getline(in, line)) {
    for (size_t p; (p = line.find("::")) != std::string::npos;) line.replace(p, 2, "\t");
    std::istringstream ls(line);
    long long u, i;
    double v;
    if (ls >> u >> i >> v) r.add(u, i, v);
  }
  return r;
}

inline std::string ml100k_dir(int argc, char** argv) {
  return argc > 1 ? argv[1] : "../shared/data/ml-100k";
}

// The AutoRec paper's ML-1M protocol: a random 90/10 split of the ratings for one seed.
inline void split_90_10(const RawRatings& all, uint64_t seed, RawRatings& train, RawRatings& test) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t k = 0; k < all.size(); ++k) {
    RawRatings& dst = u(rng) < 0.1 ? test : train;
    dst.add(all.users[k], all.items[k], all.ratings[k]);
  }
}

}  // namespace autorec::bench
