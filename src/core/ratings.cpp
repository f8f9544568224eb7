// Building the id maps and the CSR/CSC rating matrix.
#include "core/ratings.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.hpp"

namespace autorec {

int32_t IdMap::find(int64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return -1;
  return static_cast<int32_t>(it - ids_.begin());
}

RatingMatrix::RatingMatrix(int32_t n_users, int32_t n_items, const std::vector<Triple>& triples)
    : n_users_(n_users), n_items_(n_items) {
  const size_t n = triples.size();
  user_ptr_.assign(static_cast<size_t>(n_users) + 1, 0);
  item_ptr_.assign(static_cast<size_t>(n_items) + 1, 0);
  double sum = 0;
  min_ = std::numeric_limits<float>::infinity();
  max_ = -min_;
  for (const Triple& t : triples) {
    if (t.user < 0 || t.user >= n_users || t.item < 0 || t.item >= n_items)
      throw Error(ErrorKind::Internal, "rating index out of range");
    ++user_ptr_[t.user + 1];
    ++item_ptr_[t.item + 1];
    sum += t.rating;
    min_ = std::min(min_, t.rating);
    max_ = std::max(max_, t.rating);
  }
  if (n == 0) min_ = max_ = 0;
  mean_ = n ? sum / static_cast<double>(n) : 0.0;
  std::partial_sum(user_ptr_.begin(), user_ptr_.end(), user_ptr_.begin());
  std::partial_sum(item_ptr_.begin(), item_ptr_.end(), item_ptr_.begin());
  user_index_.resize(n);
  user_value_.resize(n);
  item_index_.resize(n);
  item_value_.resize(n);
  std::vector<int64_t> ufill(user_ptr_.begin(), user_ptr_.end() - 1);
  std::vector<int64_t> ifill(item_ptr_.begin(), item_ptr_.end() - 1);
  for (const Triple& t : triples) {
    size_t a = static_cast<size_t>(ufill[t.user]++);
    user_index_[a] = t.item;
    user_value_[a] = t.rating;
    size_t b = static_cast<size_t>(ifill[t.item]++);
    item_index_[b] = t.user;
    item_value_[b] = t.rating;
  }
  // Sort each row by index so lookups can binary-search and results are order independent.
  auto sort_rows = [](const std::vector<int64_t>& ptr, std::vector<int32_t>& idx,
                      std::vector<float>& val) {
    std::vector<std::pair<int32_t, float>> tmp;
    for (size_t r = 0; r + 1 < ptr.size(); ++r) {
      size_t b = static_cast<size_t>(ptr[r]), e = static_cast<size_t>(ptr[r + 1]);
      if (std::is_sorted(idx.begin() + static_cast<std::ptrdiff_t>(b),
                         idx.begin() + static_cast<std::ptrdiff_t>(e)))
        continue;
      tmp.clear();
      for (size_t k = b; k < e; ++k) tmp.emplace_back(idx[k], val[k]);
      std::sort(tmp.begin(), tmp.end());
      for (size_t k = b; k < e; ++k) {
        idx[k] = tmp[k - b].first;
        val[k] = tmp[k - b].second;
      }
    }
  };
  sort_rows(user_ptr_, user_index_, user_value_);
  sort_rows(item_ptr_, item_index_, item_value_);
}

std::vector<Triple> RatingMatrix::triples() const {
  std::vector<Triple> out;
  out.reserve(nnz());
  for (int32_t u = 0; u < n_users_; ++u) {
    SparseRow r = user(u);
    for (size_t k = 0; k < r.n; ++k) out.push_back({u, r.index[k], r.value[k]});
  }
  return out;
}

float RatingMatrix::rating(int32_t u, int32_t i) const {
  SparseRow r = user(u);
  const int32_t* it = std::lower_bound(r.index, r.index + r.n, i);
  if (it == r.index + r.n || *it != i) return std::numeric_limits<float>::quiet_NaN();
  return r.value[it - r.index];
}

Dataset build_dataset(const RawRatings& raw) {
  const size_t n = raw.size();
  if (n == 0)
    throw Error(ErrorKind::DataError, "the source has no ratings",
                "Rows with a NULL user, item or rating are skipped.");
  for (size_t k = 0; k < n; ++k)
    if (!std::isfinite(raw.ratings[k]))
      throw Error(ErrorKind::DataError,
                  "rating of user " + std::to_string(raw.users[k]) + " for item " +
                      std::to_string(raw.items[k]) + " is NaN or infinite");
  auto unique_sorted = [](std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  Dataset d;
  d.users = IdMap(unique_sorted(raw.users));
  d.items = IdMap(unique_sorted(raw.items));
  if (d.users.size() >= std::numeric_limits<int32_t>::max() ||
      d.items.size() >= std::numeric_limits<int32_t>::max())
    throw Error(ErrorKind::ResourceLimit, "too many distinct users or items");

  struct Keyed {
    int32_t u, i;
    double r;
  };
  std::vector<Keyed> rows(n);
  for (size_t k = 0; k < n; ++k)
    rows[k] = {d.users.find(raw.users[k]), d.items.find(raw.items[k]), raw.ratings[k]};
  std::stable_sort(rows.begin(), rows.end(), [](const Keyed& a, const Keyed& b) {
    return a.u != b.u ? a.u < b.u : a.i < b.i;
  });
  std::vector<Triple> triples;
  triples.reserve(n);
  for (size_t k = 0; k < n;) {
    size_t e = k;
    double sum = 0;
    while (e < n && rows[e].u == rows[k].u && rows[e].i == rows[k].i) sum += rows[e++].r;
    d.duplicates += (e - k > 1) ? 1 : 0;
    triples.push_back({rows[k].u, rows[k].i, static_cast<float>(sum / static_cast<double>(e - k))});
    k = e;
  }
  d.matrix = RatingMatrix(d.users.size(), d.items.size(), triples);
  return d;
}

ValidationSplit split_for_validation(const RatingMatrix& m, double fraction, uint64_t seed) {
  ValidationSplit s;
  std::vector<Triple> all = m.triples(), train;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  train.reserve(all.size());
  for (const Triple& t : all) {
    if (unif(rng) < fraction)
      s.validation.push_back(t);
    else
      train.push_back(t);
  }
  s.train = RatingMatrix(m.n_users(), m.n_items(), train);
  return s;
}

}  // namespace autorec
