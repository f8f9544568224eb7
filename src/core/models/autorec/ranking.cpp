// Mult-DAE: options, training with Adam on the thread pool, serving, serialization.
#include "core/models/autorec/ranking.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

namespace autorec {
namespace {

constexpr uint32_t kPayloadVersion = 1;
constexpr int64_t kMaxUnits = 100000;
constexpr size_t kMaxEncoderLayers = 8;
constexpr size_t kAdamRange = size_t{1} << 15;  // parameters per task of the Adam step

}  // namespace

RankingAutoencoderOptions RankingAutoencoderOptions::read(Options& o) {
  RankingAutoencoderOptions c;
  std::vector<int64_t> hidden = o.integer_list("hidden", {200}, 1, kMaxUnits);
  if (hidden.empty() || hidden.size() > kMaxEncoderLayers)
    throw Error(ErrorKind::InvalidParameter,
                "option \"hidden\" must list 1 to 8 encoder layer sizes",
                "For example [200] (I -> 200 -> I) or [600, 200] (I -> 600 -> 200 -> 600 -> I).");
  c.hidden.assign(hidden.begin(), hidden.end());
  c.activation = activation_from_name(o.choice("activation", "tanh", activation_names()));
  c.dropout = o.number("dropout", c.dropout, 0.0, 0.95);
  if (c.dropout >= 0.95)
    throw Error(ErrorKind::InvalidParameter, "option \"dropout\" must be below 0.95");
  c.epochs = static_cast<int32_t>(o.integer("epochs", c.epochs, 1, 100000));
  c.batch_size = static_cast<int32_t>(o.integer("batch_size", c.batch_size, 1, 1000000));
  c.learning_rate = o.number("learning_rate", c.learning_rate, 1e-8, 10.0);
  c.lambda = o.number("lambda", c.lambda, 0.0, 1e6);
  const std::optional<double> threshold = o.optional_number("threshold", -1e300, 1e300);
  c.has_threshold = threshold.has_value();
  c.threshold = threshold.value_or(0.0);
  return c;
}

std::unique_ptr<Model> make_ranking_autorec_model(Options& o) {
  return std::make_unique<RankingAutoencoderModel>(RankingAutoencoderOptions::read(o));
}

void RankingAutoencoderModel::input_of(const SparseRow& r, std::vector<int32_t>& items,
                                       std::vector<float>& values) const {
  items.clear();
  for (size_t k = 0; k < r.n; ++k)
    if (counts(r.value[k])) items.push_back(r.index[k]);
  values.assign(items.size(),
                items.empty() ? 0.0f : static_cast<float>(1.0 / std::sqrt(double(items.size()))));
}

void RankingAutoencoderModel::fit(const TrainingData& data, FitContext& ctx) {
  const RatingMatrix& m = *data.ratings;
  const int32_t n_users = m.n_users(), n_items = m.n_items();
  // Each user's items (those that pass the threshold) and the users that have any.
  std::vector<int64_t> ptr(static_cast<size_t>(n_users) + 1, 0);
  std::vector<int32_t> items;
  items.reserve(m.nnz());
  std::vector<int32_t> order;
  for (int32_t u = 0; u < n_users; ++u) {
    SparseRow r = m.user(u);
    for (size_t k = 0; k < r.n; ++k)
      if (counts(r.value[k])) items.push_back(r.index[k]);
    ptr[static_cast<size_t>(u) + 1] = static_cast<int64_t>(items.size());
    if (ptr[static_cast<size_t>(u) + 1] > ptr[static_cast<size_t>(u)]) order.push_back(u);
  }
  if (order.empty())
    throw Error(ErrorKind::DataError, "no user has an item to learn from",
                opt_.has_threshold ? "No rating reaches option \"threshold\"; lower it."
                                   : "The training ratings are empty.");

  net_ = MultNet<float>(n_items, opt_.hidden, opt_.activation);
  net_.init(ctx.seed);
  const size_t n_params = net_.n_params(), n_weights = net_.n_weights();
  Adam<float> adam(n_params, opt_.learning_rate);
  AlignedVector<float> grad(n_params);
  ThreadPool pool(ctx.threads);
  MultWorkspace<float> ws;
  MultBatch batch;
  const size_t bs = std::min(static_cast<size_t>(opt_.batch_size), order.size());
  {
    // The largest batch: the bs users with the most items.
    std::vector<int64_t> counts(order.size());
    for (size_t k = 0; k < order.size(); ++k) counts[k] = ptr[order[k] + 1] - ptr[order[k]];
    std::nth_element(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(bs) - 1,
                     counts.end(), std::greater<int64_t>());
    const size_t most = static_cast<size_t>(
        std::accumulate(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(bs), int64_t{0}));
    for (auto* v : {&batch.in_item, &batch.target_item}) v->reserve(most);
    for (auto* v : {&batch.in_value, &batch.target_weight}) v->reserve(most);
    batch.in_ptr.reserve(bs + 1);
    batch.target_ptr.reserve(bs + 1);
  }

  std::mt19937_64 rng(ctx.seed ^ 0x9E3779B97F4A7C15ull);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double keep = 1.0 - opt_.dropout;
  const size_t adam_tasks = (n_params + kAdamRange - 1) / kAdamRange;
  float* x = net_.params().data();
  losses_.clear();
  size_t peak_ws = 0;
  for (int32_t epoch = 0; epoch < opt_.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    size_t n_batches = 0;
    for (size_t b0 = 0; b0 < order.size(); b0 += bs) {
      batch.clear();
      for (size_t j = b0; j < std::min(order.size(), b0 + bs); ++j) {
        const int32_t u = order[j];
        const int64_t ub = ptr[u], ue = ptr[u + 1];
        const double value = 1.0 / std::sqrt(static_cast<double>(ue - ub)) / keep;
        for (int64_t k = ub; k < ue; ++k) {
          if (opt_.dropout > 0 && uniform(rng) >= keep) continue;
          batch.in_item.push_back(items[k]);
          batch.in_value.push_back(static_cast<float>(value));
        }
        for (int64_t k = ub; k < ue; ++k) {
          batch.target_item.push_back(items[k]);
          batch.target_weight.push_back(1.0f);
        }
        batch.end_user();
      }
      loss_sum += net_.loss(batch, grad.data(), ws, pool);
      ++n_batches;
      peak_ws = std::max(peak_ws, ws.bytes());
      adam.begin_step();
      const float lambda = static_cast<float>(opt_.lambda);
      pool.run(adam_tasks, [&](size_t t, int) {
        const size_t b = t * kAdamRange, e = std::min(n_params, b + kAdamRange);
        for (size_t k = b; k < std::min(e, n_weights); ++k) grad[k] += lambda * x[k];
        adam.update(x, grad.data(), b, e);
      });
      ctx.check_interrupt();
    }
    losses_.push_back(loss_sum / static_cast<double>(n_batches));
    EpochStats s;
    s.epoch = epoch + 1;
    // No RMSE for a ranking model: the history records the mean multinomial loss per user.
    s.train_rmse = losses_.back();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ctx.epoch_done(s, opt_.epochs);
  }
  // What was held at the peak: the parameters, their gradient and Adam's two moments, the
  // batch and its workspace (plus the item counts of the input gradient's grouping), the
  // users' item lists.
  measured_bytes_ = 4 * n_params * sizeof(float) + peak_ws + batch.bytes() +
                    static_cast<size_t>(n_items) * sizeof(int64_t) +
                    ptr.capacity() * sizeof(int64_t) + items.capacity() * sizeof(int32_t) +
                    order.capacity() * sizeof(int32_t);
}

size_t RankingAutoencoderModel::estimated_training_bytes(int32_t n_users, int32_t n_items,
                                                         size_t nnz) const {
  const size_t users = static_cast<size_t>(n_users), n = static_cast<size_t>(n_items);
  const size_t params = MultNet<float>::count_params(n_items, opt_.hidden);
  const size_t bs = std::min(static_cast<size_t>(opt_.batch_size), users);
  size_t units = 0;  // hidden units of the encoder and the decoder
  for (int32_t h : opt_.hidden) units += 2 * static_cast<size_t>(h);
  units -= static_cast<size_t>(opt_.hidden.back());
  // Entries of the largest batch: at most every rating, at most bs full rows.
  const size_t batch_nnz = std::min(nnz, bs * n);
  const size_t weights = 4 * params * sizeof(float);  // params, gradient, Adam's m and v
  const size_t activations = (n + 3 * units) * bs * sizeof(float);  // logits; z, a, g
  const size_t batch = batch_nnz * 3 * (sizeof(int32_t) + sizeof(float)) +  // in, target, grouped
                       2 * (bs + 1) * sizeof(int64_t) + 2 * (n + 1) * sizeof(int64_t) +
                       (bs / 32 + 1) * sizeof(double);
  const size_t lists = nnz * sizeof(int32_t) + (users + 1) * sizeof(int64_t) +
                       users * sizeof(int32_t);
  return weights + activations + batch + lists;
}

MemoryEstimate RankingAutoencoderModel::estimated_memory(const TrainingSize& size) const {
  const size_t params = MultNet<float>::count_params(size.n_items, opt_.hidden);
  MemoryEstimate m;
  m.training = estimated_training_bytes(size.n_users, size.n_items, size.nnz);
  m.kept = params * sizeof(float);
  m.saved = m.kept;
  return m;
}

double RankingAutoencoderModel::predict(const UserProfile& user, int32_t item) const {
  std::vector<int32_t> items;
  std::vector<float> values;
  input_of(user.ratings, items, values);
  return net_.score_one(items.data(), values.data(), items.size(), item);
}

void RankingAutoencoderModel::score(const UserProfile& user, float* out) const {
  std::vector<int32_t> items;
  std::vector<float> values;
  input_of(user.ratings, items, values);
  net_.score(items.data(), values.data(), items.size(), out);
}

void RankingAutoencoderModel::save(Writer& w) const {
  w.put<uint32_t>(kPayloadVersion);
  w.put<int32_t>(net_.n_items());
  w.put_vector(net_.hidden());
  w.put<int32_t>(static_cast<int32_t>(net_.activation()));
  w.put<uint8_t>(opt_.has_threshold ? 1 : 0);
  w.put<double>(opt_.threshold);
  w.put_vector(std::vector<float>(net_.params().begin(), net_.params().end()));
}

void RankingAutoencoderModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint32_t>() != kPayloadVersion) Reader::corrupt("unknown ranking autoencoder version");
  const int32_t n_items = r.get<int32_t>();
  if (n_items != data.ratings->n_items()) Reader::corrupt("item count does not match");
  std::vector<int32_t> hidden = r.get_vector<int32_t>(kMaxEncoderLayers);
  if (hidden.empty()) Reader::corrupt("no hidden layer");
  for (int32_t h : hidden)
    if (h < 1 || h > kMaxUnits) Reader::corrupt("hidden layer size out of range");
  const int32_t act = r.get<int32_t>();
  if (act < 0 || static_cast<size_t>(act) >= activation_names().size())
    Reader::corrupt("unknown activation");
  const uint8_t has_threshold = r.get<uint8_t>();
  const double threshold = r.get<double>();
  if (has_threshold > 1 || !std::isfinite(threshold)) Reader::corrupt("threshold");
  std::vector<float> params =
      r.get_vector_exact<float>(MultNet<float>::count_params(n_items, hidden));
  opt_.hidden = hidden;
  opt_.activation = static_cast<Activation>(act);
  opt_.has_threshold = has_threshold == 1;
  opt_.threshold = threshold;
  net_ = MultNet<float>(n_items, hidden, opt_.activation);
  std::copy(params.begin(), params.end(), net_.params().begin());
}

}  // namespace autorec
