// Metric definitions (RMSE, MAE, precision/recall/NDCG/MAP at k, coverage) and evaluation.
#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"

namespace autorec {

double rmse(const std::vector<double>& p, const std::vector<double>& a) {
  if (p.empty()) return std::nan("");
  double s = 0;
  for (size_t k = 0; k < p.size(); ++k) s += (p[k] - a[k]) * (p[k] - a[k]);
  return std::sqrt(s / static_cast<double>(p.size()));
}

double mae(const std::vector<double>& p, const std::vector<double>& a) {
  if (p.empty()) return std::nan("");
  double s = 0;
  for (size_t k = 0; k < p.size(); ++k) s += std::fabs(p[k] - a[k]);
  return s / static_cast<double>(p.size());
}

RankingScores rank_scores(const std::vector<int64_t>& rec, const std::vector<int64_t>& relevant,
                          size_t k) {
  RankingScores r;
  if (relevant.empty() || k == 0) return r;
  std::unordered_set<int64_t> rel(relevant.begin(), relevant.end());
  double dcg = 0, idcg = 0, ap = 0;
  size_t hits = 0;
  for (size_t j = 0; j < std::min(k, rec.size()); ++j) {
    if (rel.count(rec[j])) {
      if (hits == 0) r.reciprocal_rank = 1.0 / static_cast<double>(j + 1);
      ++hits;
      dcg += 1.0 / std::log2(static_cast<double>(j) + 2.0);
      ap += static_cast<double>(hits) / static_cast<double>(j + 1);
    }
  }
  for (size_t j = 0; j < std::min(k, rel.size()); ++j)
    idcg += 1.0 / std::log2(static_cast<double>(j) + 2.0);
  r.precision = static_cast<double>(hits) / static_cast<double>(k);
  r.recall = static_cast<double>(hits) / static_cast<double>(rel.size());
  r.ndcg = dcg / idcg;
  r.average_precision = ap / static_cast<double>(std::min(k, rel.size()));
  r.hit = hits ? 1.0 : 0.0;
  return r;
}

Evaluation evaluate(const Recommender& model, const RawRatings& test, size_t k,
                    double threshold, const FitContext* ctx, int threads,
                    std::vector<UserEvaluation>* per_user) {
  Evaluation ev;
  const size_t n = test.size();
  if (n == 0)
    throw Error(ErrorKind::DataError, "the test source has no ratings");
  // Rejected like training ratings: a NaN would make RMSE and MAE NaN.
  for (size_t r = 0; r < test.ratings.size(); ++r)
    if (!std::isfinite(test.ratings[r]))
      throw Error(ErrorKind::DataError,
                  "test rating of user " + std::to_string(test.users[r]) + " for item " +
                      std::to_string(test.items[r]) + " is NaN or infinite");
  // Group the test ratings by user.
  std::map<int64_t, std::vector<size_t>> by_user;
  for (size_t r = 0; r < n; ++r) by_user[test.users[r]].push_back(r);
  std::vector<const std::pair<const int64_t, std::vector<size_t>>*> users;
  for (auto& e : by_user) users.push_back(&e);

  // RMSE and MAE need ratings on both sides: a ranking model predicts none, implicit test
  // data holds none (every test pair is then relevant).
  const bool rated = model.score_kind() == ScoreKind::Rating && !test.implicit;
  std::vector<double> pred(rated ? n : 0);
  std::vector<RankingScores> scores(users.size());
  std::vector<size_t> n_relevant(users.size(), 0);
  std::vector<char> ranked(users.size(), 0), known(users.size(), 0);
  std::vector<std::vector<int64_t>> lists(users.size());
  ThreadPool pool(threads);
  pool.run(
      users.size(),
      [&](size_t t, int) {
        const int64_t user = users[t]->first;
        std::vector<int64_t> relevant;
        for (size_t r : users[t]->second) {
          if (rated) pred[r] = model.predict(user, test.items[r]);
          if (test.implicit || test.ratings[r] >= threshold) relevant.push_back(test.items[r]);
        }
        // Coverage counts the lists of the users the model was trained on, whatever the
        // threshold; the ranking metrics count the users with a relevant item (an unknown
        // user's list is the popularity fallback).
        known[t] = model.users().find(user) >= 0;
        n_relevant[t] = relevant.size();
        if (k == 0 || (relevant.empty() && !known[t])) return;
        for (const ScoredId& s : model.recommend(user, k, true, nullptr))
          lists[t].push_back(s.id);
        if (relevant.empty()) return;
        scores[t] = rank_scores(lists[t], relevant, k);
        ranked[t] = 1;
      },
      ctx);

  ev.n_ratings = n;
  ev.n_users = users.size();
  ev.rmse = rated ? rmse(pred, test.ratings) : std::numeric_limits<double>::quiet_NaN();
  ev.mae = rated ? mae(pred, test.ratings) : std::numeric_limits<double>::quiet_NaN();
  // Popularity of each item in training: its number of interactions, and its percentile.
  const int32_t n_items = model.items().size();
  std::vector<double> count(static_cast<size_t>(n_items)), percentile(count.size());
  {
    std::vector<int32_t> order(count.size());
    for (int32_t i = 0; i < n_items; ++i) {
      count[static_cast<size_t>(i)] = static_cast<double>(model.ratings().item(i).n);
      order[static_cast<size_t>(i)] = i;
    }
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return count[static_cast<size_t>(a)] < count[static_cast<size_t>(b)];
    });
    // Ties share the percentile of their first position.
    size_t first = 0;
    for (size_t r = 0; r < order.size(); ++r) {
      if (r > 0 && count[static_cast<size_t>(order[r - 1])] != count[static_cast<size_t>(order[r])])
        first = r;
      percentile[static_cast<size_t>(order[r])] =
          order.size() > 1 ? static_cast<double>(first) / static_cast<double>(order.size() - 1)
                           : 1.0;
    }
  }
  size_t m = 0, n_listed = 0;
  std::unordered_set<int64_t> seen;
  for (size_t t = 0; t < users.size(); ++t) {
    if (known[t]) {
      seen.insert(lists[t].begin(), lists[t].end());
      for (int64_t id : lists[t]) {
        const int32_t i = model.items().find(id);
        if (i < 0) continue;
        ev.mean_popularity += count[static_cast<size_t>(i)];
        ev.popularity_percentile += percentile[static_cast<size_t>(i)];
        ++n_listed;
      }
    }
    if (!ranked[t]) continue;
    ++m;
    ev.precision_at_k += scores[t].precision;
    ev.recall_at_k += scores[t].recall;
    ev.ndcg_at_k += scores[t].ndcg;
    ev.map_at_k += scores[t].average_precision;
    ev.hit_rate_at_k += scores[t].hit;
    ev.mrr_at_k += scores[t].reciprocal_rank;
  }
  if (m) {
    ev.precision_at_k /= static_cast<double>(m);
    ev.recall_at_k /= static_cast<double>(m);
    ev.ndcg_at_k /= static_cast<double>(m);
    ev.map_at_k /= static_cast<double>(m);
    ev.hit_rate_at_k /= static_cast<double>(m);
    ev.mrr_at_k /= static_cast<double>(m);
  }
  if (n_listed) {
    ev.mean_popularity /= static_cast<double>(n_listed);
    ev.popularity_percentile /= static_cast<double>(n_listed);
  }
  if (per_user) {
    per_user->clear();
    for (size_t t = 0; t < users.size(); ++t) {
      UserEvaluation u;
      u.user = users[t]->first;
      u.n_ratings = users[t]->second.size();
      u.n_relevant = n_relevant[t];
      u.known = known[t] != 0;
      u.scores = scores[t];
      per_user->push_back(u);
    }
  }
  ev.catalog_coverage = model.items().size()
                            ? static_cast<double>(seen.size()) / model.items().size()
                            : 0.0;
  return ev;
}

}  // namespace autorec
