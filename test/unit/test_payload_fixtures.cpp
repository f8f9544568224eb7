// Models stored by earlier releases keep loading: every committed payload fixture
// (test/fixtures/payloads/<release>/, written by that release's make_payloads) is read with the
// current deserializer and must serve what that release served from it (scores.txt), within a
// tolerance (the CPU and the build flags change the last bits).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"

namespace fs = std::filesystem;
using namespace autorec;

namespace {

const fs::path kPayloads = fs::path(AUTOREC_FIXTURES_DIR) / "payloads";

// 5e-6 relative (absolute below 1): the portable build (-march=x86-64-v2) differs from the
// AVX-512 one that wrote 0.1's fixtures by up to 3.8e-7 relative; a payload read wrongly
// differs by far more.
bool close(double got, double want) {
  return std::abs(got - want) <= 5e-6 * std::max(1.0, std::abs(want));
}

struct Ranked {
  int64_t item;
  double score;
};

struct Expected {
  std::string algorithm;
  int32_t users = 0, items = 0;
  size_t nnz = 0, bytes = 0;
  std::map<int64_t, std::vector<Ranked>> recommend;  // by user, in rank order
  std::map<std::pair<int64_t, int64_t>, double> predict;
  // recommend_for_ratings: by "ITEMS RATINGS" (the visitor), in rank order
  std::map<std::pair<std::string, std::string>, std::vector<Ranked>> fold_in;
};

std::vector<int64_t> ints(const std::string& csv) {
  std::vector<int64_t> v;
  std::stringstream s(csv);
  for (std::string x; std::getline(s, x, ',');) v.push_back(std::stoll(x));
  return v;
}
std::vector<double> doubles(const std::string& csv) {
  std::vector<double> v;
  std::stringstream s(csv);
  for (std::string x; std::getline(s, x, ',');) v.push_back(std::stod(x));
  return v;
}

// scores.txt of one release: the payload lines and the answers, by file.
std::map<std::string, Expected> read_scores(const fs::path& file) {
  std::map<std::string, Expected> by_file;
  std::ifstream in(file);
  std::string line;
  auto add_ranked = [](std::vector<Ranked>& list, int rank, int64_t item, double score) {
    if (static_cast<int>(list.size()) != rank - 1) throw std::runtime_error("ranks out of order");
    list.push_back({item, score});
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string kind, name;
    s >> kind >> name;
    Expected& e = by_file[name];
    if (kind == "payload") {
      s >> e.algorithm >> e.users >> e.items >> e.nnz >> e.bytes;
    } else if (kind == "recommend") {
      int64_t user, item;
      int rank;
      double score;
      s >> user >> rank >> item >> score;
      add_ranked(e.recommend[user], rank, item, score);
    } else if (kind == "predict") {
      int64_t user, item;
      double rating;
      s >> user >> item >> rating;
      e.predict[{user, item}] = rating;
    } else if (kind == "fold_in") {
      std::string items, ratings;
      int64_t item;
      int rank;
      double score;
      s >> items >> ratings >> rank >> item >> score;
      add_ranked(e.fold_in[{items, ratings}], rank, item, score);
    } else {
      throw std::runtime_error("unknown line in " + file.string() + ": " + line);
    }
    if (s.fail()) throw std::runtime_error("unreadable line in " + file.string() + ": " + line);
  }
  return by_file;
}

std::vector<uint8_t> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The same list within the tolerance: the score at every rank, and the item at every rank
// unless the recorded scores tie there (then the order of the tied items may differ).
void expect_same_list(const std::vector<Ranked>& want, const std::vector<ScoredId>& got,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_TRUE(close(got[k].score, want[k].score))
        << what << " rank " << k + 1 << ": score " << got[k].score << ", recorded " << want[k].score;
    if (got[k].id == want[k].item) continue;
    bool tied = false;
    for (size_t j = 0; j < want.size(); ++j)
      tied = tied || (j != k && close(want[j].score, want[k].score));
    EXPECT_TRUE(tied) << what << " rank " << k + 1 << ": item " << got[k].id << ", recorded "
                      << want[k].item << " (scores do not tie)";
  }
}

std::vector<fs::path> releases() {
  std::vector<fs::path> dirs;
  for (const auto& d : fs::directory_iterator(kPayloads))
    if (d.is_directory()) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace

TEST(PayloadFixtures, TheFrozenReleasesArePresent) {
  ASSERT_TRUE(fs::is_directory(kPayloads)) << kPayloads;
  std::vector<std::string> names;
  for (const fs::path& d : releases()) names.push_back(d.filename().string());
  // 0.1 is the first release with fixtures; a later release adds its own directory.
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "0.1");
}

// Every family of a release has a payload (0.1: the ten families it shipped).
TEST(PayloadFixtures, EveryFamilyHasAPayload) {
  for (const fs::path& dir : releases()) {
    std::set<std::string> families;
    for (const auto& [name, e] : read_scores(dir / "scores.txt")) families.insert(e.algorithm);
    for (const std::string& name : {"baseline", "knn", "svd", "autorec", "content", "ease", "ials",
                                    "itemknn", "popularity", "ranking_autorec"})
      EXPECT_TRUE(families.count(name)) << dir << " has no payload of " << name;
    for (const std::string& name : families)
      EXPECT_NO_THROW(find_family(name)) << dir << ": the family " << name << " is gone";
  }
}

TEST(PayloadFixtures, OldPayloadsLoadAndServeWhatTheirReleaseServed) {
  int payloads = 0, answers = 0;
  for (const fs::path& dir : releases()) {
    const std::map<std::string, Expected> expected = read_scores(dir / "scores.txt");
    // Every .bin has its recorded answers and every recorded payload its file.
    std::set<std::string> files;
    for (const auto& f : fs::directory_iterator(dir))
      if (f.path().extension() == ".bin") files.insert(f.path().stem().string());
    for (const auto& [name, e] : expected) EXPECT_TRUE(files.count(name)) << dir / (name + ".bin");
    for (const std::string& name : files) {
      SCOPED_TRACE((dir / (name + ".bin")).string());
      // (ADD_FAILURE and continue: every payload that breaks is listed, not the first one only)
      auto it = expected.find(name);
      if (it == expected.end()) {
        ADD_FAILURE() << "no answers recorded for it in scores.txt";
        continue;
      }
      const Expected& e = it->second;
      const std::vector<uint8_t> bytes = read_bytes(dir / (name + ".bin"));
      EXPECT_EQ(bytes.size(), e.bytes);
      std::unique_ptr<Recommender> rec;
      try {
        rec = Recommender::deserialize(bytes.data(), bytes.size());
      } catch (const Error& err) {
        ADD_FAILURE() << "does not load: " << err.what();
        continue;
      }
      ++payloads;
      EXPECT_EQ(rec->algorithm(), e.algorithm);
      EXPECT_EQ(rec->users().size(), e.users);
      EXPECT_EQ(rec->items().size(), e.items);
      EXPECT_EQ(rec->ratings().nnz(), e.nnz);
      EXPECT_FALSE(e.recommend.empty());
      for (const auto& [user, list] : e.recommend) {
        expect_same_list(list, rec->recommend(user, list.size(), true, nullptr),
                         "recommend(" + std::to_string(user) + ")");
        ++answers;
      }
      for (const auto& [pair, rating] : e.predict) {
        const double got = rec->predict(pair.first, pair.second);
        EXPECT_TRUE(close(got, rating)) << "predict(" << pair.first << ", " << pair.second
                                        << "): " << got << ", recorded " << rating;
        ++answers;
      }
      for (const auto& [visitor, list] : e.fold_in) {
        expect_same_list(list,
                         rec->recommend_for_ratings(ints(visitor.first), doubles(visitor.second),
                                                    list.size()),
                         "recommend_for_ratings(" + visitor.first + ")");
        ++answers;
      }
    }
  }
  EXPECT_GE(payloads, 10);
  RecordProperty("payloads", payloads);
  RecordProperty("answers", answers);
}
