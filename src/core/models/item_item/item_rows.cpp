// Scoring, similar items and checked serialization of a sparse item-item matrix.
#include "core/models/item_item/item_rows.hpp"

#include <algorithm>
#include <cmath>

#include "core/serialize.hpp"

namespace autorec {

void score_from_rows(const KnnGraph& rows, const ImplicitWeighting& w, const SparseRow& user,
                     int32_t n_items, float* out) {
  std::fill(out, out + n_items, 0.0f);
  for (size_t k = 0; k < user.n; ++k) {
    const int32_t i = user.index[k];
    const float x = w.weight(user.value[k]);
    if (i < 0 || i >= rows.rows() || x == 0.0f) continue;
    for (const KnnNeighbor* p = rows.begin(i); p != rows.end(i); ++p) out[p->index] += x * p->sim;
  }
}

float row_entry(const KnnGraph& rows, int32_t i, int32_t j) {
  if (i < 0 || i >= rows.rows()) return 0.0f;
  for (const KnnNeighbor* p = rows.begin(i); p != rows.end(i); ++p)
    if (p->index == j) return p->sim;
  return 0.0f;
}

std::vector<ScoredIndex> top_of_row(const KnnGraph& rows, int32_t item, size_t n) {
  std::vector<ScoredIndex> out;
  if (item < 0 || item >= rows.rows()) return out;
  for (const KnnNeighbor* p = rows.begin(item); p != rows.end(item); ++p)
    if (p->sim > 0 && p->index != item) out.push_back({p->index, p->sim});
  auto better = [](const ScoredIndex& a, const ScoredIndex& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  if (out.size() > n) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), better);
    out.resize(n);
  } else {
    std::sort(out.begin(), out.end(), better);
  }
  return out;
}

void save_rows(Writer& w, const KnnGraph& rows) {
  w.put_vector(rows.ptr);
  w.put_vector(rows.nbr);
}

KnnGraph load_rows(Reader& r, int32_t n_rows, int32_t n_cols, int64_t max_per_row) {
  KnnGraph g;
  g.ptr = r.get_vector_exact<int64_t>(static_cast<uint64_t>(n_rows) + 1);
  if (g.ptr[0] != 0) Reader::corrupt("item rows offsets");
  for (int32_t i = 0; i < n_rows; ++i)
    if (g.ptr[i + 1] < g.ptr[i] || g.ptr[i + 1] - g.ptr[i] > max_per_row)
      Reader::corrupt("item rows offsets");
  g.nbr = r.get_vector_exact<KnnNeighbor>(static_cast<uint64_t>(g.ptr.back()));
  for (const KnnNeighbor& e : g.nbr)
    if (e.index < 0 || e.index >= n_cols || !std::isfinite(e.sim))
      Reader::corrupt("item rows entries");
  return g;
}

}  // namespace autorec
