// Fitting AutoRec: the validation split, the training problem in network units, greedy
// layer-wise pretraining of deep networks, then training with early stopping.
#include <algorithm>
#include <cmath>

#include "core/models/autorec/autorec.hpp"
#include "core/models/baseline.hpp"
#include "core/parallel.hpp"

namespace autorec {

namespace {

constexpr double kMaxModelBytes = 1e9;  // what one bytea can hold, with room for the rest
// Penalty of the dense pretraining stages (chosen on ML-1M validation RMSE: 0.1 against the
// training penalty 30, 5 seeds; see the deep recipe in README).
constexpr double kDenseStageLambda = 0.1;

// Input-layer weights start with this standard deviation, so that an example with an average
// number of average-sized inputs starts with unit-variance pre-activations.
double input_std(const SparseExamples& d, const std::vector<float>& input) {
  double sq = 0;
  for (float x : input) sq += static_cast<double>(x) * x;
  const double nnz = std::max<double>(1.0, static_cast<double>(input.size()));
  int64_t nonempty = 0;
  for (int32_t e = 0; e < d.n_examples; ++e) nonempty += d.ptr[e + 1] > d.ptr[e];
  const double per_example = nnz / static_cast<double>(std::max<int64_t>(1, nonempty));
  return 1.0 / std::sqrt(std::max(1e-12, per_example * sq / nnz));
}

double initial_output_bias(const std::vector<float>& target, Activation decoder) {
  double mean = 0;
  for (float t : target) mean += t;
  mean /= std::max<double>(1.0, static_cast<double>(target.size()));
  if (decoder == Activation::Sigmoid) {
    mean = std::min(0.99, std::max(0.01, mean));
    return std::log(mean / (1 - mean));
  }
  return mean;
}

}  // namespace

namespace {

// Bytes of the optimiser state next to the weights and their gradient, in weight vectors:
// L-BFGS keeps 5 curvature pairs and 2 spare ones, a direction, a trial point and its gradient
// and the iterate (16); Adam its two moments, RProp its steps and last signs.
double optimizer_vectors(OptimizerKind k) {
  return k == OptimizerKind::Lbfgs ? 16 : 2;
}

// Peak bytes of one train_network() on a network of `params` weights and hidden `sizes` over
// `n_examples` examples and `nnz` entries: weights, gradient, best weights, optimiser state;
// the workspace (pre-activation, activation and derivative of every hidden layer for all
// examples, the dropout mask and masked activations, one dense layer's gradient, a delta per
// entry); the full batch's and a mini-batch's entry lists, and a corrupted input copy.
double training_pass_bytes(double params, const std::vector<int32_t>& sizes, double n_examples,
                           double nnz, const TrainSettings& s, bool validate) {
  double units = 0, widest = 0, dense = 0;
  for (size_t l = 0; l < sizes.size(); ++l) {
    units += sizes[l];
    widest = std::max<double>(widest, sizes[l]);
    if (l > 0) dense = std::max(dense, static_cast<double>(sizes[l]) * sizes[l - 1]);
  }
  const double state = 4 * params * (2 + (validate ? 1 : 0) + optimizer_vectors(s.optimizer));
  const double ws = 4 * n_examples * (3 * units + (s.dropout > 0 ? 2 * widest : 0)) + 4 * dense +
                    4 * nnz;
  const double batches = 12 * nnz * (s.optimizer == OptimizerKind::Adam ? 2 : 1);
  return state + ws + batches + (s.denoising > 0 ? 4 * nnz : 0);
}

}  // namespace

MemoryEstimate AutoRecModel::estimated_memory(const TrainingSize& size) const {
  const bool items = config_.item_based;
  const double n_features = items ? size.n_users : size.n_items;
  const double n_examples = items ? size.n_items : size.n_users;
  const double nnz = static_cast<double>(size.nnz);
  const std::vector<int32_t>& h = config_.hidden;
  NetShape shape{static_cast<int32_t>(n_features), h, config_.encoder, config_.decoder,
                 config_.tied};
  const double params = static_cast<double>(AutoRecNet<float>::count_params(shape));
  const bool validate = config_.validation_fraction > 0;
  MemoryEstimate m;
  m.saved = static_cast<size_t>(4 * params + n_features);
  // Kept: the weights, the code of every example, which features and examples were trained.
  m.kept = static_cast<size_t>(4 * params + 4 * n_examples * h.back() + n_features + n_examples);
  // The data: the validation split, the examples with their inputs and targets (per entry a
  // feature, a value, an input and a target), the validation entries; the refit's copy of all
  // of it on all ratings exists at the same time.
  const double data = static_cast<double>(validation_split_bytes(
                          size.nnz, size.n_users, size.n_items, config_.validation_fraction)) +
                      16 * nnz + 8 * n_examples + (validate && config_.refit ? 16 * nnz : 0);
  TrainSettings s = config_.train;
  double peak = training_pass_bytes(params, h, n_examples, nnz, s, validate);
  if (config_.pretrain && h.size() > 1) {
    // Stage 1: a one-layer network trained by L-BFGS, the full network's weights alive.
    NetShape first{shape.n_features, {h[0]}, config_.encoder, config_.decoder, config_.tied};
    TrainSettings s1 = s;
    s1.optimizer = OptimizerKind::Lbfgs;
    s1.dropout = s1.denoising = 0;
    const double p1 = static_cast<double>(AutoRecNet<float>::count_params(first));
    peak = std::max(peak, 4 * params + training_pass_bytes(p1, {h[0]}, n_examples, nnz, s1,
                                                           validate));
    // Dense stages: the codes below as a dense data set (32 bytes per value with inputs,
    // targets, entry lists and deltas) next to the full network's forward workspace.
    double units = 0;
    for (int32_t u : h) units += u;
    const int k = static_cast<int>(h.size());
    for (int l = 1; l < k - l; ++l) {
      const double values = n_examples * h[static_cast<size_t>(l - 1)];
      NetShape stage{h[static_cast<size_t>(l - 1)], {h[static_cast<size_t>(l)]}, config_.encoder,
                     config_.encoder, config_.tied};
      s1 = s;
      s1.dropout = s1.denoising = 0;
      const double pl = static_cast<double>(AutoRecNet<float>::count_params(stage));
      peak = std::max(peak, 4 * params + 12 * n_examples * units + 32 * values +
                                training_pass_bytes(pl, {h[static_cast<size_t>(l)]}, n_examples,
                                                    values, s1, validate));
    }
  }
  // The weights are in `peak` already; the codes and flags are not.
  m.training = static_cast<size_t>(data + peak + static_cast<double>(m.kept) - 4 * params);
  return m;
}

TrainProblem AutoRecModel::make_problem(const SparseExamples& examples,
                                        const std::vector<Triple>& validation,
                                        const RatingMatrix& full) const {
  const bool items = config_.item_based;
  TrainProblem p;
  p.data = &examples;
  p.input.resize(examples.nnz());
  p.target.resize(examples.nnz());
  for (size_t q = 0; q < examples.nnz(); ++q) {
    p.input[q] = input_value(examples.value[q]);
    p.target[q] = static_cast<float>((examples.value[q] - offset_) / scale_);
  }
  if (config_.residual) {
    // The decoder learns what the example's baseline bias leaves (see autorec.hpp).
    p.example_offset = items ? baseline_->item : baseline_->user;
    for (int32_t e = 0; e < examples.n_examples; ++e)
      for (int64_t q = examples.ptr[e]; q < examples.ptr[e + 1]; ++q)
        p.target[q] -= p.example_offset[e];
  }
  for (const Triple& t : validation) {
    p.val_example.push_back(items ? t.item : t.user);
    p.val_feature.push_back(items ? t.user : t.item);
    p.val_rating.push_back(t.rating);
  }
  p.offset = offset_;
  p.scale = scale_;
  p.lo = full.min_rating();
  p.hi = full.max_rating();
  return p;
}

void AutoRecModel::fit(const TrainingData& data, FitContext& ctx) {
  ratings_ = data.ratings;
  baseline_ = data.baseline;
  const RatingMatrix& full = *ratings_;
  set_transform(full);
  const bool items = config_.item_based;
  NetShape shape{items ? full.n_users() : full.n_items(), config_.hidden, config_.encoder,
                 config_.decoder, config_.tied};
  double n_params = 0;
  for (size_t l = 0; l <= shape.hidden.size(); ++l) {
    const double in = l == 0 ? shape.n_features : shape.hidden[l - 1];
    const double out = l == shape.hidden.size() ? shape.n_features : shape.hidden[l];
    n_params += in * out + out;
  }
  if (n_params * sizeof(float) > kMaxModelBytes)
    throw Error(ErrorKind::ResourceLimit,
                "autorec model would need " + std::to_string(static_cast<long long>(
                                                  n_params * sizeof(float) / 1e6)) +
                    " MB of weights, more than a model can hold",
                "Use smaller \"hidden\" layers, or the variant whose input dimension is "
                "smaller (\"variant\": \"item\" has one input per user).");
  net_ = AutoRecNet<float>(shape);

  ValidationSplit split;
  const RatingMatrix* train = &training_part(full, config_.validation_fraction, ctx.seed, split);
  SparseExamples examples = SparseExamples::from(*train, items);
  TrainProblem p = make_problem(examples, split.validation, full);
  feature_trained_.assign(static_cast<size_t>(examples.n_features), 0);
  for (int32_t f : examples.feature) feature_trained_[f] = 1;

  net_.init(ctx.seed, input_std(examples, p.input), initial_output_bias(p.target, config_.decoder));
  ThreadPool pool(ctx.threads);
  if (config_.pretrain && net_.depth() > 1) pretrain(p, ctx, pool);
  TrainSettings s = config_.train;
  s.seed = ctx.seed;
  result_ = train_network(net_, p, s, ctx, pool, true);
  if (config_.refit && !p.val_rating.empty() && result_.best_epoch > 0) {
    SparseExamples all = SparseExamples::from(full, items);
    TrainProblem q = make_problem(all, {}, full);
    // Continuing from the selected weights for 30% of their epochs matches a full retraining
    // from the initial weights on MovieLens at a third of the cost (see autorec.hpp).
    s.epochs = std::max(1, (3 * result_.best_epoch + 9) / 10);
    train_network(net_, q, s, ctx, pool, false, "refit on all ratings");
    std::fill(feature_trained_.begin(), feature_trained_.end(), 0);
    for (int32_t f : all.feature) feature_trained_[f] = 1;
  }
  prepare_serving(pool);
}

// Greedy layer-wise pretraining (as for stacked autoencoders): first a one-layer AutoRec on the
// ratings gives the input layer (and the output layer when the last hidden layer has the same
// size); then for each further encoder layer l, a dense autoencoder on the codes of layer l - 1
// gives layer l and, when the shape is symmetric, its mirror layer depth - l. The first stage is
// trained as the one-layer AutoRec is by default (L-BFGS, penalty `pretrain_lambda`, by default
// the one-layer model's 300, early stopping on the validation ratings): a deep model's own,
// weaker penalty (10) leaves that layer overfitted, which fine-tuning does not undo. The dense
// stages use the training optimizer for at most 50 epochs with a light penalty of their own
// (kDenseStageLambda): they reconstruct hidden codes, not ratings, and the rating-scale penalty
// over-regularises them.
void AutoRecModel::pretrain(const TrainProblem& p, FitContext& ctx, ThreadPool& pool) {
  using MatMap = Eigen::Map<Eigen::MatrixXf>;
  using ConstMatMap = Eigen::Map<const Eigen::MatrixXf>;
  const std::vector<int32_t>& h = config_.hidden;
  const int k = net_.depth();
  AlignedVector<float>& dst = net_.params();
  const int32_t m = net_.shape().n_features;
  TrainSettings s = config_.train;
  s.seed = ctx.seed + 1;
  s.dropout = 0;  // the stages do not have the full network's middle layer

  // Stage 1: the sparse input layer.
  {
    NetShape shape{m, {h[0]}, config_.encoder, config_.decoder, config_.tied};
    AutoRecNet<float> sub(shape);
    sub.init(s.seed, input_std(*p.data, p.input), initial_output_bias(p.target, config_.decoder));
    TrainSettings s1 = s;
    s1.optimizer = OptimizerKind::Lbfgs;
    const OptimizerDefaults d = defaults_for(OptimizerKind::Lbfgs);
    s1.learning_rate = d.learning_rate;
    s1.epochs = d.epochs;
    s1.patience = d.patience;
    s1.lambda = config_.pretrain_lambda;
    s1.denoising = 0;  // L-BFGS needs a fixed objective
    train_network(sub, p, s1, ctx, pool, false, "pretraining layer 1");
    const auto& src = sub.params();
    auto copy = [&](size_t from, size_t to, size_t n) {
      std::copy(src.begin() + static_cast<std::ptrdiff_t>(from),
                src.begin() + static_cast<std::ptrdiff_t>(from + n),
                dst.begin() + static_cast<std::ptrdiff_t>(to));
    };
    const size_t w0 = static_cast<size_t>(h[0]) * static_cast<size_t>(m);
    copy(sub.layer(0).w, net_.layer(0).w, w0);
    copy(sub.layer(0).b, net_.layer(0).b, static_cast<size_t>(h[0]));
    if (h[k - 1] == h[0]) {
      if (net_.layer(k).owner == k) copy(sub.layer(1).w, net_.layer(k).w, w0);
      copy(sub.layer(1).b, net_.layer(k).b, static_cast<size_t>(m));
    }
  }

  // Dense stages, on the codes of the layers trained so far.
  std::vector<int32_t> order(static_cast<size_t>(p.data->n_examples));
  for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int32_t>(j);
  Batch all;
  all.build(*p.data, order.data(), order.size());
  for (int l = 1; l < k - l; ++l) {
    ctx.check_interrupt();
    NetWorkspace<float> ws;
    ws.ctx = &ctx;
    net_.forward(*p.data, p.input.data(), all, ws, pool);
    const Eigen::MatrixXf& codes = ws.a[l - 1];  // h[l-1] x n_examples
    const int32_t in = h[l - 1], out = h[l];
    SparseExamples dense;
    dense.n_examples = p.data->n_examples;
    dense.n_features = in;
    dense.ptr.resize(static_cast<size_t>(dense.n_examples) + 1);
    dense.feature.resize(static_cast<size_t>(codes.size()));
    dense.value.assign(codes.data(), codes.data() + codes.size());
    for (int32_t e = 0; e <= dense.n_examples; ++e) dense.ptr[e] = static_cast<int64_t>(e) * in;
    for (size_t q = 0; q < dense.feature.size(); ++q)
      dense.feature[q] = static_cast<int32_t>(q % static_cast<size_t>(in));
    TrainProblem sp;
    sp.data = &dense;
    sp.input = dense.value;
    sp.target = dense.value;
    NetShape shape{in, {out}, config_.encoder, config_.encoder, config_.tied};
    AutoRecNet<float> sub(shape);
    sub.init(s.seed + static_cast<uint64_t>(l), input_std(dense, sp.input),
             initial_output_bias(sp.target, Activation::Identity));
    TrainSettings ds = s;
    ds.epochs = std::min(s.epochs, 50);
    ds.denoising = 0;
    ds.lambda = kDenseStageLambda;
    train_network(sub, sp, ds, ctx, pool, false, "pretraining layer " + std::to_string(l + 1));
    // The sub-network's input layer (out x in, a column per input unit) is layer l; its output
    // layer, stored the same way, is the transpose of the mirror layer k - l.
    const auto& src = sub.params();
    const AutoRecNet<float>::Layer& L = net_.layer(l);
    MatMap(dst.data() + L.w, out, in) = ConstMatMap(src.data() + sub.layer(0).w, out, in);
    std::copy_n(src.data() + sub.layer(0).b, out, dst.data() + L.b);
    if (h[k - l - 1] == out && h[k - l] == in) {
      const AutoRecNet<float>::Layer& M = net_.layer(k - l);
      if (M.owner == k - l)
        MatMap(dst.data() + M.w, in, out) =
            ConstMatMap(src.data() + sub.layer(1).w, out, in).transpose();
      std::copy_n(src.data() + sub.layer(1).b, in, dst.data() + M.b);
    }
  }
}

}  // namespace autorec
