// Unit tests for the training memory estimate and the memory_check hook behind
// autorec.max_training_memory.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"

using namespace autorec;

namespace {

RawRatings grid(int users, int items) {
  RawRatings r;
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i)
      if ((u + i) % 3 == 0) r.add(u, i, 1 + (u * 7 + i) % 5);
  return r;
}

}  // namespace

TEST(MemoryLimit, CheckRunsOnceWithTheEstimateBeforeTheModelFits) {
  RawRatings raw = grid(40, 30);
  auto rec = Recommender::configure("baseline", Options::parse("{}"));
  FitContext ctx;
  int calls = 0;
  size_t seen = 0;
  ctx.memory_check = [&](size_t bytes) {
    ++calls;
    seen = bytes;
  };
  rec->fit(raw, ctx);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, rec->estimated_training_bytes(rec->users().size(), rec->items().size(),
                                                rec->ratings().nnz(), raw.size()));
  // At least the input it was given and the matrix built from it.
  EXPECT_GE(seen, raw.size() * (2 * sizeof(int64_t) + sizeof(double)) +
                      rec->ratings().nnz() * 2 * (sizeof(int32_t) + sizeof(float)));
}

TEST(MemoryLimit, ARefusalStopsTheTrainingBeforeTheBaselineAndModel) {
  auto rec = Recommender::configure("baseline", Options::parse("{}"));
  FitContext ctx;
  ctx.memory_check = [](size_t bytes) {
    throw Error(ErrorKind::ResourceLimit, "too big: " + std::to_string(bytes));
  };
  try {
    rec->fit(grid(40, 30), ctx);
    FAIL() << "the memory check did not stop the training";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
  }
  EXPECT_TRUE(ctx.history.empty());                   // no epoch ran
  EXPECT_TRUE(rec->baseline().user.empty());          // the baseline was never fitted
}

TEST(MemoryLimit, EveryFamilysEstimateGrowsWithTheData) {
  for (const std::string& algo : algorithm_names()) {
    Options none;
    std::unique_ptr<Model> m = create_model(algo, none);
    size_t small = m->estimated_training_bytes(100, 50, 1000);
    size_t large = m->estimated_training_bytes(100000, 5000, 10000000);
    EXPECT_GT(small, 0u) << algo;
    EXPECT_GT(large, small) << algo;
    // Conservative: at least the ratings once more.
    EXPECT_GE(large, 10000000u * (sizeof(int32_t) + sizeof(float))) << algo;
  }
}
