// The ratings a model is trained on: external bigint ids mapped to dense indices, and the
// sparse matrix in both orientations (CSR by user, CSC by item).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace autorec {

// Sorted external ids; the dense index of an id is its position, so maps built from the same
// ids are identical whatever order the rows came in.
class IdMap {
 public:
  IdMap() = default;
  explicit IdMap(std::vector<int64_t> sorted_unique_ids) : ids_(std::move(sorted_unique_ids)) {}
  int32_t find(int64_t id) const;  // -1 when absent
  int64_t id(int32_t index) const { return ids_[static_cast<size_t>(index)]; }
  int32_t size() const { return static_cast<int32_t>(ids_.size()); }
  const std::vector<int64_t>& ids() const { return ids_; }

 private:
  std::vector<int64_t> ids_;
};

struct Triple {
  int32_t user;
  int32_t item;
  float rating;
};

// A row (or column) of the matrix: indices and values, n entries.
struct SparseRow {
  const int32_t* index = nullptr;
  const float* value = nullptr;
  size_t n = 0;
};

class RatingMatrix {
 public:
  RatingMatrix() = default;
  // Triples must not repeat a (user, item) pair; they need not be sorted.
  RatingMatrix(int32_t n_users, int32_t n_items, const std::vector<Triple>& triples);

  int32_t n_users() const { return n_users_; }
  int32_t n_items() const { return n_items_; }
  size_t nnz() const { return user_index_.size(); }
  double mean() const { return mean_; }
  float min_rating() const { return min_; }
  float max_rating() const { return max_; }

  SparseRow user(int32_t u) const {
    size_t b = user_ptr_[u], e = user_ptr_[u + 1];
    return {user_index_.data() + b, user_value_.data() + b, e - b};
  }
  SparseRow item(int32_t i) const {
    size_t b = item_ptr_[i], e = item_ptr_[i + 1];
    return {item_index_.data() + b, item_value_.data() + b, e - b};
  }
  // Whole arrays, for models that iterate all ratings.
  const std::vector<int64_t>& user_ptr() const { return user_ptr_; }
  const std::vector<int32_t>& user_items() const { return user_index_; }
  const std::vector<float>& user_values() const { return user_value_; }
  const std::vector<int64_t>& item_ptr() const { return item_ptr_; }
  const std::vector<int32_t>& item_users() const { return item_index_; }
  const std::vector<float>& item_values() const { return item_value_; }

  std::vector<Triple> triples() const;  // in CSR order
  float rating(int32_t u, int32_t i) const;  // NaN when not rated (binary search)

 private:
  int32_t n_users_ = 0, n_items_ = 0;
  double mean_ = 0;
  float min_ = 0, max_ = 0;
  std::vector<int64_t> user_ptr_, item_ptr_;
  std::vector<int32_t> user_index_, item_index_;
  std::vector<float> user_value_, item_value_;
};

// Ratings as read from a table: external ids, in any order, possibly with duplicates.
// Explicit input holds ratings (duplicates are averaged); implicit input (views, purchases,
// plays) holds interaction weights: 1 per row, or a weight column (duplicates add up).
struct RawRatings {
  std::vector<int64_t> users, items;
  std::vector<double> ratings;  // ratings, or weights when implicit
  bool implicit = false;
  size_t size() const { return ratings.size(); }
  void add(int64_t u, int64_t i, double r) {
    users.push_back(u);
    items.push_back(i);
    ratings.push_back(r);
  }
};

struct Dataset {
  IdMap users, items;
  RatingMatrix matrix;
  // (user, item) pairs seen more than once; their ratings are averaged, their weights added
  size_t duplicates = 0;
};

// Maps ids, averages duplicate ratings (adds duplicate weights). Throws Error(DataError) for
// NaN/infinite ratings, weights that are not > 0, or no rows at all.
Dataset build_dataset(const RawRatings& raw);

// Interactions per item: the sum of each item's values (its number of interactions for implicit
// input without weights), or with count_users the number of users who interacted with it.
std::vector<float> item_interactions(const RatingMatrix& m, bool count_users = false);

// Holds out a random fraction of each matrix's ratings (seeded) for validation.
struct ValidationSplit {
  RatingMatrix train;
  std::vector<Triple> validation;
};
ValidationSplit split_for_validation(const RatingMatrix& m, double fraction, uint64_t seed);

// Bytes training_part() allocates for a split of `fraction` (0 for none): the training part's
// CSR and CSC, the validation triples and the triples the split is built from.
inline size_t validation_split_bytes(size_t nnz, int32_t n_users, int32_t n_items,
                                     double fraction) {
  if (!(fraction > 0)) return 0;
  return nnz * (4 * sizeof(float) + sizeof(Triple)) +
         (static_cast<size_t>(n_users) + static_cast<size_t>(n_items) + 2) * sizeof(int64_t);
}

// What a model that stops early on validation trains on: with fraction > 0, fills `split` and
// returns split.train; returns `full` (and leaves no validation ratings) when fraction is 0 or
// either part of the split would be empty.
const RatingMatrix& training_part(const RatingMatrix& full, double fraction, uint64_t seed,
                                  ValidationSplit& split);

}  // namespace autorec
