// Training an AutoRec network: the optimiser loop (RProp, L-BFGS, Adam), denoising, validation
// RMSE with early stopping, and greedy layer-wise pretraining of deep networks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/models/autorec/autorec_network.hpp"

namespace autorec {

class FitContext;
class ThreadPool;

enum class OptimizerKind : int32_t { Rprop = 0, Lbfgs = 1, Adam = 2 };

struct TrainSettings {
  OptimizerKind optimizer = OptimizerKind::Rprop;
  double learning_rate = 0.01;  // Adam: step size; RProp: initial step; L-BFGS: first step length
  int epochs = 100;
  int batch_size = 256;  // Adam only: examples per mini-batch
  double lambda = 1;     // L2 strength on the paper's summed loss
  int patience = 10;     // epochs without a better validation RMSE before stopping
  double denoising = 0;  // input dropout rate
  double dropout = 0;    // dropout rate of the middle hidden layer's units (see below)
  uint64_t seed = 42;
};

// Defaults per optimizer, chosen on ML-100K / ML-1M validation splits (see the benchmark).
struct OptimizerDefaults {
  double learning_rate;
  int epochs;
  int patience;
};
inline OptimizerDefaults defaults_for(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::Rprop: return {1e-2, 500, 20};
    case OptimizerKind::Lbfgs: return {1.0, 500, 20};
    case OptimizerKind::Adam: return {1e-3, 200, 10};
  }
  return {1e-3, 100, 10};
}

// What the network learns: inputs and targets per entry position of `data`, and the held-out
// entries that select the epoch.
struct TrainProblem {
  const SparseExamples* data = nullptr;
  std::vector<float> input;   // per position: what the encoder reads
  std::vector<float> target;  // per position: what the decoder must reproduce (target units)
  // Validation entries, grouped by nothing in particular: example, feature, rating.
  std::vector<int32_t> val_example, val_feature;
  std::vector<float> val_rating;
  // Ratings = offset + scale * decoder output, clipped to [lo, hi] as served.
  double offset = 0, scale = 1, lo = -1e30, hi = 1e30;
  // Added to every output of an example, in rating units (empty: none).
  std::vector<float> example_offset;
};

struct TrainResult {
  int epochs_run = 0;
  int best_epoch = 0;  // 1-based; the weights kept are those after this epoch
  double best_validation_rmse = 0;
  double train_rmse = 0;  // at the kept weights' epoch
};

// Trains `net` (already initialised) and leaves the best weights in it: those with the lowest
// validation RMSE when there are validation entries, the last ones otherwise. Each epoch is
// recorded with ctx.epoch_done() when `record` is true (false for pretraining stages).
// settings.dropout > 0 drops units of hidden layer dropout_layer(net.depth()) in every training
// pass, with a new mask per epoch: an example's mask comes from the epoch's seed and the
// example's index, not from its mini-batch or thread. Validation uses the network without
// dropout.
TrainResult train_network(AutoRecNet<float>& net, const TrainProblem& problem,
                          const TrainSettings& settings, FitContext& ctx, ThreadPool& pool,
                          bool record, const std::string& stage = "");

// The hidden layer `dropout` applies to in a network of `depth` hidden layers: the middle one,
// (depth - 1) / 2 counted from 0 (the 250-unit bottleneck of [500, 250, 500]; the only hidden
// layer of a shallow network; the encoder's last layer when depth is even).
inline int dropout_layer(int depth) { return (depth - 1) / 2; }

// Masking noise for denoising: each input is dropped (set to 0) with probability `rate`, the
// others are scaled by 1 / (1 - rate) so that the clean input seen at serving time has the same
// expected magnitude. Only inputs are corrupted: the trainer always compares the output with the
// clean targets.
void corrupt_inputs(const std::vector<float>& clean, double rate, uint64_t seed,
                    std::vector<float>& out);

// RMSE (rating units, clipped as served) of the validation entries, given the codes of all
// examples (code_size() x n_examples).
double validation_rmse(const AutoRecNet<float>& net, const Eigen::MatrixXf& codes,
                       const TrainProblem& problem, Activation decoder);

}  // namespace autorec
