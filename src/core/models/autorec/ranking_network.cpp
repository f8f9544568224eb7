// Mult-DAE's network: forward pass, multinomial loss and backward pass over a batch of users.
#include "core/models/autorec/ranking_network.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/parallel.hpp"

namespace autorec {
namespace {

// Fixed block sizes: the split of the work, hence every result, is the same for any number of
// threads. The products with the large output weights (items x units) are split by items (the
// logits, the weight gradient) or by units (the delta of the last hidden layer), so that each
// task packs only its own slice of them, once per batch.
constexpr size_t kUserBlock = 32;
constexpr size_t kItemBlock = 256;
constexpr size_t kRowBlock = 64;  // output rows per task of a dense layer's weight gradient

size_t blocks(size_t n, size_t block) { return (n + block - 1) / block; }

std::vector<int32_t> layer_dims(int32_t n_items, const std::vector<int32_t>& hidden) {
  std::vector<int32_t> d{n_items};
  d.insert(d.end(), hidden.begin(), hidden.end());
  for (size_t k = hidden.size(); k-- > 1;) d.push_back(hidden[k - 1]);
  d.push_back(n_items);
  return d;
}

}  // namespace

void MultBatch::clear() {
  in_ptr.assign(1, 0);
  target_ptr.assign(1, 0);
  in_item.clear();
  in_value.clear();
  target_item.clear();
  target_weight.clear();
}

size_t MultBatch::bytes() const {
  return (in_ptr.capacity() + target_ptr.capacity()) * sizeof(int64_t) +
         (in_item.capacity() + target_item.capacity()) * sizeof(int32_t) +
         (in_value.capacity() + target_weight.capacity()) * sizeof(float);
}

template <typename T>
size_t MultWorkspace<T>::bytes() const {
  size_t s = static_cast<size_t>(logits.size());
  for (const auto* v : {&z, &a, &g})
    for (const Mat& m : *v) s += static_cast<size_t>(m.size());
  return s * sizeof(T) + item_ptr.capacity() * sizeof(int64_t) +
         item_user.capacity() * sizeof(int32_t) + item_value.capacity() * sizeof(T) +
         partial.capacity() * sizeof(double);
}

template <typename T>
MultNet<T>::MultNet(int32_t n_items, const std::vector<int32_t>& hidden, Activation activation)
    : hidden_(hidden), dims_(layer_dims(n_items, hidden)), activation_(activation) {
  size_t off = 0;
  layers_.resize(dims_.size() - 1);
  for (size_t l = 0; l < layers_.size(); ++l) {
    layers_[l].rows = dims_[l + 1];
    layers_[l].cols = dims_[l];
    layers_[l].w = off;
    off += static_cast<size_t>(dims_[l + 1]) * static_cast<size_t>(dims_[l]);
  }
  n_weights_ = off;
  for (Layer& L : layers_) {
    L.b = off;
    off += static_cast<size_t>(L.rows);
  }
  params_.assign(off, T(0));
}

template <typename T>
size_t MultNet<T>::count_params(int32_t n_items, const std::vector<int32_t>& hidden) {
  std::vector<int32_t> d = layer_dims(n_items, hidden);
  size_t n = 0;
  for (size_t l = 0; l + 1 < d.size(); ++l)
    n += (static_cast<size_t>(d[l]) + 1) * static_cast<size_t>(d[l + 1]);
  return n;
}

template <typename T>
void MultNet<T>::init(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const Layer& L : layers_) {
    std::normal_distribution<double> n(0.0, std::sqrt(2.0 / (L.rows + L.cols)));
    const size_t count = static_cast<size_t>(L.rows) * static_cast<size_t>(L.cols);
    for (size_t k = 0; k < count; ++k) params_[L.w + k] = static_cast<T>(n(rng));
  }
  std::fill(params_.begin() + static_cast<std::ptrdiff_t>(n_weights_), params_.end(), T(0));
}

template <typename T>
double MultNet<T>::loss(const MultBatch& batch, T* grad, MultWorkspace<T>& ws,
                        ThreadPool& pool) const {
  const size_t B = batch.size();
  const int L = n_layers(), H = L - 1;  // weight layers, hidden layers
  const Eigen::Index nb = static_cast<Eigen::Index>(B);
  if (B == 0) {
    if (grad) std::fill(grad, grad + params_.size(), T(0));
    return 0;
  }
  ws.z.resize(static_cast<size_t>(H));
  ws.a.resize(static_cast<size_t>(H));
  ws.g.resize(static_cast<size_t>(H));
  for (int h = 0; h < H; ++h) {
    ws.z[h].resize(dims_[h + 1], nb);
    ws.a[h].resize(dims_[h + 1], nb);
    ws.g[h].resize(dims_[h + 1], nb);
  }
  ws.logits.resize(n_items(), nb);
  const size_t user_blocks = blocks(B, kUserBlock);
  ws.partial.assign(user_blocks, 0.0);
  const T inv_b = T(1) / static_cast<T>(B);

  auto activate_cols = [&](int h, Eigen::Index c0, Eigen::Index nc) {
    const size_t off = static_cast<size_t>(c0) * static_cast<size_t>(dims_[h + 1]);
    activate(activation_, ws.z[h].data() + off, ws.a[h].data() + off,
             static_cast<size_t>(nc) * static_cast<size_t>(dims_[h + 1]));
  };
  auto derivative_cols = [&](int h, Eigen::Index c0, Eigen::Index nc) {
    const size_t off = static_cast<size_t>(c0) * static_cast<size_t>(dims_[h + 1]);
    multiply_derivative(activation_, ws.z[h].data() + off, ws.a[h].data() + off,
                        ws.g[h].data() + off,
                        static_cast<size_t>(nc) * static_cast<size_t>(dims_[h + 1]));
  };

  // Forward through the hidden layers, one block of users per task.
  pool.run(user_blocks, [&](size_t t, int) {
    const size_t jb = t * kUserBlock, je = std::min(B, (t + 1) * kUserBlock);
    const Eigen::Index c0 = static_cast<Eigen::Index>(jb), nc = static_cast<Eigen::Index>(je - jb);
    // Input layer: only the columns of the user's items.
    auto W0 = weights(0);
    for (size_t j = jb; j < je; ++j) {
      auto col = ws.z[0].col(static_cast<Eigen::Index>(j));
      col = bias(0);
      for (int64_t k = batch.in_ptr[j]; k < batch.in_ptr[j + 1]; ++k)
        col += static_cast<T>(batch.in_value[k]) * W0.col(batch.in_item[k]);
    }
    activate_cols(0, c0, nc);
    for (int l = 1; l < H; ++l) {
      ws.z[l].middleCols(c0, nc).noalias() = weights(l) * ws.a[l - 1].middleCols(c0, nc);
      ws.z[l].middleCols(c0, nc).colwise() += bias(l);
      activate_cols(l, c0, nc);
    }
  });
  // Logits by blocks of items: each task packs only its rows of the (large) output weights.
  const size_t n_items_z = static_cast<size_t>(n_items());
  const size_t item_blocks = blocks(n_items_z, kItemBlock);
  auto item_rows = [&](size_t t) {
    const Eigen::Index r0 = static_cast<Eigen::Index>(t * kItemBlock);
    return std::make_pair(r0, static_cast<Eigen::Index>(std::min(n_items_z, (t + 1) * kItemBlock)) - r0);
  };
  pool.run(item_blocks, [&](size_t t, int) {
    auto [r0, nr] = item_rows(t);
    auto out = ws.logits.middleRows(r0, nr);
    out.noalias() = weights(L - 1).middleRows(r0, nr) * ws.a[H - 1];
    out.colwise() += bias(L - 1).segment(r0, nr);
  });
  // Softmax, loss and d loss / d logits, by blocks of users.
  pool.run(user_blocks, [&](size_t t, int) {
    const size_t jb = t * kUserBlock, je = std::min(B, (t + 1) * kUserBlock);
    double sum = 0;
    for (size_t j = jb; j < je; ++j) {
      auto col = ws.logits.col(static_cast<Eigen::Index>(j));
      const T m = col.maxCoeff();
      const T lse = m + std::log((col.array() - m).exp().sum());
      T wsum = 0;
      for (int64_t k = batch.target_ptr[j]; k < batch.target_ptr[j + 1]; ++k) {
        const T w = static_cast<T>(batch.target_weight[k]);
        sum += static_cast<double>(w * (lse - col(batch.target_item[k])));
        wsum += w;
      }
      if (!grad) continue;
      // (softmax * sum of the weights - targets) / B.
      col = ((col.array() - lse).exp() * (wsum * inv_b)).matrix();
      for (int64_t k = batch.target_ptr[j]; k < batch.target_ptr[j + 1]; ++k)
        col(batch.target_item[k]) -= static_cast<T>(batch.target_weight[k]) * inv_b;
    }
    ws.partial[t] = sum;
  });
  double total = 0;
  for (double p : ws.partial) total += p;
  if (!grad) return total / static_cast<double>(B);

  auto gw = [&](int l) {
    const Layer& Ly = layers_[static_cast<size_t>(l)];
    return Eigen::Map<Mat>(grad + Ly.w, Ly.rows, Ly.cols);
  };
  auto gb = [&](int l) {
    const Layer& Ly = layers_[static_cast<size_t>(l)];
    return Eigen::Map<Vec>(grad + Ly.b, Ly.rows);
  };

  // Output layer: dW = G A^T and db = G 1 by blocks of items; the last hidden layer's delta
  // W^T G by blocks of its units (a reduction over items, so not split by items).
  pool.run(item_blocks, [&](size_t t, int) {
    auto [r0, nr] = item_rows(t);
    auto G = ws.logits.middleRows(r0, nr);
    gw(L - 1).middleRows(r0, nr).noalias() = G * ws.a[H - 1].transpose();
    gb(L - 1).segment(r0, nr) = G.rowwise().sum();
  });
  const size_t last = static_cast<size_t>(dims_[H]);
  pool.run(blocks(last, kRowBlock), [&](size_t t, int) {
    const Eigen::Index h0 = static_cast<Eigen::Index>(t * kRowBlock);
    const Eigen::Index nh = static_cast<Eigen::Index>(std::min(last, (t + 1) * kRowBlock)) - h0;
    ws.g[H - 1].middleRows(h0, nh).noalias() =
        weights(L - 1).middleCols(h0, nh).transpose() * ws.logits;
  });
  derivative_cols(H - 1, 0, nb);

  // Dense layers, from the top: weight gradient by row blocks, then the delta of the layer
  // below by user blocks.
  for (int l = L - 2; l >= 1; --l) {
    const size_t rows = static_cast<size_t>(dims_[l + 1]);
    pool.run(blocks(rows, kRowBlock), [&](size_t t, int) {
      const Eigen::Index r0 = static_cast<Eigen::Index>(t * kRowBlock);
      const Eigen::Index nr = static_cast<Eigen::Index>(std::min(rows, (t + 1) * kRowBlock)) - r0;
      gw(l).middleRows(r0, nr).noalias() = ws.g[l].middleRows(r0, nr) * ws.a[l - 1].transpose();
      gb(l).segment(r0, nr) = ws.g[l].middleRows(r0, nr).rowwise().sum();
    });
    pool.run(user_blocks, [&](size_t t, int) {
      const Eigen::Index c0 = static_cast<Eigen::Index>(t * kUserBlock);
      const Eigen::Index nc = static_cast<Eigen::Index>(std::min(B, (t + 1) * kUserBlock)) - c0;
      ws.g[l - 1].middleCols(c0, nc).noalias() = weights(l).transpose() * ws.g[l].middleCols(c0, nc);
      derivative_cols(l - 1, c0, nc);
    });
  }

  // Input layer: the gradient of an item's column sums the deltas of the users whose input
  // holds the item, so the entries are grouped by item first (a counting sort).
  const size_t nnz = batch.in_item.size();
  ws.item_ptr.assign(n_items_z + 1, 0);
  for (int32_t i : batch.in_item) ++ws.item_ptr[static_cast<size_t>(i) + 1];
  for (size_t i = 0; i < n_items_z; ++i) ws.item_ptr[i + 1] += ws.item_ptr[i];
  ws.item_user.resize(nnz);
  ws.item_value.resize(nnz);
  {
    std::vector<int64_t> fill(ws.item_ptr.begin(), ws.item_ptr.end() - 1);
    for (size_t j = 0; j < B; ++j)
      for (int64_t k = batch.in_ptr[j]; k < batch.in_ptr[j + 1]; ++k) {
        const int64_t p = fill[static_cast<size_t>(batch.in_item[k])]++;
        ws.item_user[p] = static_cast<int32_t>(j);
        ws.item_value[p] = static_cast<T>(batch.in_value[k]);
      }
  }
  pool.run(blocks(n_items_z, kItemBlock), [&](size_t t, int) {
    const size_t ib = t * kItemBlock, ie = std::min(n_items_z, (t + 1) * kItemBlock);
    auto G0 = gw(0);
    for (size_t i = ib; i < ie; ++i) {
      auto col = G0.col(static_cast<Eigen::Index>(i));
      col.setZero();
      for (int64_t p = ws.item_ptr[i]; p < ws.item_ptr[i + 1]; ++p)
        col += ws.item_value[p] * ws.g[0].col(ws.item_user[p]);
    }
    if (t == 0) gb(0) = ws.g[0].rowwise().sum();
  });
  return total / static_cast<double>(B);
}

template <typename T>
void MultNet<T>::encode(const int32_t* items, const T* values, size_t n, Vec& h) const {
  auto W0 = weights(0);
  Vec z = bias(0);
  for (size_t k = 0; k < n; ++k) z += values[k] * W0.col(items[k]);
  h.resize(z.size());
  activate(activation_, z.data(), h.data(), static_cast<size_t>(z.size()));
  for (int l = 1; l + 1 < n_layers(); ++l) {
    z.noalias() = weights(l) * h;
    z += bias(l);
    h.resize(z.size());
    activate(activation_, z.data(), h.data(), static_cast<size_t>(z.size()));
  }
}

template <typename T>
void MultNet<T>::score(const int32_t* items, const T* values, size_t n, T* out) const {
  Vec h;
  encode(items, values, n, h);
  Eigen::Map<Vec> o(out, n_items());
  o.noalias() = weights(n_layers() - 1) * h;
  o += bias(n_layers() - 1);
}

template <typename T>
T MultNet<T>::score_one(const int32_t* items, const T* values, size_t n, int32_t item) const {
  Vec h;
  encode(items, values, n, h);
  return weights(n_layers() - 1).row(item).dot(h) + bias(n_layers() - 1)(item);
}

template struct MultWorkspace<float>;
template struct MultWorkspace<double>;
template class MultNet<float>;
template class MultNet<double>;

}  // namespace autorec
