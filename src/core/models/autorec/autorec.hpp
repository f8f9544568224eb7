// AutoRec (Sedhain, Menon, Sanner, Xie, WWW 2015): an autoencoder over the rating vectors of
// items (I-AutoRec) or users (U-AutoRec), trained only on observed ratings.
//
//   h(r) = f(W g(V r + mu) + b),  loss = sum over observed (h(r) - r)^2 + lambda/2 (|W|^2 + |V|^2)
//
// Options (algorithm 'autorec'):
//   variant         'item' (default; I-AutoRec: one input vector per item, over users) or 'user'
//   hidden          hidden layer sizes, default [500]; [500, 250, 500] is the paper's deep model
//   encoder         activation of every hidden layer: sigmoid (default), identity, relu, tanh,
//                   elu, selu
//   decoder         output activation: identity (default) or sigmoid (ratings are then mapped
//                   linearly onto (0, 1) for training)
//   lambda          L2 strength on the summed loss, >= 0. Default 300 with one hidden layer, 10
//                   with more (a deep network under 300 collapses to its biases, every dense
//                   layer being penalised too), divided by 16 with the sigmoid decoder (squared
//                   errors on [0, 1] instead of 1..5 stars). The paper's "lambda around 1" does
//                   not transfer: with the summed loss on MovieLens it barely regularises, and
//                   the model overfits within 20 epochs (tuned on the validation part of the
//                   ML-100K folds: 100 -> 0.915, 300 -> 0.906, 1000 -> 0.97 on u1 without
//                   refit).
//   optimizer       lbfgs (default; full batch, 5 curvature pairs: memory 19 x the weights),
//                   rprop (the paper's; iRprop-, full batch) or adam (mini-batches). All three
//                   reach about the same RMSE on ML-100K (0.890 / 0.890 / 0.892); L-BFGS needs
//                   the fewest passes.
//   learning_rate   adam: step size (default 0.001); rprop: initial per-weight step (0.01);
//                   lbfgs: length of the first step (1)
//   epochs          maximum epochs, i.e. full-batch iterations for rprop / lbfgs (default 500;
//                   adam 200); early stopping normally ends training well before
//   batch_size      adam: examples (items or users) per mini-batch (default 256)
//   validation_fraction  share of the training ratings held out to select the epoch (default
//                   0.1; early stopping on validation RMSE, the best weights are kept); 0 trains
//                   for `epochs` without validation
//   patience        epochs without a better validation RMSE before stopping (default 20; adam 10)
//   tied_weights    decoder weights are the encoder's, transposed (needs a symmetric `hidden`;
//                   a middle layer that would be tied to itself stays free)
//   denoising       input dropout rate in [0, 0.95): inputs are dropped and rescaled, targets
//                   stay clean (rprop or adam; L-BFGS needs a fixed objective)
//   dropout         dropout rate in [0, 0.95] of the middle hidden layer's units during training
//                   (Kuchaiev & Ginsburg 2017 drop the code of their deep autoencoder): the
//                   layer (depth - 1) / 2, i.e. the 250-unit bottleneck of [500, 250, 500], the
//                   only hidden layer of a shallow model, the encoder's last layer for an even
//                   depth. Inverted dropout (kept units scaled by 1 / (1 - rate)) with a new mask
//                   per epoch, drawn per example from the seed; validation, serving and fold-in
//                   use the network without it. 0 (default) = off. Like denoising it
//                   needs adam or rprop; pretraining stages run without it.
//   pretrain        greedy layer-wise pretraining of deep models (one shallow autoencoder per
//                   encoder layer, on the codes of the layer below), then fine-tuning. The first
//                   stage, a one-layer AutoRec on the ratings, is trained like the default
//                   one-layer model: L-BFGS with penalty `pretrain_lambda` (default 300, /16
//                   with the sigmoid decoder), early stopping on validation; the dense stages
//                   (autoencoders of hidden codes) use the training optimizer with penalty 0.1.
//                   Deep recipe (chosen on validation RMSE, ML-100K and ML-1M): "pretrain": true,
//                   "optimizer": "adam", "dropout": 0.8, "lambda": 30
//   pretrain_lambda penalty of that first stage (>= 0)
//   residual        true (default with the identity decoder): the output for (example, feature)
//                   is the example's baseline bias (item bias b_i for I-AutoRec, user bias b_u
//                   for U-AutoRec) plus the network's output. The bias is a fixed linear
//                   function of the same rating vector (a skip connection); without it the
//                   L2-penalised decoder must spend weight on every item's mean, and on
//                   MovieLens it costs about 0.02 RMSE. Not available with the sigmoid decoder.
//   refit           true (default): once validation has chosen the epoch, training continues
//                   from the selected weights on all training ratings (the validation ones
//                   included) for 30% of that many epochs, so that the held-out tenth is not
//                   lost to the final model. About 0.01 RMSE on ML-100K; as good as retraining
//                   from scratch on all ratings for the selected epochs (tested), at a third of
//                   its cost. The history keeps the selection run.
//   seed            (common option) initial weights, validation split, mini-batch order, noise
//
// Training cost. An epoch costs O(observed ratings x hidden units) for the sparse input layer
// and the output layer, which is evaluated only at observed entries (plus hidden x hidden x
// examples for the dense layers of a deep model), never O(users x items x hidden). Work is
// split over the ThreadPool by examples (input layer, delta into the code) and by features
// (output layer and the weight gradients of both sparse layers), so every gradient column has
// a single writer: no per-thread gradient copies, and results do not depend on the thread
// count. The dense computation of the same epoch is AutoRecNet::dense_loss (the benchmark's
// baseline).
//
// Serving. I-AutoRec keeps the code (last hidden layer) of every item, computed from all its
// training ratings, so a known user's scores are one matrix-vector product of the item codes
// with the user's decoder row, plus the user's output bias. A NEW user (not in the training
// data) has no decoder row: it is folded in by solving the same problem training solves for a
// decoder row with the codes held fixed, a ridge regression of the user's ratings on the codes
// of the items they rated, min |C w + b - r|^2 + (lambda/2) |w - w0|^2 + (lambda/2)(b - b0)^2,
// shrunk towards the average decoder row w0 and bias b0 so that a user with few ratings looks
// like the average user (with a sigmoid decoder it is fitted on the logits of the ratings).
// U-AutoRec encodes the user's rating vector, which works for new users directly.
// Items (I-AutoRec) or users (U-AutoRec) without training ratings, and users whose every
// rating was held out for validation, get the baseline estimate.
#pragma once

#include "core/eigen.hpp"
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model.hpp"
#include "core/models/autorec/autorec_network.hpp"
#include "core/models/autorec/autorec_train.hpp"

namespace autorec {

class Options;

struct AutoRecConfig {
  bool item_based = true;
  std::vector<int32_t> hidden{500};
  Activation encoder = Activation::Sigmoid;
  Activation decoder = Activation::Identity;
  bool tied = false;
  bool pretrain = false;
  double pretrain_lambda = 300;  // penalty of the first pretraining stage (a one-layer AutoRec)
  bool residual = true;  // outputs are offsets from the example's baseline bias
  bool refit = true;     // retrain on all ratings for the selected number of epochs
  double validation_fraction = 0.1;
  TrainSettings train;  // optimizer, learning_rate, epochs, batch_size, lambda, patience, denoising

  // Reads and validates the options (unknown values => Error naming the option).
  static AutoRecConfig read(Options& o);
  void save(Writer& w) const;
  void load(Reader& r, int32_t version);  // validates every field
};

class AutoRecModel : public Model {
 public:
  AutoRecModel() = default;
  explicit AutoRecModel(Options& options) : config_(AutoRecConfig::read(options)) {}
  std::string algorithm() const override { return "autorec"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  const AutoRecConfig& config() const { return config_; }
  const AutoRecNet<float>& network() const { return net_; }
  const TrainResult& train_result() const { return result_; }

 private:
  // Ratings <-> network units.
  float input_value(float rating) const { return rating - input_shift_; }
  double to_rating(float out) const {
    return offset_ + scale_ * static_cast<double>(activate1(config_.decoder, out));
  }
  // The residual offset of an example: an item's baseline bias (I-AutoRec) or a user's
  // (U-AutoRec; folded in for a new user).
  double example_offset(const UserProfile& user, int32_t item) const;
  void set_transform(const RatingMatrix& m);
  // Codes of every example from the full training ratings, and which rows can be served.
  void prepare_serving(ThreadPool& pool);
  // I-AutoRec: the decoder row and bias of a user described only by ratings.
  void fold_in(const SparseRow& ratings, Eigen::VectorXf& w, float& b) const;
  // U-AutoRec: the code of a user described only by ratings.
  void encode(const SparseRow& ratings, Eigen::VectorXf& code) const;
  void pretrain(const TrainProblem& problem, FitContext& ctx, ThreadPool& pool);
  // Inputs and targets in network units for `examples`, and the validation entries.
  TrainProblem make_problem(const SparseExamples& examples, const std::vector<Triple>& validation,
                            const RatingMatrix& full) const;

  AutoRecConfig config_;
  AutoRecNet<float> net_;
  TrainResult result_;
  const RatingMatrix* ratings_ = nullptr;
  const Biases* baseline_ = nullptr;
  // Input = rating - input_shift_ (> 0 for every rating, as 0 means missing); the decoder's
  // output maps to offset_ + scale_ * f(.).
  float input_shift_ = 0;
  double offset_ = 0, scale_ = 1;
  std::vector<uint8_t> feature_trained_;  // a feature had ratings to learn its decoder from
  // Serving state, rebuilt on load.
  Eigen::MatrixXf codes_;                 // code_size x n_examples
  std::vector<uint8_t> example_known_;    // the example has training ratings
  Eigen::VectorXf mean_row_;              // average decoder row and bias (fold-in prior)
  float mean_bias_ = 0;
};

}  // namespace autorec
