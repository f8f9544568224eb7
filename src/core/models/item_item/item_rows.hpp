// Serving from a sparse item-item matrix (one row per item: the items it adds score to), shared
// by itemknn (its top-k cosine neighbours) and a pruned ease (its top entries of B): a user's
// score of item j is sum_i w(r_ui) * row_i[j] over the items i the user interacted with, so
// scoring touches only the rows of those items.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/model.hpp"
#include "core/models/item_item/implicit_input.hpp"
#include "core/models/knn/knn_similarity.hpp"

namespace autorec {

// Sets out[0, n_items) to the scores of `user` (a training user's or a folded-in user's ratings;
// indices outside [0, rows) are ignored).
void score_from_rows(const KnnGraph& rows, const ImplicitWeighting& w, const SparseRow& user,
                     int32_t n_items, float* out);
// The entry row_i[j] (0 when absent).
float row_entry(const KnnGraph& rows, int32_t i, int32_t j);
// The n largest entries of row `item`, largest first, positive ones only.
std::vector<ScoredIndex> top_of_row(const KnnGraph& rows, int32_t item, size_t n);
// Contributions w(r_ui) * value(i, j) of the user's items i to item j, largest first, zeros left
// out; `value` gives the item-item entry.
template <typename Value>
std::vector<Contribution> item_contributions(const ImplicitWeighting& w, const SparseRow& user,
                                             int32_t n_items, int32_t item, Value value) {
  std::vector<Contribution> out;
  if (item < 0 || item >= n_items) return out;
  for (size_t k = 0; k < user.n; ++k) {
    const int32_t i = user.index[k];
    const float x = w.weight(user.value[k]);
    if (i < 0 || i >= n_items || i == item || x == 0.0f) continue;
    const double s = value(i, item);
    if (s != 0) out.push_back({i, user.value[k], s, x * s});
  }
  std::sort(out.begin(), out.end(), [](const Contribution& a, const Contribution& b) {
    return a.contribution != b.contribution ? a.contribution > b.contribution : a.index < b.index;
  });
  return out;
}

// Checked serialization of the rows: every index in [0, n_cols), at most max_per_row per row.
void save_rows(Writer& w, const KnnGraph& rows);
KnnGraph load_rows(Reader& r, int32_t n_rows, int32_t n_cols, int64_t max_per_row);

}  // namespace autorec
