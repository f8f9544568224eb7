// Unit tests for the training memory estimate and the memory_check hook behind
// autorec.max_training_memory.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/options/options.hpp"
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
  ctx.memory_check = [&](size_t bytes, const Model&) {
    ++calls;
    seen = bytes;
  };
  rec->fit(raw, ctx);
  EXPECT_EQ(calls, 1);
  TrainingSize size;
  size.n_users = rec->users().size();
  size.n_items = rec->items().size();
  size.nnz = rec->ratings().nnz();
  size.threads = rec->training_threads();
  EXPECT_EQ(seen, rec->estimated_training_bytes(size, raw.size()));
  // At least the input it was given and the matrix built from it.
  EXPECT_GE(seen, raw.size() * (2 * sizeof(int64_t) + sizeof(double)) +
                      rec->ratings().nnz() * 2 * (sizeof(int32_t) + sizeof(float)));
}

TEST(MemoryLimit, ARefusalStopsTheTrainingBeforeTheBaselineAndModel) {
  auto rec = Recommender::configure("baseline", Options::parse("{}"));
  FitContext ctx;
  ctx.memory_check = [](size_t bytes, const Model&) {
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

TrainingSize shape(int32_t users, int32_t items, size_t nnz, int threads = 2) {
  TrainingSize s;
  s.n_users = users;
  s.n_items = items;
  s.nnz = nnz;
  s.threads = threads;
  return s;
}

// The training peak of `algo` with `json` options on `size`.
size_t peak(const std::string& algo, const std::string& json, const TrainingSize& size) {
  Options o = Options::parse(json);
  return create_model(algo, o)->estimated_memory(size).training;
}

// MovieLens 100K's shape.
const TrainingSize kMl100k = shape(943, 1682, 100000);

TEST(MemoryLimit, EveryFamilysEstimateGrowsWithTheData) {
  for (const std::string& algo : algorithm_names()) {
    if (algo == "baseline") continue;  // nothing of its own: the biases are the Recommender's
    Options none;
    std::unique_ptr<Model> m = create_model(algo, none);
    TrainingSize small = shape(100, 50, 1000), large = shape(100000, 5000, 10000000);
    small.feature_values = small.feature_indices = 100;
    large.feature_values = large.feature_indices = 100;
    const MemoryEstimate a = m->estimated_memory(small), b = m->estimated_memory(large);
    EXPECT_GT(a.training, 0u) << algo;
    EXPECT_GT(b.training, a.training) << algo;
    EXPECT_GE(b.training, b.kept) << algo;
    if (algo != "popularity")  // saves nothing: its counts come from the kept interactions
      EXPECT_GT(b.saved, a.saved) << algo;
    EXPECT_GE(b.kept, b.saved / 2) << algo;
  }
}

TEST(MemoryLimit, TheWholeTrainingCountsTheModelsPeakAndTheSerializedCopies) {
  auto rec = Recommender::configure("svd", Options::parse(R"({"factors": 50})"));
  Options o = Options::parse(R"({"factors": 50})");
  const MemoryEstimate m = create_model("svd", o)->estimated_memory(kMl100k);
  const size_t total = rec->estimated_training_bytes(kMl100k, 100000);
  EXPECT_GE(total, m.training + 100000 * 24);  // the model's peak and the rows as read
  EXPECT_GE(total, m.kept + 3 * m.saved);      // the model, its bytes, bytea and result tuple
}

TEST(MemoryLimit, EstimatesGrowWithTheOptionsThatScaleMemory) {
  TrainingSize ml = kMl100k;
  // svd: factors, SVD++'s implicit factors, a best copy when validating, ALS per thread.
  EXPECT_GT(peak("svd", R"({"factors": 400})", ml), 2 * peak("svd", R"({"factors": 100})", ml));
  Options sgd = Options::parse(R"({"factors": 100})"),
          svdpp = Options::parse(R"({"method": "svdpp", "factors": 100})");
  // SVD++ keeps the implicit factors Y and the implicit user vectors besides P and Q.
  EXPECT_GE(create_model("svd", svdpp)->estimated_memory(ml).kept,
            create_model("svd", sgd)->estimated_memory(ml).kept + (1682 + 943) * 100 * 4);
  EXPECT_GT(peak("svd", R"({"validation_fraction": 0.1})", ml), peak("svd", R"({})", ml));
  EXPECT_GT(peak("svd", R"({"method": "als", "factors": 300})", shape(943, 1682, 100000, 16)),
            peak("svd", R"({"method": "als", "factors": 300})", shape(943, 1682, 100000, 1)));
  // autorec: hidden units, depth, the optimiser's state, dropout, pretraining stages.
  EXPECT_GT(peak("autorec", R"({"hidden": [2000]})", ml),
            3 * peak("autorec", R"({"hidden": [500]})", ml));
  EXPECT_GT(peak("autorec", R"({"hidden": [500, 500, 500]})", ml),
            peak("autorec", R"({"hidden": [500]})", ml));
  EXPECT_GT(peak("autorec", R"({"optimizer": "lbfgs"})", ml),
            2 * peak("autorec", R"({"optimizer": "adam"})", ml));
  EXPECT_GT(peak("autorec", R"({"optimizer": "adam", "dropout": 0.5})", ml),
            peak("autorec", R"({"optimizer": "adam"})", ml));
  EXPECT_GT(peak("autorec", R"({"hidden": [500, 250, 500], "pretrain": true, "optimizer": "adam"})", ml),
            peak("autorec", R"({"hidden": [500, 250, 500], "optimizer": "adam"})", ml));
  // The input dimension: U-AutoRec's is the items, I-AutoRec's the users.
  EXPECT_GT(peak("autorec", R"({"variant": "user"})", ml), peak("autorec", R"({})", ml));
  // knn: neighbours kept, and pair sums per thread.
  EXPECT_GT(peak("knn", R"({"max_neighbors": 1000})", ml), peak("knn", R"({"max_neighbors": 50})", ml));
  EXPECT_GT(peak("knn", R"({})", shape(943, 1682, 100000, 16)),
            peak("knn", R"({})", shape(943, 1682, 100000, 1)));
  // content: factors and the encoded features.
  TrainingSize with_features = ml;
  with_features.feature_values = 20000;
  with_features.feature_indices = 100;
  const std::string f = R"("item_features": "t")";
  EXPECT_GT(peak("content", "{" + f + R"(, "factors": 200})", with_features),
            3 * peak("content", "{" + f + R"(, "factors": 10})", with_features));
  TrainingSize more = with_features;
  more.feature_indices = 200000;
  EXPECT_GT(peak("content", "{" + f + "}", more), peak("content", "{" + f + "}", with_features));
}

// The issue's case: U-AutoRec with 30,000 hidden units peaked at 2.3 GB on MovieLens 100K with
// the limit at 7 MB, because only the default estimate applied.
TEST(MemoryLimit, AHugeAutoRecIsRefusedBeforeItAllocates) {
  EXPECT_GT(peak("autorec", R"({"variant": "user", "hidden": [30000]})", kMl100k),
            size_t{2300} << 20);
  auto rec = Recommender::configure("autorec", Options::parse(R"({"variant": "user", "hidden": [30000]})"));
  FitContext ctx;
  const size_t limit = size_t{7} << 20;
  size_t seen = 0;
  ctx.memory_check = [&](size_t bytes, const Model&) {
    seen = bytes;
    if (bytes > limit) throw Error(ErrorKind::ResourceLimit, "over the limit");
  };
  try {
    rec->fit(grid(40, 30), ctx);
    FAIL() << "the memory check did not refuse the training";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
  }
  // 30,000 x 30 weights each way and L-BFGS's 16 vectors of them: tens of MB even on 40 x 30.
  EXPECT_GT(seen, size_t{30000} * 30 * 2 * 4 * 16);
  EXPECT_TRUE(ctx.history.empty());
  EXPECT_TRUE(rec->baseline().user.empty());
}

TEST(MemoryLimit, AHugeSvdOrKnnIsRefusedBeforeItAllocates) {
  for (auto [algo, json] : {std::pair<std::string, std::string>{"svd", R"({"factors": 1000, "method": "als"})"},
                            {"knn", R"({"kind": "user", "max_neighbors": 100000})"}}) {
    auto rec = Recommender::configure(algo, Options::parse(json));
    FitContext ctx;
    ctx.memory_check = [](size_t bytes, const Model&) {
      if (bytes > (size_t{4} << 20)) throw Error(ErrorKind::ResourceLimit, "over the limit");
    };
    // 3,000 users x 30 items: 1,000 factors need 12 MB of user factors alone; every user is
    // every other user's neighbour, 9 million entries.
    EXPECT_THROW(rec->fit(grid(3000, 30), ctx), Error) << algo;
    EXPECT_TRUE(ctx.history.empty()) << algo;
  }
}
