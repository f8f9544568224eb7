// The AutoRec network (Sedhain et al. 2015): a sparse input layer, dense hidden layers and an
// output layer evaluated only where ratings are observed, with its exact gradient; plus the
// dense version of the same computation, kept as the benchmark's baseline.
#pragma once

#include "core/eigen.hpp"
#include <cstdint>
#include <vector>

#include "core/optim/activation.hpp"
#include "core/optim/optimizers.hpp"
#include "core/ratings.hpp"

namespace autorec {

class ThreadPool;
class FitContext;

// One sparse vector per example (I-AutoRec: an item's ratings by users; U-AutoRec: a user's
// ratings of items). Positions index `feature` and `value`; per-entry arrays (corrupted inputs,
// output deltas) use the same positions.
struct SparseExamples {
  int32_t n_examples = 0, n_features = 0;
  std::vector<int64_t> ptr;      // n_examples + 1
  std::vector<int32_t> feature;  // nnz, sorted within an example
  std::vector<float> value;      // nnz

  size_t nnz() const { return value.size(); }
  // Examples are items (CSC) or users (CSR) of the rating matrix.
  static SparseExamples from(const RatingMatrix& m, bool examples_are_items);
};

// Examples processed together, with their entries also grouped by feature: the output layer
// and the gradients of the two sparse layers are computed per feature, so no two threads ever
// write the same gradient column and no per-thread gradient copies are needed.
struct Batch {
  std::vector<int32_t> examples;
  std::vector<int64_t> feature_ptr;   // n_features + 1
  std::vector<int32_t> entry_local;   // per grouped entry: index into `examples`
  std::vector<int64_t> entry_pos;     // per grouped entry: position in the SparseExamples

  void build(const SparseExamples& data, const int32_t* examples, size_t n);
  size_t n_entries() const { return entry_pos.size(); }
};

struct NetShape {
  int32_t n_features = 0;
  std::vector<int32_t> hidden;  // at least one layer
  Activation encoder = Activation::Sigmoid;  // every hidden layer
  Activation decoder = Activation::Identity;  // the output layer
  bool tied = false;  // weight layer l shares its matrix (transposed) with layer depth - l
};

// Dropout of one hidden layer's units during training (Srivastava et al. 2014; on the code of a
// deep autoencoder for ratings, Kuchaiev & Ginsburg 2017): each unit of the layer is zeroed with
// probability `rate` and the kept ones are scaled by 1 / (1 - rate) (inverted dropout), so that
// the network without dropout (serving, validation) sees activations of the same expected size.
// The mask of an example depends only on (seed, layer, example index): not on the batch it is
// in nor on the thread that computes it.
struct Dropout {
  int layer = -1;  // hidden layer index; -1: none
  double rate = 0;
  uint64_t seed = 0;
  bool active() const { return layer >= 0 && rate > 0; }
};

// Intermediate values of one batch, reused between calls.
template <typename T>
struct NetWorkspace {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  std::vector<Mat> z, a, g;  // per hidden layer: pre-activation, activation, d loss / d z
  // Dropout (forward with an active Dropout): the multipliers (0 or 1 / (1 - rate)) of layer
  // `dropped_layer` and its activations times them, which is what the next layer reads; a[l]
  // keeps the undropped activations, from which the derivative is computed.
  int dropped_layer = -1;
  Mat mask, dropped;
  Mat layer_grad;                   // scratch for a dense layer's weight gradient
  std::vector<T> delta;             // d loss / d output pre-activation, per entry position
  std::vector<double> partial;      // per-chunk loss sums, added in a fixed order
  const FitContext* ctx = nullptr;  // polled between chunks: cancellation inside a pass
};

// Weights live in one flat vector so that the generic optimisers can move them. Weight layer
// 0 (input, sparse) and layer `depth` (output, evaluated at observed entries only) are stored
// as hidden x n_features matrices with one column per feature: the input column is what a rating
// of that feature adds to the first hidden layer, the output column is that feature's decoder
// row. Dense layers l = 1..depth-1 are hidden[l] x hidden[l-1].
//
// The loss is the paper's: the sum over observed entries of (f(output) - target)^2, plus
// lambda/2 times the squared Frobenius norm of every weight layer (biases are not penalised).
template <typename T>
class AutoRecNet {
 public:
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using MatMap = Eigen::Map<Mat>;
  using ConstMatMap = Eigen::Map<const Mat>;
  using VecMap = Eigen::Map<Vec>;
  using ConstVecMap = Eigen::Map<const Vec>;

  struct Layer {
    size_t w = 0, b = 0;  // offsets of the weights and the bias in the flat vector
    int32_t rows = 0, cols = 0;  // of the weight matrix as the layer uses it (out x in)
    bool transposed = false;     // weights are those of another layer, transposed
    int32_t owner = -1;          // the layer whose storage this one uses (itself if untied)
  };

  AutoRecNet() = default;
  // Throws Error(InvalidParameter) when tied weights are asked for an asymmetric shape.
  explicit AutoRecNet(const NetShape& shape);
  // The number of parameters a shape needs, without allocating them (shape assumed valid).
  static size_t count_params(const NetShape& shape);

  const NetShape& shape() const { return shape_; }
  int depth() const { return static_cast<int>(shape_.hidden.size()); }  // hidden layers
  int32_t code_size() const { return shape_.hidden.back(); }
  const Layer& layer(int l) const { return layers_[static_cast<size_t>(l)]; }
  size_t n_params() const { return n_params_; }
  AlignedVector<T>& params() { return params_; }
  const AlignedVector<T>& params() const { return params_; }

  // Random weights: input-layer entries with standard deviation `input_std` (chosen by the
  // caller from the data so the first hidden pre-activations start near unit scale), dense
  // layers scaled by 1/sqrt(fan_in), output biases `output_bias`.
  void init(uint64_t seed, double input_std, double output_bias);

  // Forward pass of a batch: afterwards ws.a[l] holds hidden layer l for every example of
  // the batch (column j = batch.examples[j]); ws.a.back() is the code the decoder reads.
  // With an active `dropout` (training only), later layers read the dropped activations of
  // its layer (ws.dropped), and ws.a.back() is then a noisy code.
  void forward(const SparseExamples& data, const float* input, const Batch& batch,
               NetWorkspace<T>& ws, ThreadPool& pool, const Dropout& dropout = {}) const;

  // Sum of squared errors at the batch's observed entries against `target` (per position),
  // given `input` (per position; a corrupted copy for denoising). When grad is non-null its
  // data gradient is ADDED to grad (n_params values). No penalty term: see l2(). With an
  // active `dropout`, the loss and gradient of the network with that mask held fixed.
  double loss(const SparseExamples& data, const float* input, const float* target,
              const Batch& batch, T* grad, NetWorkspace<T>& ws, ThreadPool& pool,
              const Dropout& dropout = {}) const;

  // (lambda / 2) * sum of squared weights; adds lambda * weights to grad when non-null.
  double l2(double lambda, T* grad) const;

  // The code of one example given its observed (feature, input) pairs, on the calling thread;
  // `code` receives code_size() values.
  void encode(const int32_t* features, const float* inputs, size_t n, T* code) const;

  // Output pre-activation for `feature`, from a code of code_size() values.
  T output(const T* code, int32_t feature) const {
    const Layer& o = layers_.back();
    return ConstVecMap(params_.data() + o.w + static_cast<size_t>(feature) * code_size(),
                       code_size())
               .dot(ConstVecMap(code, code_size())) +
           params_[o.b + static_cast<size_t>(feature)];
  }
  // The decoder row (code_size() values) and bias of a feature.
  const T* decoder_row(int32_t feature) const {
    return params_.data() + layers_.back().w + static_cast<size_t>(feature) * code_size();
  }
  T decoder_bias(int32_t feature) const {
    return params_[layers_.back().b + static_cast<size_t>(feature)];
  }

  // Dense reference for a one-hidden-layer, untied network: the same loss and gradient from
  // dense matrices (ratings as an n_features x n_examples matrix with zeros where missing,
  // and a 0/1 mask), as a straightforward implementation computes them with dense products.
  // Work is split over the pool in column blocks with one gradient buffer per block, summed
  // in block order.
  double dense_loss(const Mat& ratings, const Mat& mask, T* grad, ThreadPool& pool) const;

 private:
  static size_t layout(const NetShape& shape, std::vector<Layer>& layers);
  void forward_dense_layers(const Batch& batch, NetWorkspace<T>& ws, ThreadPool& pool,
                            const Dropout& dropout) const;
  // Draws the dropout mask of batch columns [jb, je) of layer dropout.layer, whose
  // activations are ready, and fills ws.dropped there.
  void drop(const Batch& batch, size_t jb, size_t je, NetWorkspace<T>& ws,
            const Dropout& dropout) const;
  // What layer l passes on: its dropped activations, or ws.a[l].
  static const Mat& output_of(const NetWorkspace<T>& ws, int l) {
    return l == ws.dropped_layer ? ws.dropped : ws.a[static_cast<size_t>(l)];
  }

  NetShape shape_;
  std::vector<Layer> layers_;  // depth() + 1 weight layers
  AlignedVector<T> params_;
  size_t n_params_ = 0;
};

extern template class AutoRecNet<float>;
extern template class AutoRecNet<double>;

// Floating-point work of one sparse training pass over `nnz` entries (forward and backward),
// and of the dense pass over n_features x n_examples, for the benchmark's GFLOP/s.
double sparse_epoch_flops(const NetShape& shape, size_t nnz, size_t n_examples);
double dense_epoch_flops(const NetShape& shape, size_t n_examples);

}  // namespace autorec
