// AutoRec's options, serving (precomputed codes, fold-in of new users) and serialization.
#include "core/models/autorec/autorec.hpp"

#include "core/eigen.hpp"
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

#include "core/models/baseline.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

namespace autorec {

namespace {

// Version 2 added the dropout rate and pretrain_lambda; version 1 payloads load with dropout 0.
constexpr int32_t kPayloadVersion = 2;
constexpr int64_t kMaxLayer = 100000;
constexpr size_t kMaxLayers = 32;

// (Functions, not namespace-scope objects: no code of an instruction-set variant may run
// before the level is chosen, and a global constructor would, at load; see core/isa.hpp.)
const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> v = {"rprop", "lbfgs", "adam"};
  return v;
}

}  // namespace

AutoRecConfig AutoRecConfig::read(Options& o) {
  AutoRecConfig c;
  c.item_based = o.choice("variant", "item", {"item", "user"}) == "item";
  std::vector<int64_t> hidden = o.integer_list("hidden", {500}, 1, kMaxLayer);
  if (hidden.size() > kMaxLayers)
    throw Error(ErrorKind::InvalidParameter, "option \"hidden\" lists too many layers",
                "At most 32 hidden layers.");
  c.hidden.assign(hidden.begin(), hidden.end());
  c.encoder = activation_from_name(o.choice("encoder", "sigmoid", activation_names()));
  c.decoder = activation_from_name(o.choice("decoder", "identity", {"identity", "sigmoid"}));
  c.tied = o.boolean("tied_weights", false);
  if (c.tied)
    for (size_t l = 0; l < c.hidden.size(); ++l)
      if (c.hidden[l] != c.hidden[c.hidden.size() - 1 - l])
        throw Error(ErrorKind::InvalidParameter,
                    "option \"tied_weights\" needs a symmetric \"hidden\" list",
                    "For example [500] or [500, 250, 500].");
  c.pretrain = o.boolean("pretrain", false);
  c.residual = o.boolean("residual", c.decoder == Activation::Identity);
  if (c.residual && c.decoder != Activation::Identity)
    throw Error(ErrorKind::InvalidParameter,
                "option \"residual\" needs the identity decoder",
                "A sigmoid output cannot be shifted by a bias; use \"residual\": false.");
  c.validation_fraction = o.number("validation_fraction", 0.1, 0.0, 0.9);
  c.refit = o.boolean("refit", true);
  TrainSettings& t = c.train;
  const std::string opt = o.choice("optimizer", "lbfgs", optimizer_names());
  t.optimizer = static_cast<OptimizerKind>(
      std::find(optimizer_names().begin(), optimizer_names().end(), opt) -
      optimizer_names().begin());
  const OptimizerDefaults d = defaults_for(t.optimizer);
  // On the summed loss the penalty must match the data term's scale: 300 suits one hidden
  // layer on MovieLens' 1..5 stars; deeper networks collapse to their biases under it (every
  // dense layer is penalised too), so they default to a weaker one; a sigmoid decoder trains
  // on ratings mapped to [0, 1], 16 times smaller squared errors.
  double lambda = c.hidden.size() == 1 ? 300.0 : 10.0;
  if (c.decoder == Activation::Sigmoid) lambda /= 16;
  t.lambda = o.number("lambda", lambda, 0.0, 1e6);
  // The first pretraining stage is a one-layer AutoRec: that shape's default penalty.
  c.pretrain_lambda =
      o.number("pretrain_lambda", c.decoder == Activation::Sigmoid ? 300.0 / 16 : 300.0, 0.0, 1e6);
  t.learning_rate = o.number("learning_rate", d.learning_rate, 1e-12, 100.0);
  t.epochs = static_cast<int>(o.integer("epochs", d.epochs, 1, 100000));
  t.batch_size = static_cast<int>(o.integer("batch_size", 256, 1, 1 << 24));
  t.patience = static_cast<int>(o.integer("patience", d.patience, 1, 100000));
  t.denoising = o.number("denoising", 0.0, 0.0, 0.95);
  if (t.denoising > 0 && t.optimizer == OptimizerKind::Lbfgs)
    throw Error(ErrorKind::InvalidParameter,
                "option \"denoising\" needs a noise-tolerant optimizer",
                "L-BFGS's line search needs the same objective at every step: use "
                "\"optimizer\": \"rprop\" or \"adam\" with denoising.");
  t.dropout = o.number("dropout", 0.0, 0.0, 0.95);
  if (t.dropout > 0 && t.optimizer == OptimizerKind::Lbfgs)
    throw Error(ErrorKind::InvalidParameter, "option \"dropout\" needs a noise-tolerant optimizer",
                "L-BFGS's line search needs the same objective at every step: use "
                "\"optimizer\": \"adam\" (or \"rprop\") with dropout.");
  return c;
}

void AutoRecConfig::save(Writer& w) const {
  w.put<uint8_t>(item_based ? 1 : 0);
  w.put_vector(hidden);
  w.put<int32_t>(static_cast<int32_t>(encoder));
  w.put<int32_t>(static_cast<int32_t>(decoder));
  w.put<uint8_t>(tied ? 1 : 0);
  w.put<uint8_t>(pretrain ? 1 : 0);
  w.put<uint8_t>(residual ? 1 : 0);
  w.put<uint8_t>(refit ? 1 : 0);
  w.put<double>(validation_fraction);
  w.put<int32_t>(static_cast<int32_t>(train.optimizer));
  w.put<double>(train.learning_rate);
  w.put<int32_t>(train.epochs);
  w.put<int32_t>(train.batch_size);
  w.put<double>(train.lambda);
  w.put<int32_t>(train.patience);
  w.put<double>(train.denoising);
  w.put<double>(train.dropout);
  w.put<double>(pretrain_lambda);
}

void AutoRecConfig::load(Reader& r, int32_t version) {
  auto flag = [&r] {
    const uint8_t v = r.get<uint8_t>();
    if (v > 1) Reader::corrupt("autorec flag");
    return v == 1;
  };
  auto enum_in = [&r](int32_t hi) {
    const int32_t v = r.get<int32_t>();
    if (v < 0 || v > hi) Reader::corrupt("autorec enumeration");
    return v;
  };
  auto finite = [&r](double lo, double hi) {
    const double v = r.get<double>();
    if (!(v >= lo && v <= hi)) Reader::corrupt("autorec setting out of range");
    return v;
  };
  item_based = flag();
  hidden = r.get_vector<int32_t>(kMaxLayers);
  if (hidden.empty()) Reader::corrupt("autorec without hidden layers");
  for (int32_t h : hidden)
    if (h < 1 || h > kMaxLayer) Reader::corrupt("autorec layer size");
  encoder = static_cast<Activation>(enum_in(static_cast<int32_t>(Activation::Selu)));
  decoder = static_cast<Activation>(enum_in(static_cast<int32_t>(Activation::Sigmoid)));
  tied = flag();
  pretrain = flag();
  residual = flag();
  refit = flag();
  if (residual && decoder != Activation::Identity) Reader::corrupt("autorec residual decoder");
  validation_fraction = finite(0, 0.9);
  train.optimizer = static_cast<OptimizerKind>(enum_in(2));
  train.learning_rate = finite(0, 100);
  train.epochs = r.get<int32_t>();
  train.batch_size = r.get<int32_t>();
  train.lambda = finite(0, 1e6);
  train.patience = r.get<int32_t>();
  train.denoising = finite(0, 0.95);
  train.dropout = version >= 2 ? finite(0, 0.95) : 0.0;
  // Version 1 pretrained its first stage with the training penalty.
  pretrain_lambda = version >= 2 ? finite(0, 1e6) : train.lambda;
  if (train.dropout > 0 && train.optimizer == OptimizerKind::Lbfgs)
    Reader::corrupt("autorec dropout with L-BFGS");
  if (train.epochs < 1 || train.batch_size < 1 || train.patience < 1)
    Reader::corrupt("autorec training setting");
}

void AutoRecModel::set_transform(const RatingMatrix& m) {
  const double lo = m.min_rating(), hi = m.max_rating();
  // Inputs are ratings shifted so the lowest is 1: raw MovieLens stars, as in the paper, and
  // never 0, which stands for "not rated".
  input_shift_ = static_cast<float>(lo - 1.0);
  if (config_.decoder == Activation::Sigmoid) {
    offset_ = lo;
    scale_ = hi > lo ? hi - lo : 1.0;
  } else {
    offset_ = 0;
    scale_ = 1;
  }
}

void AutoRecModel::prepare_serving(ThreadPool& pool) {
  const RatingMatrix& m = *ratings_;
  SparseExamples all = SparseExamples::from(m, config_.item_based);
  std::vector<float> input(all.nnz());
  for (size_t p = 0; p < input.size(); ++p) input[p] = input_value(all.value[p]);
  std::vector<int32_t> order(static_cast<size_t>(all.n_examples));
  for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int32_t>(j);
  Batch batch;
  batch.build(all, order.data(), order.size());
  NetWorkspace<float> ws;
  net_.forward(all, input.data(), batch, ws, pool);
  codes_ = std::move(ws.a.back());
  example_known_.assign(static_cast<size_t>(all.n_examples), 0);
  for (int32_t e = 0; e < all.n_examples; ++e) example_known_[e] = all.ptr[e + 1] > all.ptr[e];
  // The average decoder row over the features that were trained: the fold-in prior.
  const int32_t hk = net_.code_size();
  mean_row_.setZero(hk);
  mean_bias_ = 0;
  double n = 0;
  for (int32_t f = 0; f < all.n_features; ++f) {
    if (!feature_trained_[f]) continue;
    mean_row_ += Eigen::Map<const Eigen::VectorXf>(net_.decoder_row(f), hk);
    mean_bias_ += net_.decoder_bias(f);
    n += 1;
  }
  if (n > 0) {
    mean_row_ /= static_cast<float>(n);
    mean_bias_ /= static_cast<float>(n);
  }
}

void AutoRecModel::fold_in(const SparseRow& r, Eigen::VectorXf& w, float& b) const {
  const int32_t hk = net_.code_size();
  const bool sigmoid = config_.decoder == Activation::Sigmoid;
  std::vector<int32_t> items;
  std::vector<double> t;
  for (size_t k = 0; k < r.n; ++k) {
    if (!example_known_[r.index[k]]) continue;  // an item without ratings has no real code
    items.push_back(r.index[k]);
    const double off = config_.residual ? baseline_->item[r.index[k]] : 0.0;
    t.push_back((static_cast<double>(r.value[k]) - off - offset_) / scale_);
  }
  w = mean_row_;
  b = mean_bias_;
  const auto n = static_cast<Eigen::Index>(items.size());
  if (n == 0) return;
  // Features [code, 1]; the unknowns `delta` are the offsets from the average row and bias.
  Eigen::MatrixXd X(n, hk + 1);
  Eigen::VectorXd base(n), y(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    X.row(k).head(hk) = codes_.col(items[k]).cast<double>().transpose();
    X(k, hk) = 1.0;
    base(k) = static_cast<double>(codes_.col(items[k]).dot(mean_row_) + mean_bias_);
    y(k) = t[k];
  }
  const double ridge = std::max(0.5 * config_.train.lambda, 1e-3);
  // (A'A + ridge I)^-1 v; with fewer ratings than unknowns through the n x n dual system.
  auto ridge_solve = [&](const Eigen::MatrixXd& A, const Eigen::VectorXd& v) -> Eigen::VectorXd {
    if (A.rows() <= A.cols()) {
      Eigen::MatrixXd K = A * A.transpose();
      K.diagonal().array() += ridge;
      return (v - A.transpose() * K.ldlt().solve(A * v)) / ridge;
    }
    Eigen::MatrixXd M = A.transpose() * A;
    M.diagonal().array() += ridge;
    return M.ldlt().solve(v);
  };
  Eigen::VectorXd delta;
  if (!sigmoid) {
    delta = ridge_solve(X, X.transpose() * (y - base));
  } else {
    // Start from the fit on logits, then Gauss-Newton steps on the actual squared error.
    Eigen::VectorXd logit = y.array().max(0.02).min(0.98);
    logit = (logit.array() / (1 - logit.array())).log();
    delta = ridge_solve(X, X.transpose() * (logit - base));
    for (int it = 0; it < 6; ++it) {
      Eigen::VectorXd z = base + X * delta;
      Eigen::ArrayXd out = 0.5 * ((0.5 * z.array()).tanh() + 1);
      Eigen::ArrayXd slope = out * (1 - out);
      Eigen::MatrixXd A = slope.matrix().asDiagonal() * X;
      Eigen::VectorXd v = A.transpose() * (out - y.array()).matrix() + ridge * delta;
      delta -= ridge_solve(A, v);
    }
  }
  w += delta.head(hk).cast<float>();
  b += static_cast<float>(delta(hk));
}

void AutoRecModel::encode(const SparseRow& r, Eigen::VectorXf& code) const {
  std::vector<float> input(r.n);
  for (size_t k = 0; k < r.n; ++k) input[k] = input_value(r.value[k]);
  code.resize(net_.code_size());
  net_.encode(r.index, input.data(), r.n, code.data());
}

namespace {

double baseline_for(const Biases& b, const UserProfile& user, int32_t item) {
  const double bu = user.index >= 0 ? b.user[user.index] : b.fold_in_user(user.ratings);
  return b.mean + bu + b.item[item];
}

}  // namespace

double AutoRecModel::example_offset(const UserProfile& user, int32_t item) const {
  if (!config_.residual) return 0;
  if (config_.item_based) return baseline_->item[item];
  return user.index >= 0 ? baseline_->user[user.index] : baseline_->fold_in_user(user.ratings);
}

double AutoRecModel::predict(const UserProfile& user, int32_t item) const {
  const int32_t hk = net_.code_size();
  if (config_.item_based) {
    if (!example_known_[item]) return baseline_for(*baseline_, user, item);
    const double off = example_offset(user, item);
    if (user.index >= 0 && feature_trained_[user.index])
      return off + to_rating(net_.output(codes_.col(item).data(), user.index));
    if (user.ratings.n == 0) return baseline_for(*baseline_, user, item);
    Eigen::VectorXf w;
    float b;
    fold_in(user.ratings, w, b);
    return off + to_rating(codes_.col(item).dot(w) + b);
  }
  if (!feature_trained_[item] || user.ratings.n == 0) return baseline_for(*baseline_, user, item);
  const double off = example_offset(user, item);
  if (user.index >= 0) return off + to_rating(net_.output(codes_.col(user.index).data(), item));
  Eigen::VectorXf code(hk);
  encode(user.ratings, code);
  return off + to_rating(net_.output(code.data(), item));
}

void AutoRecModel::score(const UserProfile& user, float* out) const {
  const int32_t n_items = ratings_->n_items();
  const int32_t hk = net_.code_size();
  Eigen::Map<Eigen::VectorXf> s(out, n_items);
  if (user.ratings.n == 0) {
    for (int32_t i = 0; i < n_items; ++i)
      out[i] = static_cast<float>(baseline_for(*baseline_, user, i));
    return;
  }
  const std::vector<uint8_t>* served;  // per item: the network can score it
  if (config_.item_based) {
    Eigen::VectorXf folded;
    float b;
    const float* w;
    if (user.index >= 0 && feature_trained_[user.index]) {
      w = net_.decoder_row(user.index);
      b = net_.decoder_bias(user.index);
    } else {
      fold_in(user.ratings, folded, b);
      w = folded.data();
    }
    s.noalias() = codes_.transpose() * Eigen::Map<const Eigen::VectorXf>(w, hk);
    s.array() += b;
    served = &example_known_;
  } else {
    Eigen::VectorXf own;
    const float* code;
    if (user.index >= 0) {
      code = codes_.col(user.index).data();
    } else {
      encode(user.ratings, own);
      code = own.data();
    }
    Eigen::Map<const Eigen::MatrixXf> Wo(net_.decoder_row(0), hk, n_items);
    s.noalias() = Wo.transpose() * Eigen::Map<const Eigen::VectorXf>(code, hk);
    s += Eigen::Map<const Eigen::VectorXf>(&net_.params()[net_.layer(net_.depth()).b], n_items);
    served = &feature_trained_;
  }
  if (config_.decoder == Activation::Sigmoid) {
    activate(Activation::Sigmoid, out, out, static_cast<size_t>(n_items));
    s.array() = static_cast<float>(offset_) + static_cast<float>(scale_) * s.array();
  }
  if (config_.residual) {
    if (config_.item_based)
      s += Eigen::Map<const Eigen::VectorXf>(baseline_->item.data(), n_items);
    else
      s.array() += static_cast<float>(example_offset(user, 0));
  }
  for (int32_t i = 0; i < n_items; ++i)
    if (!(*served)[i]) out[i] = static_cast<float>(baseline_for(*baseline_, user, i));
}

void AutoRecModel::save(Writer& w) const {
  w.put<int32_t>(kPayloadVersion);
  config_.save(w);
  w.put<float>(input_shift_);
  w.put<double>(offset_);
  w.put<double>(scale_);
  w.put<int32_t>(net_.shape().n_features);
  w.put<int32_t>(result_.epochs_run);
  w.put<int32_t>(result_.best_epoch);
  w.put<double>(result_.best_validation_rmse);
  w.put<double>(result_.train_rmse);
  w.put_vector(std::vector<float>(net_.params().begin(), net_.params().end()));
  w.put_vector(feature_trained_);
}

void AutoRecModel::load(Reader& r, const TrainingData& data) {
  ratings_ = data.ratings;
  baseline_ = data.baseline;
  const int32_t version = r.get<int32_t>();
  if (version < 1 || version > kPayloadVersion) Reader::corrupt("unknown autorec payload version");
  config_.load(r, version);
  input_shift_ = r.get<float>();
  offset_ = r.get<double>();
  scale_ = r.get<double>();
  if (!std::isfinite(input_shift_) || !std::isfinite(offset_) || !(scale_ > 0) ||
      !std::isfinite(scale_))
    Reader::corrupt("autorec rating transform");
  const int32_t n_features = r.get<int32_t>();
  if (n_features != (config_.item_based ? ratings_->n_users() : ratings_->n_items()))
    Reader::corrupt("autorec dimensions do not match the ratings");
  result_.epochs_run = r.get<int32_t>();
  result_.best_epoch = r.get<int32_t>();
  result_.best_validation_rmse = r.get<double>();
  result_.train_rmse = r.get<double>();
  NetShape shape{n_features, config_.hidden, config_.encoder, config_.decoder, config_.tied};
  // Size the network from the header before allocating it, so a corrupted layer size cannot
  // ask for gigabytes.
  if (static_cast<double>(AutoRecNet<float>::count_params(shape)) >
      static_cast<double>(r.remaining()) / sizeof(float))
    Reader::corrupt("autorec weights are shorter than the layer sizes imply");
  try {
    net_ = AutoRecNet<float>(shape);
  } catch (const Error&) {
    Reader::corrupt("autorec layer shapes");
  }
  std::vector<float> p = r.get_vector_exact<float>(net_.n_params());
  for (float v : p)
    if (!std::isfinite(v)) Reader::corrupt("autorec weight is not finite");
  net_.params().assign(p.begin(), p.end());
  feature_trained_ = r.get_vector_exact<uint8_t>(static_cast<uint64_t>(n_features));
  for (uint8_t v : feature_trained_)
    if (v > 1) Reader::corrupt("autorec feature flag");
  ThreadPool pool(0);
  prepare_serving(pool);
}

}  // namespace autorec
