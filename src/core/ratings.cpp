// Building the id maps and the CSR/CSC rating matrix.
#include "core/ratings.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>

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

namespace {

// Dense indices of external ids: the sorted distinct ids, and each row's index among them.
// Ids usually span a small range (1..max), where a direct table is linear and cache friendly;
// otherwise a hash map finds the distinct ids in one pass.
IdMap map_ids(const std::vector<int64_t>& ids, std::vector<int32_t>& index) {
  const size_t n = ids.size();
  index.resize(n);
  auto [lo_it, hi_it] = std::minmax_element(ids.begin(), ids.end());
  const int64_t lo = *lo_it, hi = *hi_it;
  std::vector<int64_t> sorted;
  // (hi - lo) computed in unsigned arithmetic: it cannot overflow.
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span < std::max<uint64_t>(4 * static_cast<uint64_t>(n), 1u << 20)) {
    std::vector<int32_t> table(span + 1, -1);
    for (int64_t id : ids) table[static_cast<uint64_t>(id) - static_cast<uint64_t>(lo)] = 0;
    int32_t next = 0;
    for (uint64_t k = 0; k <= span; ++k)
      if (table[k] == 0) {
        table[k] = next++;
        sorted.push_back(static_cast<int64_t>(static_cast<uint64_t>(lo) + k));
      }
    for (size_t k = 0; k < n; ++k)
      index[k] = table[static_cast<uint64_t>(ids[k]) - static_cast<uint64_t>(lo)];
    return IdMap(std::move(sorted));
  }
  std::unordered_map<int64_t, int32_t> seen;
  for (int64_t id : ids) seen.try_emplace(id, 0);
  if (seen.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error(ErrorKind::ResourceLimit, "too many distinct users or items");
  sorted.reserve(seen.size());
  for (auto& kv : seen) sorted.push_back(kv.first);
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 0; k < sorted.size(); ++k) seen[sorted[k]] = static_cast<int32_t>(k);
  for (size_t k = 0; k < n; ++k) index[k] = seen.find(ids[k])->second;
  return IdMap(std::move(sorted));
}

// Rows ordered stably by one of their fields: one counting-sort pass that moves whole rows, so
// that every later pass reads memory sequentially.
template <typename Key>
std::vector<Triple> counting_sort(const std::vector<Triple>& in, int32_t n_keys, Key key) {
  std::vector<size_t> start(static_cast<size_t>(n_keys) + 1, 0);
  for (const Triple& t : in) ++start[static_cast<size_t>(key(t)) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<Triple> out(in.size());
  for (const Triple& t : in) out[start[key(t)]++] = t;
  return out;
}

}  // namespace

Dataset build_dataset(const RawRatings& raw) {
  const size_t n = raw.size();
  if (n == 0)
    throw Error(ErrorKind::DataError,
                raw.implicit ? "the source has no interactions" : "the source has no ratings",
                raw.implicit ? "Rows with a NULL user, item or weight are skipped."
                             : "Rows with a NULL user, item or rating are skipped.");
  if (n >= std::numeric_limits<uint32_t>::max())
    throw Error(ErrorKind::ResourceLimit, "more than 4 billion ratings");
  const char* what = raw.implicit ? "weight" : "rating";
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(static_cast<float>(raw.ratings[k])))
      throw Error(ErrorKind::DataError,
                  std::string(what) + " of user " + std::to_string(raw.users[k]) + " for item " +
                      std::to_string(raw.items[k]) + " is NaN, infinite or out of range");
    if (raw.implicit && !(raw.ratings[k] > 0)) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", raw.ratings[k]);
      throw Error(ErrorKind::DataError,
                  "weight of user " + std::to_string(raw.users[k]) + " for item " +
                      std::to_string(raw.items[k]) + " is " + value +
                      ", but weights must be greater than 0",
                  "Leave out the rows without an interaction (e.g. WHERE weight > 0).");
    }
  }
  Dataset d;
  std::vector<int32_t> uidx, iidx;
  d.users = map_ids(raw.users, uidx);
  d.items = map_ids(raw.items, iidx);

  std::vector<Triple> rows(n);
  for (size_t k = 0; k < n; ++k) rows[k] = {uidx[k], iidx[k], static_cast<float>(raw.ratings[k])};
  uidx = std::vector<int32_t>();
  iidx = std::vector<int32_t>();
  // Radix sort by (user, item): by item, then stably by user. Duplicates end up adjacent and
  // are averaged (ratings) or added (weights: two plays count twice).
  rows = counting_sort(rows, d.items.size(), [](const Triple& t) { return t.item; });
  rows = counting_sort(rows, d.users.size(), [](const Triple& t) { return t.user; });
  std::vector<Triple> triples;
  triples.reserve(n);
  for (size_t k = 0; k < n;) {
    size_t j = k;
    double sum = 0;
    while (j < n && rows[j].user == rows[k].user && rows[j].item == rows[k].item)
      sum += rows[j++].rating;
    d.duplicates += (j - k > 1) ? 1 : 0;
    const double value = raw.implicit ? sum : sum / static_cast<double>(j - k);
    if (!std::isfinite(static_cast<float>(value)))
      throw Error(ErrorKind::DataError, "the weights of user " + std::to_string(d.users.id(rows[k].user)) +
                                            " for item " + std::to_string(d.items.id(rows[k].item)) +
                                            " add up to more than a float can hold");
    triples.push_back({rows[k].user, rows[k].item, static_cast<float>(value)});
    k = j;
  }
  rows = std::vector<Triple>();
  d.matrix = RatingMatrix(d.users.size(), d.items.size(), triples);
  return d;
}

std::vector<float> item_interactions(const RatingMatrix& m, bool count_users) {
  std::vector<float> out(static_cast<size_t>(m.n_items()));
  for (int32_t i = 0; i < m.n_items(); ++i) {
    SparseRow c = m.item(i);
    double sum = 0;
    for (size_t k = 0; k < c.n; ++k) sum += count_users ? 1.0 : c.value[k];
    out[static_cast<size_t>(i)] = static_cast<float>(sum);
  }
  return out;
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

const RatingMatrix& training_part(const RatingMatrix& full, double fraction, uint64_t seed,
                                  ValidationSplit& split) {
  split = ValidationSplit{};
  if (fraction <= 0) return full;
  split = split_for_validation(full, fraction, seed);
  if (split.validation.empty() || split.train.nnz() == 0) {
    split.validation.clear();
    return full;
  }
  return split.train;
}

}  // namespace autorec
