// Unit tests for the early stopping that svd, autorec and content share.
#include <gtest/gtest.h>

#include <cmath>

#include "core/training/early_stopping.hpp"

using namespace autorec;

TEST(EarlyStopping, KeepsTheBestAndStopsAfterPatience) {
  EarlyStopping s(2);
  EXPECT_FALSE(s.has_best());
  EXPECT_EQ(s.offer(1.0), EarlyStopping::Verdict::Improved);
  EXPECT_EQ(s.offer(std::nan("")), EarlyStopping::Verdict::Continue);  // no validation: no count
  EXPECT_EQ(s.offer(0.9), EarlyStopping::Verdict::Improved);
  EXPECT_EQ(s.offer(0.9), EarlyStopping::Verdict::Continue);  // equal is not better
  EXPECT_EQ(s.epochs_since_best(), 1);
  EXPECT_EQ(s.offer(0.95), EarlyStopping::Verdict::Stop);
  EXPECT_EQ(s.epochs_since_best(), 2);
  EXPECT_DOUBLE_EQ(s.best(), 0.9);
  EXPECT_TRUE(s.has_best());
}

TEST(EarlyStopping, MinDeltaAndStartingPoint) {
  EarlyStopping s(1, 0.01);
  s.start_from(1.0);
  EXPECT_TRUE(s.has_best());
  EXPECT_EQ(s.epochs_since_best(), 0);
  EXPECT_EQ(s.offer(0.995), EarlyStopping::Verdict::Stop);  // within min_delta: no progress
  EXPECT_DOUBLE_EQ(s.best(), 1.0);
  EarlyStopping t(3, 0.01);
  t.start_from(1.0);
  EXPECT_EQ(t.offer(0.98), EarlyStopping::Verdict::Improved);
}
