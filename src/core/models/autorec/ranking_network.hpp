// The network of Mult-DAE (Liang, Krishnan, Hoffman, Jebara, WWW 2018): a user's items through a
// sparse input layer, dense hidden layers, and a softmax over all items trained with the
// multinomial log-likelihood; its loss and exact gradient over a batch of users, and the
// forward pass of one user for serving.
#pragma once

#include "core/eigen.hpp"
#include <cstdint>
#include <vector>

#include "core/optim/activation.hpp"
#include "core/optim/optimizers.hpp"

namespace autorec {

class ThreadPool;

// The users of one mini-batch, sparse: per user the input (item, value) pairs (already
// normalised and, in training, dropped out) and the target (item, weight) pairs.
struct MultBatch {
  std::vector<int64_t> in_ptr{0}, target_ptr{0};  // size() + 1 each
  std::vector<int32_t> in_item, target_item;
  std::vector<float> in_value, target_weight;

  size_t size() const { return in_ptr.size() - 1; }
  void clear();
  void end_user() {  // closes the user whose pairs were pushed since the last end_user()
    in_ptr.push_back(static_cast<int64_t>(in_item.size()));
    target_ptr.push_back(static_cast<int64_t>(target_item.size()));
  }
  size_t bytes() const;  // allocated
};

// Intermediate values of one batch, reused between batches.
template <typename T>
struct MultWorkspace {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  std::vector<Mat> z, a, g;  // per hidden layer (d x batch): pre-activation, activation, dL/dz
  Mat logits;                // n_items x batch: the logits, then dL/dlogits
  // The batch's inputs grouped by item, for the input layer's weight gradient.
  std::vector<int64_t> item_ptr;
  std::vector<int32_t> item_user;
  std::vector<T> item_value;
  std::vector<double> partial;  // per-block loss sums, added in block order
  size_t bytes() const;         // allocated
};

// Layers are dims = [I, h1, ..., hk, ..., h1, I]: the encoder sizes `hidden` = [h1..hk], then
// the decoder mirrors them. Weight layer l maps dims[l] to dims[l + 1] and is stored as a
// dims[l + 1] x dims[l] column-major matrix: for the input layer a column per item (what one
// item of the input adds to the first hidden layer), for the output layer a row per item.
// All weights come first in the flat parameter vector, then all biases, so the L2 penalty
// covers exactly [0, n_weights()).
//
// Loss of a batch of B users: (1/B) sum_u sum_i t_ui (logsumexp(logits_u) - logits_ui), the
// multinomial negative log-likelihood of the targets t_u (weights; 1 per item of the user in
// the paper). Hidden layers use `activation`, the output is linear (the softmax is in the loss).
//
// Work is split over the pool in blocks of a fixed size (users for the forward pass and the
// deltas, items for the output and input weight gradients), each block written by one task: no
// per-thread copies, and the result does not depend on the number of threads.
template <typename T>
class MultNet {
 public:
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  MultNet() = default;
  MultNet(int32_t n_items, const std::vector<int32_t>& hidden, Activation activation);
  static size_t count_params(int32_t n_items, const std::vector<int32_t>& hidden);

  int32_t n_items() const { return dims_.empty() ? 0 : dims_.front(); }
  const std::vector<int32_t>& hidden() const { return hidden_; }
  Activation activation() const { return activation_; }
  int n_layers() const { return static_cast<int>(dims_.size()) - 1; }  // weight layers
  size_t n_params() const { return params_.size(); }
  size_t n_weights() const { return n_weights_; }
  AlignedVector<T>& params() { return params_; }
  const AlignedVector<T>& params() const { return params_; }

  // Glorot-normal weights, zero biases.
  void init(uint64_t seed);

  // The batch's mean loss; when grad is non-null, its gradient is WRITTEN there (n_params()
  // values, every one set). No penalty term: the trainer adds the L2 gradient.
  double loss(const MultBatch& batch, T* grad, MultWorkspace<T>& ws, ThreadPool& pool) const;

  // The logits of all items for one input (items and values), on the calling thread.
  void score(const int32_t* items, const T* values, size_t n, T* out) const;
  // The logit of one item only.
  T score_one(const int32_t* items, const T* values, size_t n, int32_t item) const;

 private:
  struct Layer {
    size_t w = 0, b = 0;
    int32_t rows = 0, cols = 0;
  };
  Eigen::Map<const Mat> weights(int l) const {
    const Layer& L = layers_[static_cast<size_t>(l)];
    return Eigen::Map<const Mat>(params_.data() + L.w, L.rows, L.cols);
  }
  Eigen::Map<const Vec> bias(int l) const {
    const Layer& L = layers_[static_cast<size_t>(l)];
    return Eigen::Map<const Vec>(params_.data() + L.b, L.rows);
  }
  // The last hidden layer's activation for one input, into h (scratch in s).
  void encode(const int32_t* items, const T* values, size_t n, Vec& h) const;

  std::vector<int32_t> hidden_, dims_;
  Activation activation_ = Activation::Tanh;
  std::vector<Layer> layers_;
  size_t n_weights_ = 0;
  AlignedVector<T> params_;
};

extern template class MultNet<float>;
extern template class MultNet<double>;

}  // namespace autorec
