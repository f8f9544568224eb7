// Regression tests for inputs the libFuzzer harnesses (test/fuzz) found to crash or hit
// undefined behaviour; each is now an autorec::Error.
#include <gtest/gtest.h>

#include <cstring>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

TEST(FuzzRegressions, IntegerOptionAtTwoToThe63IsAnErrorNotUndefinedBehaviour) {
  // (double)INT64_MAX is 2^63, which passed the range check and then did not convert.
  EXPECT_THROW(Options::parse(R"({"seed": 9223372036854775808})").integer("seed", 0, 0, INT64_MAX),
               Error);
  EXPECT_THROW(Options::parse(R"({"h": [9223372036854775808]})").integer_list("h", {1}, 0, INT64_MAX),
               Error);
  EXPECT_THROW(Options::parse(R"({"h": -1e300})").integer("h", 0, INT64_MIN, INT64_MAX), Error);
  EXPECT_EQ(Options::parse(R"({"seed": 9223372036854774784})").integer("seed", 0, 0, INT64_MAX),
            INT64_C(9223372036854774784));  // the largest double below 2^63 still converts
  EXPECT_EQ(Options::parse(R"({"k": -9223372036854775808})").integer("k", 0, INT64_MIN, 0), INT64_MIN);
  EXPECT_THROW(Recommender::configure("baseline", Options::parse(R"({"seed": 1e19})")), Error);
}

TEST(FuzzRegressions, RatingOffsetsPastTheRatingCountAreCorruption) {
  RawRatings raw;
  for (int u = 1; u <= 4; ++u)
    for (int i = 1; i <= 3; ++i) raw.add(u, i, 1 + (u + i) % 5);
  auto rec = Recommender::configure("baseline", Options::parse("{}"));
  FitContext ctx;
  rec->fit(raw, ctx);
  std::vector<uint8_t> b = rec->serialize();
  ASSERT_NO_THROW(Recommender::deserialize(b.data(), b.size()));

  // Header: magic, version, algorithm, dimensions, payload length, CRC (src/core/serialize.cpp).
  size_t header = 8 + 4 + 8 + std::strlen("baseline") + 4 + 4 + 8 + 8 + 4;
  size_t p = header;
  uint64_t n;
  std::memcpy(&n, b.data() + p, 8);  // options JSON
  p += 8 + n;
  p += 8 + 8 + 8;  // seed, fit seconds, duplicates
  for (int k = 0; k < 2; ++k) {  // user and item id maps
    std::memcpy(&n, b.data() + p, 8);
    p += 8 + n * sizeof(int64_t);
  }
  std::memcpy(&n, b.data() + p, 8);  // CSR offsets: n_users + 1 of them, 0 .. n_ratings
  ASSERT_EQ(n, 5u);
  uint8_t* ptr = b.data() + p + 8;  // unaligned: copy, do not cast
  int64_t last, bad = 1000;
  std::memcpy(&last, ptr + 4 * sizeof(int64_t), sizeof last);
  ASSERT_EQ(last, 12);
  std::memcpy(ptr + 1 * sizeof(int64_t), &bad, sizeof bad);  // user 0's row runs far past the ratings
  uint32_t crc = crc32(b.data() + header, b.size() - header);
  std::memcpy(b.data() + header - 4, &crc, 4);
  try {
    Recommender::deserialize(b.data(), b.size());
    FAIL() << "corrupted offsets were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
  }
}
