// Writes tiny trained models of every family to DIR/<algorithm>.bin: the seed corpus of
// fuzz_deserialize (test/fuzz/corpus/deserialize holds a committed copy; run.sh also seeds with
// a fresh one so that the corpus follows format changes).
#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"

using namespace autorec;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  // 8 users x 6 items, about half rated, ratings 1..5; small options keep the files small.
  RawRatings raw;
  for (int u = 1; u <= 8; ++u)
    for (int i = 1; i <= 6; ++i)
      if ((u * 3 + i) % 2 == 0) raw.add(u * 10, i * 100, 1 + (u * 7 + i * 3) % 5);
  const std::pair<const char*, const char*> small[] = {
      {"svd", R"({"factors": 2, "epochs": 3})"},
      {"autorec", R"({"hidden": [3], "epochs": 2})"},
      {"content", R"({"item_features": "items", "factors": 2, "epochs": 2})"},
  };
  // Item features for 'content': a number, a category and a set each.
  FeatureSet features;
  FeatureColumn year{"year", FeatureKind::Numeric}, kind{"kind", FeatureKind::Categorical},
      tags{"tags", FeatureKind::Set};
  for (int i = 1; i <= 7; ++i) {  // item 700 has features and no ratings
    features.items.ids.push_back(i * 100);
    year.add_number(1990 + i);
    kind.add_token(i % 2 ? "a" : "b");
    kind.end_row();
    for (int t = 0; t < i % 3; ++t) tags.add_token(t ? "x" : "y");
    tags.end_row();
  }
  features.items.columns = {year, kind, tags};
  int written = 0;
  for (const std::string& algo : algorithm_names()) {
    std::string opts = "{\"threads\": 1}";
    for (auto& s : small)
      if (algo == s.first) opts = std::string(s.second).insert(1, "\"threads\": 1, ");
    std::unique_ptr<Recommender> rec;
    try {
      rec = Recommender::configure(algo, Options::parse(opts));
    } catch (const Error& e) {  // a family whose option names changed: use its defaults
      rec = Recommender::configure(algo, Options::parse("{\"threads\": 1}"));
    }
    FitContext ctx;
    rec->fit(raw, ctx, rec->feature_sources().empty() ? nullptr : &features);
    std::vector<uint8_t> bytes = rec->serialize();
    std::ofstream(std::string(argv[1]) + "/" + algo + ".bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    std::printf("%s: %zu bytes\n", algo.c_str(), bytes.size());
    ++written;
  }
  return written > 0 ? 0 : 1;
}
