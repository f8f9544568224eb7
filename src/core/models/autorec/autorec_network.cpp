// AutoRec's sparse forward and backward passes: O(observed entries x hidden units) for the two
// sparse layers, dense products only between hidden layers.
#include "core/models/autorec/autorec_network.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/models/autorec/autorec_kernels.hpp"
#include "core/parallel.hpp"

namespace autorec {

namespace {

// Fixed chunk counts (not tied to the thread count) so that per-chunk loss sums are added in
// the same order whatever the number of threads.
constexpr size_t kChunks = 64;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <typename F>
void for_chunks(ThreadPool& pool, size_t n, size_t chunks, const FitContext* ctx, F&& fn) {
  chunks = std::max<size_t>(1, std::min(n, chunks));
  if (n == 0) return;
  pool.run(
      chunks,
      [&](size_t c, int) {
        auto r = chunk_range(n, chunks, c);
        fn(r.first, r.second, c);
      },
      ctx);
}

}  // namespace

SparseExamples SparseExamples::from(const RatingMatrix& m, bool examples_are_items) {
  SparseExamples s;
  s.n_examples = examples_are_items ? m.n_items() : m.n_users();
  s.n_features = examples_are_items ? m.n_users() : m.n_items();
  s.ptr = examples_are_items ? m.item_ptr() : m.user_ptr();
  s.feature = examples_are_items ? m.item_users() : m.user_items();
  s.value = examples_are_items ? m.item_values() : m.user_values();
  return s;
}

void Batch::build(const SparseExamples& data, const int32_t* ex, size_t n) {
  examples.assign(ex, ex + n);
  feature_ptr.assign(static_cast<size_t>(data.n_features) + 1, 0);
  for (size_t j = 0; j < n; ++j)
    for (int64_t p = data.ptr[ex[j]]; p < data.ptr[ex[j] + 1]; ++p)
      ++feature_ptr[static_cast<size_t>(data.feature[p]) + 1];
  for (size_t f = 0; f < static_cast<size_t>(data.n_features); ++f)
    feature_ptr[f + 1] += feature_ptr[f];
  const size_t total = static_cast<size_t>(feature_ptr.back());
  entry_local.resize(total);
  entry_pos.resize(total);
  std::vector<int64_t> fill(feature_ptr.begin(), feature_ptr.end() - 1);
  for (size_t j = 0; j < n; ++j)
    for (int64_t p = data.ptr[ex[j]]; p < data.ptr[ex[j] + 1]; ++p) {
      const int64_t k = fill[static_cast<size_t>(data.feature[p])]++;
      entry_local[k] = static_cast<int32_t>(j);
      entry_pos[k] = p;
    }
}

template <typename T>
AutoRecNet<T>::AutoRecNet(const NetShape& shape) : shape_(shape) {
  if (shape.hidden.empty())
    throw Error(ErrorKind::InvalidParameter, "option \"hidden\" must list at least one layer size",
                "For example \"hidden\": [500], or [500, 250, 500] for the deep model.");
  for (int32_t h : shape.hidden)
    if (h < 1)
      throw Error(ErrorKind::InvalidParameter, "option \"hidden\" must hold positive layer sizes");
  if (shape.n_features < 1) throw Error(ErrorKind::Internal, "AutoRec network without features");
  const int k = depth();
  if (shape.tied)
    for (int l = 0; l < k; ++l)
      if (shape.hidden[l] != shape.hidden[k - 1 - l])
        throw Error(ErrorKind::InvalidParameter,
                    "option \"tied_weights\" needs a symmetric \"hidden\" list",
                    "For example [500] or [500, 250, 500].");
  const size_t off = layout(shape, layers_);
  n_params_ = off;
  params_.assign(n_params_, T(0));
}

template <typename T>
size_t AutoRecNet<T>::layout(const NetShape& shape, std::vector<Layer>& layers) {
  const int k = static_cast<int>(shape.hidden.size());
  layers.assign(static_cast<size_t>(k) + 1, Layer{});
  size_t off = 0;
  for (int l = 0; l <= k; ++l) {
    Layer& L = layers[l];
    L.cols = l == 0 ? shape.n_features : shape.hidden[l - 1];  // in
    L.rows = l == k ? shape.n_features : shape.hidden[l];      // out
    const int partner = k - l;
    if (shape.tied && partner < l) {
      // Layer l reuses layer k - l's matrix. The two sparse layers share one storage layout
      // (hidden x features, a column per feature), so only dense layers are transposed.
      L.owner = partner;
      L.w = layers[partner].w;
      L.transposed = l != k;
    } else {
      L.owner = l;
      L.w = off;
      off += static_cast<size_t>(L.rows) * static_cast<size_t>(L.cols);
    }
    L.b = off;
    off += static_cast<size_t>(L.rows);
  }
  return off;
}

template <typename T>
size_t AutoRecNet<T>::count_params(const NetShape& shape) {
  std::vector<Layer> layers;
  return layout(shape, layers);
}

template <typename T>
void AutoRecNet<T>::init(uint64_t seed, double input_std, double output_bias) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int k = depth();
  for (int l = 0; l <= k; ++l) {
    const Layer& L = layers_[l];
    if (L.owner == l) {
      const double sd = l == 0 ? input_std : 1.0 / std::sqrt(static_cast<double>(L.cols));
      const size_t n = static_cast<size_t>(L.rows) * static_cast<size_t>(L.cols);
      for (size_t q = 0; q < n; ++q) params_[L.w + q] = static_cast<T>(sd * normal(rng));
    }
    for (int32_t q = 0; q < L.rows; ++q)
      params_[L.b + static_cast<size_t>(q)] = static_cast<T>(l == k ? output_bias : 0.0);
  }
}

template <typename T>
void AutoRecNet<T>::drop(const Batch& batch, size_t jb, size_t je, NetWorkspace<T>& ws,
                         const Dropout& dropout) const {
  const int l = dropout.layer;
  const Eigen::Index h = shape_.hidden[l];
  const T keep = static_cast<T>(1.0 / (1.0 - dropout.rate));
  // Unit i of example e is dropped when the i-th value of a counter-based stream keyed by
  // (seed, layer, e), as a 24-bit uniform, falls below the rate.
  const auto threshold = static_cast<uint64_t>(std::ldexp(dropout.rate, 24));
  const uint64_t layer_key =
      splitmix64(dropout.seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(l + 1)));
  for (size_t j = jb; j < je; ++j) {
    const uint64_t key = splitmix64(layer_key + static_cast<uint64_t>(batch.examples[j]));
    const auto c = static_cast<Eigen::Index>(j);
    for (Eigen::Index i = 0; i < h; ++i)
      ws.mask(i, c) = (splitmix64(key + static_cast<uint64_t>(i)) >> 40) < threshold ? T(0) : keep;
    ws.dropped.col(c) = ws.a[l].col(c).cwiseProduct(ws.mask.col(c));
  }
}

template <typename T>
void AutoRecNet<T>::forward(const SparseExamples& data, const float* input, const Batch& batch,
                            NetWorkspace<T>& ws, ThreadPool& pool, const Dropout& dropout) const {
  const int k = depth();
  const auto B = static_cast<Eigen::Index>(batch.examples.size());
  ws.z.resize(static_cast<size_t>(k));
  ws.a.resize(static_cast<size_t>(k));
  ws.g.resize(static_cast<size_t>(k));
  for (int l = 0; l < k; ++l) {
    ws.z[l].resize(shape_.hidden[l], B);
    ws.a[l].resize(shape_.hidden[l], B);
  }
  if (dropout.active() && dropout.layer >= k)
    throw Error(ErrorKind::Internal, "dropout on a hidden layer the network does not have");
  ws.dropped_layer = dropout.active() ? dropout.layer : -1;
  if (dropout.active()) {
    ws.mask.resize(shape_.hidden[dropout.layer], B);
    ws.dropped.resize(shape_.hidden[dropout.layer], B);
  }
  // Sparse input layer: each observed rating adds its feature's column.
  const Layer& L0 = layers_[0];
  const int32_t h0 = shape_.hidden[0];
  ConstMatMap V(params_.data() + L0.w, h0, shape_.n_features);
  ConstVecMap b0(params_.data() + L0.b, h0);
  for_chunks(pool, static_cast<size_t>(B), kChunks, ws.ctx, [&](size_t jb, size_t je, size_t) {
    for (size_t j = jb; j < je; ++j) {
      const int32_t ex = batch.examples[j];
      auto zc = ws.z[0].col(static_cast<Eigen::Index>(j));
      zc = b0;
      const int64_t p0 = data.ptr[ex];
      kernels::gather_axpy(zc.data(), V.data(), static_cast<size_t>(h0), h0,
                           data.feature.data() + p0, input + p0,
                           static_cast<size_t>(data.ptr[ex + 1] - p0));
    }
    const auto cols = static_cast<Eigen::Index>(je - jb);
    activate(shape_.encoder, ws.z[0].middleCols(jb, cols).data(),
             ws.a[0].middleCols(jb, cols).data(), static_cast<size_t>(h0 * cols));
    if (ws.dropped_layer == 0) drop(batch, jb, je, ws, dropout);
  });
  forward_dense_layers(batch, ws, pool, dropout);
}

template <typename T>
void AutoRecNet<T>::forward_dense_layers(const Batch& batch, NetWorkspace<T>& ws, ThreadPool& pool,
                                         const Dropout& dropout) const {
  const int k = depth();
  const Eigen::Index B = ws.z[0].cols();
  for (int l = 1; l < k; ++l) {
    const Layer& L = layers_[l];
    ConstVecMap b(params_.data() + L.b, L.rows);
    const Mat& in = output_of(ws, l - 1);
    for_chunks(pool, static_cast<size_t>(B), 8, ws.ctx, [&](size_t jb, size_t je, size_t) {
      const auto cols = static_cast<Eigen::Index>(je - jb);
      auto z = ws.z[l].middleCols(jb, cols);
      if (L.transposed)
        z.noalias() =
            ConstMatMap(params_.data() + L.w, L.cols, L.rows).transpose() * in.middleCols(jb, cols);
      else
        z.noalias() = ConstMatMap(params_.data() + L.w, L.rows, L.cols) * in.middleCols(jb, cols);
      z.colwise() += b;
      activate(shape_.encoder, z.data(), ws.a[l].middleCols(jb, cols).data(),
               static_cast<size_t>(L.rows * cols));
      if (ws.dropped_layer == l) drop(batch, jb, je, ws, dropout);
    });
  }
}

template <typename T>
void AutoRecNet<T>::encode(const int32_t* features, const float* inputs, size_t n,
                           T* code) const {
  const Layer& L0 = layers_[0];
  const int32_t h0 = shape_.hidden[0];
  ConstMatMap V(params_.data() + L0.w, h0, shape_.n_features);
  Vec z = ConstVecMap(params_.data() + L0.b, h0);
  for (size_t q = 0; q < n; ++q)
    if (inputs[q] != 0.f) z.noalias() += static_cast<T>(inputs[q]) * V.col(features[q]);
  Vec a(h0);
  activate(shape_.encoder, z.data(), a.data(), static_cast<size_t>(h0));
  for (int l = 1; l < depth(); ++l) {
    const Layer& L = layers_[l];
    if (L.transposed)
      z.noalias() = ConstMatMap(params_.data() + L.w, L.cols, L.rows).transpose() * a;
    else
      z.noalias() = ConstMatMap(params_.data() + L.w, L.rows, L.cols) * a;
    z += ConstVecMap(params_.data() + L.b, L.rows);
    a.resize(L.rows);
    activate(shape_.encoder, z.data(), a.data(), static_cast<size_t>(L.rows));
  }
  VecMap(code, code_size()) = a;
}

template <typename T>
double AutoRecNet<T>::loss(const SparseExamples& data, const float* input, const float* target,
                           const Batch& batch, T* grad, NetWorkspace<T>& ws, ThreadPool& pool,
                           const Dropout& dropout) const {
  forward(data, input, batch, ws, pool, dropout);
  const int k = depth();
  const int32_t hk = shape_.hidden[k - 1], h0 = shape_.hidden[0];
  const int32_t m = shape_.n_features;
  const Layer& Lo = layers_[k];
  const Layer& L0 = layers_[0];
  ConstMatMap Wo(params_.data() + Lo.w, hk, m);
  const Mat& code = output_of(ws, k - 1);
  if (ws.delta.size() < data.nnz()) ws.delta.resize(data.nnz());
  T* delta = ws.delta.data();

  // Output layer, per feature: only the observed entries are evaluated.
  const size_t chunks = std::min<size_t>(kChunks, static_cast<size_t>(m));
  ws.partial.assign(chunks, 0.0);
  const Activation dec = shape_.decoder;
  for_chunks(pool, static_cast<size_t>(m), chunks, ws.ctx, [&](size_t fb, size_t fe, size_t c) {
    double sse = 0;
    int64_t most = 0;
    for (size_t u = fb; u < fe; ++u)
      most = std::max(most, batch.feature_ptr[u + 1] - batch.feature_ptr[u]);
    std::vector<T> out(static_cast<size_t>(most)), d(static_cast<size_t>(most));
    for (size_t u = fb; u < fe; ++u) {
      const int64_t q0 = batch.feature_ptr[u];
      const auto n = static_cast<size_t>(batch.feature_ptr[u + 1] - q0);
      if (n == 0) continue;
      const int32_t* local = batch.entry_local.data() + q0;
      kernels::gather_dots(Wo.col(static_cast<Eigen::Index>(u)).data(), code.data(),
                           static_cast<size_t>(hk), hk, local, out.data(), n);
      const T bu = params_[Lo.b + u];
      T gb = 0;
      for (size_t k = 0; k < n; ++k) {
        const int64_t pos = batch.entry_pos[q0 + static_cast<int64_t>(k)];
        const T o = out[k] + bu;
        const T y = activate1(dec, o);
        const T err = y - static_cast<T>(target[pos]);
        sse += static_cast<double>(err) * static_cast<double>(err);
        d[k] = T(2) * err * derivative1(dec, o, y);
        delta[pos] = d[k];
        gb += d[k];
      }
      if (grad) {
        kernels::gather_axpy(grad + Lo.w + u * static_cast<size_t>(hk), code.data(),
                             static_cast<size_t>(hk), hk, local, d.data(), n);
        grad[Lo.b + u] += gb;
      }
    }
    ws.partial[c] = sse;
  });
  double total = 0;
  for (double s : ws.partial) total += s;
  if (!grad) return total;

  // Back into the last hidden layer, per example: the observed entries' deltas times their
  // decoder rows.
  const auto B = static_cast<Eigen::Index>(batch.examples.size());
  ws.g[k - 1].resize(hk, B);
  for_chunks(pool, static_cast<size_t>(B), kChunks, ws.ctx, [&](size_t jb, size_t je, size_t) {
    for (size_t j = jb; j < je; ++j) {
      const int32_t ex = batch.examples[j];
      auto g = ws.g[k - 1].col(static_cast<Eigen::Index>(j));
      g.setZero();
      const int64_t p0 = data.ptr[ex];
      kernels::gather_axpy(g.data(), Wo.data(), static_cast<size_t>(hk), hk,
                           data.feature.data() + p0, delta + p0,
                           static_cast<size_t>(data.ptr[ex + 1] - p0));
    }
    const auto cols = static_cast<Eigen::Index>(je - jb);
    // Through the dropout mask, then the activation's derivative at the undropped values.
    if (ws.dropped_layer == k - 1)
      ws.g[k - 1].middleCols(jb, cols).array() *= ws.mask.middleCols(jb, cols).array();
    multiply_derivative(shape_.encoder, ws.z[k - 1].middleCols(jb, cols).data(),
                        ws.a[k - 1].middleCols(jb, cols).data(),
                        ws.g[k - 1].middleCols(jb, cols).data(), static_cast<size_t>(hk * cols));
  });

  // Dense hidden layers, from the top down.
  for (int l = k - 1; l >= 1; --l) {
    const Layer& L = layers_[l];
    const Mat& gz = ws.g[l];
    const Mat& a_in = output_of(ws, l - 1);
    ws.layer_grad.resize(L.rows, L.cols);
    for_chunks(pool, static_cast<size_t>(L.rows), 8, ws.ctx, [&](size_t rb, size_t re, size_t) {
      const auto rows = static_cast<Eigen::Index>(re - rb);
      ws.layer_grad.middleRows(rb, rows).noalias() = gz.middleRows(rb, rows) * a_in.transpose();
    });
    if (L.transposed)
      MatMap(grad + L.w, L.cols, L.rows) += ws.layer_grad.transpose();
    else
      MatMap(grad + L.w, L.rows, L.cols) += ws.layer_grad;
    VecMap(grad + L.b, L.rows) += gz.rowwise().sum();
    ws.g[l - 1].resize(L.cols, B);
    for_chunks(pool, static_cast<size_t>(B), 8, ws.ctx, [&](size_t jb, size_t je, size_t) {
      const auto cols = static_cast<Eigen::Index>(je - jb);
      auto g = ws.g[l - 1].middleCols(jb, cols);
      if (L.transposed)
        g.noalias() = ConstMatMap(params_.data() + L.w, L.cols, L.rows) * gz.middleCols(jb, cols);
      else
        g.noalias() =
            ConstMatMap(params_.data() + L.w, L.rows, L.cols).transpose() * gz.middleCols(jb, cols);
      if (ws.dropped_layer == l - 1) g.array() *= ws.mask.middleCols(jb, cols).array();
      multiply_derivative(shape_.encoder, ws.z[l - 1].middleCols(jb, cols).data(),
                          ws.a[l - 1].middleCols(jb, cols).data(), g.data(),
                          static_cast<size_t>(L.cols * cols));
    });
  }

  // Sparse input layer, per feature: each observed input scales its example's hidden delta.
  const Mat& g0 = ws.g[0];
  for_chunks(pool, static_cast<size_t>(m), kChunks, ws.ctx, [&](size_t fb, size_t fe, size_t) {
    std::vector<float> x;
    for (size_t u = fb; u < fe; ++u) {
      const int64_t q0 = batch.feature_ptr[u];
      const auto n = static_cast<size_t>(batch.feature_ptr[u + 1] - q0);
      x.resize(n);
      for (size_t k = 0; k < n; ++k) x[k] = input[batch.entry_pos[q0 + static_cast<int64_t>(k)]];
      kernels::gather_axpy(grad + L0.w + u * static_cast<size_t>(h0), g0.data(),
                           static_cast<size_t>(h0), h0, batch.entry_local.data() + q0, x.data(),
                           n);
    }
  });
  VecMap(grad + L0.b, h0) += g0.rowwise().sum();
  return total;
}

template <typename T>
double AutoRecNet<T>::l2(double lambda, T* grad) const {
  if (lambda == 0) return 0;
  double sum = 0;
  // A tied matrix serves two layers and is penalised for both, as ||W||^2 + ||V||^2 is with
  // W = V'.
  for (const Layer& L : layers_) {
    const auto n = static_cast<Eigen::Index>(L.rows) * L.cols;
    ConstVecMap w(params_.data() + L.w, n);
    sum += static_cast<double>(w.squaredNorm());
    if (grad) VecMap(grad + L.w, n) += static_cast<T>(lambda) * w;
  }
  return 0.5 * lambda * sum;
}

template <typename T>
double AutoRecNet<T>::dense_loss(const Mat& R, const Mat& mask, T* grad, ThreadPool& pool) const {
  if (depth() != 1 || shape_.tied)
    throw Error(ErrorKind::NotSupported, "the dense reference handles one untied hidden layer");
  const int32_t h = shape_.hidden[0], m = shape_.n_features;
  const Layer& L0 = layers_[0];
  const Layer& L1 = layers_[1];
  ConstMatMap V(params_.data() + L0.w, h, m), Wt(params_.data() + L1.w, h, m);
  ConstVecMap b0(params_.data() + L0.b, h), bo(params_.data() + L1.b, m);
  const size_t blocks = static_cast<size_t>(pool.size());
  std::vector<Vec> gbuf(blocks);
  std::vector<double> sse(blocks, 0.0);
  const auto n = static_cast<size_t>(R.cols());
  pool.run(blocks, [&](size_t c, int) {
    auto range = chunk_range(n, blocks, c);
    const auto c0 = static_cast<Eigen::Index>(range.first);
    const auto nc = static_cast<Eigen::Index>(range.second - range.first);
    if (nc == 0) return;
    const auto Rc = R.middleCols(c0, nc);
    const auto Mc = mask.middleCols(c0, nc);
    Mat Z = V * Rc;
    Z.colwise() += b0;
    Mat A(h, nc);
    activate(shape_.encoder, Z.data(), A.data(), static_cast<size_t>(Z.size()));
    Mat O = Wt.transpose() * A;
    O.colwise() += bo;
    Mat Y(m, nc);
    activate(shape_.decoder, O.data(), Y.data(), static_cast<size_t>(O.size()));
    Mat D = Mc.cwiseProduct(Y - Rc);
    sse[c] = static_cast<double>(D.squaredNorm());
    if (!grad) return;
    D *= T(2);
    multiply_derivative(shape_.decoder, O.data(), Y.data(), D.data(), static_cast<size_t>(D.size()));
    Vec& g = gbuf[c];
    g.setZero(static_cast<Eigen::Index>(n_params_));
    MatMap(g.data() + L1.w, h, m).noalias() = A * D.transpose();
    VecMap(g.data() + L1.b, m) = D.rowwise().sum();
    Mat G = Wt * D;
    multiply_derivative(shape_.encoder, Z.data(), A.data(), G.data(), static_cast<size_t>(G.size()));
    MatMap(g.data() + L0.w, h, m).noalias() = G * Rc.transpose();
    VecMap(g.data() + L0.b, h) = G.rowwise().sum();
  });
  double total = 0;
  for (size_t c = 0; c < blocks; ++c) {
    total += sse[c];
    if (grad && gbuf[c].size())
      VecMap(grad, static_cast<Eigen::Index>(n_params_)) += gbuf[c];
  }
  return total;
}

double sparse_epoch_flops(const NetShape& s, size_t nnz, size_t n_examples) {
  // Input layer forward and gradient (2 each per entry and unit), output layer forward, its
  // weight gradient and the delta sent back (2 each per entry and unit), dense layers 3 GEMMs.
  const double h0 = s.hidden.front(), hk = s.hidden.back();
  double f = 2.0 * static_cast<double>(nnz) * (2 * h0 + 3 * hk);
  for (size_t l = 1; l < s.hidden.size(); ++l)
    f += 6.0 * s.hidden[l] * s.hidden[l - 1] * static_cast<double>(n_examples);
  return f;
}

double dense_epoch_flops(const NetShape& s, size_t n_examples) {
  // Five products of hidden x features x examples: V R, W' A, A D', W D, G R'.
  const double h = s.hidden.front();
  return 10.0 * h * s.n_features * static_cast<double>(n_examples);
}

template class AutoRecNet<float>;
template class AutoRecNet<double>;

}  // namespace autorec
