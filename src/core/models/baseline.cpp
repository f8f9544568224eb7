// Baseline biases by alternating least squares, as Surprise's BaselineOnly.
#include "core/models/baseline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/options/options.hpp"
#include "core/serialize.hpp"

namespace autorec {

BiasOptions BiasOptions::read(Options& o, const std::string& prefix) {
  BiasOptions b;
  b.epochs = static_cast<int>(o.integer(prefix + "epochs", b.epochs, 1, 1000));
  b.reg_user = o.number(prefix + "reg_user", b.reg_user, 0, 1e6);
  b.reg_item = o.number(prefix + "reg_item", b.reg_item, 0, 1e6);
  return b;
}

Biases fit_biases(const RatingMatrix& m, const BiasOptions& opt, FitContext* ctx,
                  bool report_epochs) {
  Biases b;
  b.mean = m.mean();
  b.reg_user = opt.reg_user;
  b.user.assign(static_cast<size_t>(m.n_users()), 0.f);
  b.item.assign(static_cast<size_t>(m.n_items()), 0.f);
  const bool report = ctx && report_epochs;
  for (int e = 0; e < opt.epochs; ++e) {
    if (ctx) ctx->check_interrupt();
    auto start = std::chrono::steady_clock::now();
    for (int32_t i = 0; i < m.n_items(); ++i) {
      SparseRow c = m.item(i);
      double dev = 0;
      for (size_t k = 0; k < c.n; ++k) dev += c.value[k] - b.mean - b.user[c.index[k]];
      b.item[i] = static_cast<float>(dev / (opt.reg_item + static_cast<double>(c.n)));
    }
    double sq = 0;  // squared training error after this epoch, from the same pass
    for (int32_t u = 0; u < m.n_users(); ++u) {
      SparseRow r = m.user(u);
      double dev = 0, dev2 = 0;
      for (size_t k = 0; k < r.n; ++k) {
        const double d = r.value[k] - b.mean - b.item[r.index[k]];
        dev += d;
        dev2 += d * d;
      }
      b.user[u] = static_cast<float>(dev / (opt.reg_user + static_cast<double>(r.n)));
      // The row's squared errors after the update: the sum of (d - b_u)^2, expanded.
      const double bu = b.user[u];
      sq += dev2 - 2 * bu * dev + static_cast<double>(r.n) * bu * bu;
    }
    if (report) {
      // No validation RMSE: the baseline is fitted on all the ratings (it is every family's
      // fallback), so no held-out part exists to measure it on.
      EpochStats st;
      st.epoch = e + 1;
      st.train_rmse = std::sqrt(std::max(sq, 0.0) / static_cast<double>(m.nnz()));
      st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ctx->epoch_done(st, opt.epochs);
    }
  }
  return b;
}

double Biases::fold_in_user(const SparseRow& r) const {
  double dev = 0;
  for (size_t k = 0; k < r.n; ++k) dev += r.value[k] - mean - item[r.index[k]];
  return dev / (reg_user + static_cast<double>(r.n));
}

void Biases::save(Writer& w) const {
  w.put<double>(mean);
  w.put<double>(reg_user);
  w.put_vector(user);
  w.put_vector(item);
}

void Biases::load(Reader& r, int32_t n_users, int32_t n_items) {
  mean = r.get<double>();
  reg_user = r.get<double>();
  // Empty when the model's family did not get the baseline (a ranking family).
  user = r.get_vector<float>(static_cast<uint64_t>(n_users));
  item = r.get_vector<float>(static_cast<uint64_t>(n_items));
  const bool none = user.empty() && item.empty();
  if (!none && (user.size() != static_cast<size_t>(n_users) ||
                item.size() != static_cast<size_t>(n_items)))
    Reader::corrupt("baseline length");
  if (!std::isfinite(mean) || !std::isfinite(reg_user) || reg_user < 0)
    Reader::corrupt("baseline mean or penalty");
  for (const std::vector<float>* p : {&user, &item})
    for (float x : *p)
      if (!std::isfinite(x)) Reader::corrupt("non-finite baseline bias");
}

void BaselineModel::fit(const TrainingData& data, FitContext&) { b_ = data.baseline; }

double BaselineModel::user_bias(const UserProfile& user) const {
  return user.index >= 0 ? b_->user[user.index] : b_->fold_in_user(user.ratings);
}

double BaselineModel::predict(const UserProfile& user, int32_t item) const {
  return b_->mean + user_bias(user) + b_->item[item];
}

void BaselineModel::score(const UserProfile& user, float* out) const {
  const double base = b_->mean + user_bias(user);
  for (size_t i = 0; i < b_->item.size(); ++i) out[i] = static_cast<float>(base + b_->item[i]);
}

}  // namespace autorec
