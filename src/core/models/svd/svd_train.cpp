// Training loops of the latent-factor family: SGD on a grid of non-conflicting blocks, ALS with
// one regularised solve per user then per item, SVD++ one user at a time.
#include "core/models/svd/svd_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include "core/parallel.hpp"
#include "core/training/early_stopping.hpp"

namespace autorec {

using svd::Hyper;
using svd::RowMatrixF;

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Factor rows are visited in random order: fetching the row needed kAhead steps later hides
// most of the memory latency when the factors do not fit in cache.
constexpr size_t kAhead = 6;
inline void prefetch_row(const float* base, int32_t row, int k) {
  const char* p = reinterpret_cast<const char*>(base + static_cast<size_t>(row) * k);
  for (int b = 0; b < k * static_cast<int>(sizeof(float)); b += 64) __builtin_prefetch(p + b);
}

// Tasks for a loop over n independent units: many more than threads, so that dynamic
// scheduling evens out uneven units (popular items, heavy users).
size_t task_count(size_t n) { return std::min<size_t>(n, 256); }

class EpochRunner {
 public:
  virtual ~EpochRunner() = default;
  // One pass over the training ratings; returns the train RMSE that pass measured. For SGD
  // and SVD++ that is the RMSE of the errors met during the pass, each before its step (free,
  // and a little above the end-of-epoch value); for ALS the exact RMSE after the epoch.
  virtual double run(int epoch, const Hyper& h) = 0;
};

// Stratified SGD (DSGD, Gemulla et al. 2011; LIBMF's grid): users and items are shuffled into
// G blocks each; the G x G rating blocks are visited one stratum at a time, a stratum being G
// blocks that share no user and no item, so threads never touch the same parameters and the
// result does not depend on which thread ran which block. Ratings are shuffled once inside
// their block; the order of strata is reshuffled every epoch.
class SgdRunner : public EpochRunner {
 public:
  SgdRunner(const RatingMatrix& m, SvdParams& p, ThreadPool& pool, const FitContext& ctx,
            uint64_t seed)
      : p_(p),
        pool_(pool),
        ctx_(ctx),
        seed_(seed),
        g_(sgd_grid_size(m, static_cast<int>(p.P.cols()))),
        nnz_(m.nnz()) {
    const size_t g = static_cast<size_t>(g_);
    std::mt19937_64 rng(seed);
    auto assign = [&](int32_t n) {
      std::vector<int32_t> order(static_cast<size_t>(n)), block(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      for (int32_t r = 0; r < n; ++r)
        block[order[r]] = static_cast<int32_t>(static_cast<int64_t>(r) * g_ / std::max(n, 1));
      return block;
    };
    std::vector<int32_t> ub = assign(m.n_users()), ib = assign(m.n_items());
    block_ptr_.assign(g * g + 1, 0);
    const auto& ptr = m.user_ptr();
    const auto& items = m.user_items();
    const auto& values = m.user_values();
    for (int32_t u = 0; u < m.n_users(); ++u)
      for (int64_t e = ptr[u]; e < ptr[u + 1]; ++e)
        ++block_ptr_[static_cast<size_t>(ub[u]) * g + ib[items[e]] + 1];
    for (size_t b = 0; b < g * g; ++b) block_ptr_[b + 1] += block_ptr_[b];
    entries_.resize(nnz_);
    std::vector<size_t> fill(block_ptr_.begin(), block_ptr_.end() - 1);
    for (int32_t u = 0; u < m.n_users(); ++u)
      for (int64_t e = ptr[u]; e < ptr[u + 1]; ++e)
        entries_[fill[static_cast<size_t>(ub[u]) * g + ib[items[e]]]++] = {u, items[e], values[e]};
    // Shuffling inside each block (small, cache-resident) instead of all ratings at once.
    pool_.run(
        g * g,
        [&](size_t b, int) {
          std::mt19937_64 r(splitmix64(seed_ ^ (b * 0x2545F4914F6CDD1Dull)));
          std::shuffle(entries_.begin() + static_cast<std::ptrdiff_t>(block_ptr_[b]),
                       entries_.begin() + static_cast<std::ptrdiff_t>(block_ptr_[b + 1]), r);
        },
        &ctx_);
    block_sse_.assign(g * g, 0.0);
  }

  double run(int epoch, const Hyper& h) override {
    const size_t g = static_cast<size_t>(g_);
    std::vector<size_t> strata(g);
    std::iota(strata.begin(), strata.end(), 0);
    std::mt19937_64 rng(splitmix64(seed_ + 0x51ED270B27ull * static_cast<uint64_t>(epoch + 1)));
    std::shuffle(strata.begin(), strata.end(), rng);
    const int k = static_cast<int>(p_.P.cols());
    const float mu = static_cast<float>(p_.mean);
    for (size_t s : strata) {
      pool_.run(
          g,
          [&](size_t bu, int) {
            const size_t blk = bu * g + (bu + s) % g;
            double sse = 0;
            const size_t end = block_ptr_[blk + 1];
            for (size_t e = block_ptr_[blk]; e < end; ++e) {
              const Entry& x = entries_[e];
              if (e + kAhead < end) {
                prefetch_row(p_.P.data(), entries_[e + kAhead].u, k);
                prefetch_row(p_.Q.data(), entries_[e + kAhead].i, k);
              }
              float err = svd::mf_sgd_step(x.r, mu, p_.bu[x.u], p_.bi[x.i],
                                           p_.P.data() + static_cast<size_t>(x.u) * k,
                                           p_.Q.data() + static_cast<size_t>(x.i) * k, k, h);
              sse += static_cast<double>(err) * err;
            }
            block_sse_[blk] = sse;
          },
          &ctx_);
    }
    double sse = 0;
    for (double v : block_sse_) sse += v;
    return nnz_ ? std::sqrt(sse / static_cast<double>(nnz_)) : 0.0;
  }

 private:
  struct Entry {
    int32_t u, i;
    float r;
  };
  SvdParams& p_;
  ThreadPool& pool_;
  const FitContext& ctx_;
  uint64_t seed_;
  int g_;
  size_t nnz_;
  std::vector<Entry> entries_;
  std::vector<size_t> block_ptr_;
  std::vector<double> block_sse_;
};

// SVD++ one user at a time (svd::svdpp_user_step), users in a fresh random order each epoch
// and in parallel without locks (Hogwild, Niu et al. 2011): two threads rarely update the same
// item at the same moment and a lost update is harmless to SGD, but the result then depends on
// the timing; with threads = 1 it is exactly reproducible.
class SvdppRunner : public EpochRunner {
 public:
  SvdppRunner(const RatingMatrix& m, SvdParams& p, ThreadPool& pool, const FitContext& ctx,
              uint64_t seed)
      : m_(m), p_(p), pool_(pool), ctx_(ctx), seed_(seed) {
    const int k = static_cast<int>(p_.P.cols());
    for (int w = 0; w < pool_.size(); ++w) scratch_.emplace_back(k);
    order_.resize(static_cast<size_t>(pool_.size()));
  }

  double run(int epoch, const Hyper& h) override {
    const int32_t n_users = m_.n_users();
    std::vector<int32_t> users(static_cast<size_t>(n_users));
    std::iota(users.begin(), users.end(), 0);
    const uint64_t epoch_seed =
        splitmix64(seed_ + 0x7F4A7C15ull * static_cast<uint64_t>(epoch + 1));
    std::mt19937_64 rng(epoch_seed);
    std::shuffle(users.begin(), users.end(), rng);
    const size_t tasks = task_count(users.size());
    std::vector<double> task_sse(tasks, 0.0);
    const int k = static_cast<int>(p_.P.cols());
    const float mu = static_cast<float>(p_.mean);
    pool_.run(
        tasks,
        [&](size_t t, int worker) {
          auto [b, e] = chunk_range(users.size(), tasks, t);
          std::vector<uint32_t>& order = order_[static_cast<size_t>(worker)];
          double sse = 0;
          for (size_t x = b; x < e; ++x) {
            const int32_t u = users[x];
            SparseRow r = m_.user(u);
            order.resize(r.n);
            std::iota(order.begin(), order.end(), 0u);
            std::mt19937 urng(
                static_cast<uint32_t>(splitmix64(epoch_seed ^ static_cast<uint64_t>(u))));
            std::shuffle(order.begin(), order.end(), urng);
            sse += svd::svdpp_user_step(r.index, r.value, r.n, order.data(), mu, p_.bu[u],
                                        p_.bi.data(), p_.P.data() + static_cast<size_t>(u) * k,
                                        p_.Q.data(), p_.Y.data(), k, h,
                                        scratch_[static_cast<size_t>(worker)]);
          }
          task_sse[t] = sse;
        },
        &ctx_);
    double sse = 0;
    for (double v : task_sse) sse += v;
    return m_.nnz() ? std::sqrt(sse / static_cast<double>(m_.nnz())) : 0.0;
  }

 private:
  const RatingMatrix& m_;
  SvdParams& p_;
  ThreadPool& pool_;
  const FitContext& ctx_;
  uint64_t seed_;
  std::vector<svd::SvdppScratch> scratch_;
  std::vector<std::vector<uint32_t>> order_;
};

// ALS with biases: each user's [p_u; b_u] minimises the objective with the item side fixed (a
// (k+1) x (k+1) least-squares problem against rows [q_i, 1]), then each item's [q_i; b_i] with
// the user side fixed. With cg_steps > 0 (the default) each problem is solved approximately by
// that many steps of conjugate gradient from the current factors (ALS-CG, Takacs et al. 2011),
// O(k) per rating and step; with 0, exactly by Cholesky, O(k^2) per rating. Every solve is
// independent and sums in a fixed order, so the result does not depend on the threads.
class AlsRunner : public EpochRunner {
 public:
  AlsRunner(const RatingMatrix& m, SvdParams& p, ThreadPool& pool, const FitContext& ctx,
            int cg_steps)
      : m_(m), p_(p), pool_(pool), ctx_(ctx), cg_steps_(cg_steps) {
    const int d = static_cast<int>(p_.P.cols()) + 1;
    for (int w = 0; w < pool_.size(); ++w) {
      ls_.emplace_back(d);
      sol_.emplace_back(static_cast<size_t>(d));
    }
    if (cg_steps_ > 0) build_item_blocks();
  }

  double run(int, const Hyper& h) override {
    const int k = static_cast<int>(p_.P.cols());
    std::vector<double> reg_user(k + 1, h.reg_pu), reg_item(k + 1, h.reg_qi);
    reg_user[k] = h.reg_bu;
    reg_item[k] = h.reg_bi;
    half_pass(/*users=*/true, reg_user.data());
    const double sse =
        cg_steps_ > 0 ? item_pass_cg(reg_item.data()) : half_pass(/*users=*/false, reg_item.data());
    return std::sqrt(sse / std::max<double>(1.0, m_.nnz()));
  }

 private:
  // The item half by conjugate gradient groups the items into blocks of consecutive items,
  // few enough that a block's CG vectors stay in a core's L2 cache and with about equal rating
  // counts; within a block, the ratings are listed user by user (runs), so that each sweep over
  // them reads the user factors in order, each row once per block, and only the cached item
  // rows at random. Gathering each item's user rows instead copies the large user matrix
  // row by row, at random, every epoch: most of the time of the item half went there.
  struct Run {
    int32_t user, n;
  };
  void build_item_blocks() {
    const int d = static_cast<int>(p_.P.cols()) + 1;
    stride_ = static_cast<size_t>((d + 7) & ~7);
    const int32_t ni = m_.n_items(), nu = m_.n_users();
    const size_t cap = std::max<size_t>(8, (512 * 1024) / (2 * stride_ * sizeof(float)));
    const size_t n_blocks = std::max<size_t>(8, (static_cast<size_t>(ni) + cap - 1) / cap);
    const size_t target = std::max<size_t>(1, m_.nnz() / n_blocks);
    std::vector<int32_t> block_of(static_cast<size_t>(ni));
    block_item_.assign(1, 0);
    size_t in_block = 0, block_nnz = 0;
    for (int32_t i = 0; i < ni; ++i) {
      if (in_block == cap || block_nnz >= target) {
        block_item_.push_back(i);
        in_block = block_nnz = 0;
      }
      block_of[static_cast<size_t>(i)] = static_cast<int32_t>(block_item_.size() - 1);
      ++in_block;
      block_nnz += m_.item(i).n;
    }
    block_item_.push_back(ni);
    const size_t nb = block_item_.size() - 1;
    // Counts, then fills: entries and runs of block b start at entry_ptr_[b] and run_ptr_[b].
    std::vector<size_t> n_entries(nb + 1, 0), n_runs(nb + 1, 0);
    std::vector<int32_t> last(nb, -1);
    for (int32_t u = 0; u < nu; ++u) {
      SparseRow r = m_.user(u);
      for (size_t j = 0; j < r.n; ++j) {
        const size_t b = static_cast<size_t>(block_of[static_cast<size_t>(r.index[j])]);
        ++n_entries[b + 1];
        if (last[b] != u) last[b] = u, ++n_runs[b + 1];
      }
    }
    for (size_t b = 0; b < nb; ++b) {
      n_entries[b + 1] += n_entries[b];
      n_runs[b + 1] += n_runs[b];
    }
    entry_ptr_ = n_entries;
    run_ptr_ = n_runs;
    entry_item_.resize(m_.nnz());
    entry_value_.resize(m_.nnz());
    runs_.resize(run_ptr_[nb]);
    std::fill(last.begin(), last.end(), -1);
    for (int32_t u = 0; u < nu; ++u) {
      SparseRow r = m_.user(u);
      for (size_t j = 0; j < r.n; ++j) {
        const size_t b = static_cast<size_t>(block_of[static_cast<size_t>(r.index[j])]);
        if (last[b] != u) {
          last[b] = u;
          runs_[n_runs[b]++] = {u, 0};
        }
        ++runs_[n_runs[b] - 1].n;
        const size_t e = n_entries[b]++;
        entry_item_[e] = r.index[j] - block_item_[b];
        entry_value_[e] = r.value[j];
      }
    }
    for (int w = 0; w < pool_.size(); ++w) cg_scratch_.emplace_back(5 * cap * stride_);
  }

  // One sweep over the ratings of block b (svd::user_sweep for each run).
  template <svd::Sweep S>
  double sweep(size_t b, const float* v, float* acc, float* diag, float* x) const {
    const int k = static_cast<int>(p_.P.cols());
    const float mu = static_cast<float>(p_.mean);
    size_t e = entry_ptr_[b];
    double sse = 0;
    for (size_t q = run_ptr_[b]; q < run_ptr_[b + 1]; ++q) {
      const Run& run = runs_[q];
      if (q + 8 < run_ptr_[b + 1]) prefetch_row(p_.P.data(), runs_[q + 8].user, k);
      svd::copy_floats(x, p_.P.data() + static_cast<size_t>(run.user) * k, k);
      sse += svd::user_sweep<S>(x, k + 1, entry_item_.data() + e, entry_value_.data() + e,
                                static_cast<size_t>(run.n), mu + p_.bu[run.user], v, stride_, acc,
                                diag);
      e += static_cast<size_t>(run.n);
    }
    return sse;
  }

  // The item half by conjugate gradient, LeastSquares::solve_cg's iteration for the items of a
  // block at once, from the current item factors; each block is one task. Returns the sum of
  // squared residuals after the solves.
  double item_pass_cg(const double* reg) {
    const int k = static_cast<int>(p_.P.cols()), d = k + 1;
    const size_t m = stride_, nb = block_item_.size() - 1;
    std::vector<double> block_sse(nb, 0.0);
    pool_.run(
        nb,
        [&](size_t b, int worker) {
          const int32_t i0 = block_item_[b], i1 = block_item_[b + 1];
          const size_t n_items = static_cast<size_t>(i1 - i0), len = n_items * m;
          std::vector<float>& scratch = cg_scratch_[static_cast<size_t>(worker)];
          std::fill(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(5 * len), 0.0f);
          float *W = scratch.data(), *R = W + len, *D = R + len, *Pd = D + len, *Q = Pd + len;
          std::vector<float> xbuf(m, 0.0f);  // [p_u, 1], zero padded
          float* x = xbuf.data();
          x[k] = 1.0f;
          std::vector<double> rz(n_items, 0.0), stop(n_items, 0.0);
          for (size_t a = 0; a < n_items; ++a) {
            const int32_t i = i0 + static_cast<int32_t>(a);
            svd::copy_floats(W + a * m, p_.Q.data() + static_cast<size_t>(i) * k, k);
            W[a * m + static_cast<size_t>(k)] = p_.bi[i];
          }
          sweep<svd::Sweep::Residual>(b, W, R, D, x);
          for (size_t a = 0; a < n_items; ++a) {
            const double n = static_cast<double>(m_.item(i0 + static_cast<int32_t>(a)).n);
            float *w = W + a * m, *r = R + a * m, *diag = D + a * m, *p = Pd + a * m;
            if (n == 0) {  // nothing to fit: the penalty alone puts the minimum at 0
              std::fill(w, w + d, 0.0f);
              continue;
            }
            double s = 0;
            for (int j = 0; j < d; ++j) {
              const float nr = static_cast<float>(n * reg[j]);
              r[j] -= nr * w[j];
              diag[j] = diag[j] + nr > 0.0f ? diag[j] + nr : 1.0f;
              p[j] = r[j] / diag[j];
              s += static_cast<double>(r[j]) * p[j];
            }
            rz[a] = s;
            stop[a] = s * svd::kCgTolerance;
          }
          for (int step = 0; step < cg_steps_; ++step) {
            std::fill(Q, Q + len, 0.0f);
            sweep<svd::Sweep::Product>(b, Pd, Q, nullptr, x);
            for (size_t a = 0; a < n_items; ++a) {
              if (!(rz[a] > stop[a])) continue;
              const double n = static_cast<double>(m_.item(i0 + static_cast<int32_t>(a)).n);
              float *w = W + a * m, *r = R + a * m, *diag = D + a * m, *p = Pd + a * m,
                    *q = Q + a * m;
              double pq = 0;
              for (int j = 0; j < d; ++j) {
                q[j] += static_cast<float>(n * reg[j]) * p[j];
                pq += static_cast<double>(p[j]) * q[j];
              }
              if (!(pq > 0)) {
                rz[a] = 0;
                continue;
              }
              const float alpha = static_cast<float>(rz[a] / pq);
              double s = 0;
              for (int j = 0; j < d; ++j) {
                w[j] += alpha * p[j];
                r[j] -= alpha * q[j];
                s += static_cast<double>(r[j]) * r[j] / diag[j];
              }
              const float beta = static_cast<float>(s / rz[a]);
              for (int j = 0; j < d; ++j) p[j] = r[j] / diag[j] + beta * p[j];
              rz[a] = s;
            }
          }
          for (size_t a = 0; a < n_items; ++a) {
            const int32_t i = i0 + static_cast<int32_t>(a);
            float* w = W + a * m;
            bool ok = true;
            for (int j = 0; j < d; ++j) ok = ok && std::isfinite(w[j]);
            if (!ok) exact_solve(false, i, reg, worker, w);
            svd::copy_floats(p_.Q.data() + static_cast<size_t>(i) * k, w, k);
            p_.bi[i] = w[k];
          }
          block_sse[b] = sweep<svd::Sweep::Error>(b, W, nullptr, nullptr, x);
        },
        &ctx_);
    double sse = 0;
    for (double v : block_sse) sse += v;
    return sse;
  }

  // Loads ls with the least-squares problem of user (or item) idx: the other side's factor rows
  // with a trailing 1 for the bias, the ratings less the mean and the other side's biases.
  void gather(bool users, int32_t idx, svd::LeastSquares& ls) const {
    const int k = static_cast<int>(p_.P.cols());
    const RowMatrixF& other = users ? p_.Q : p_.P;
    const Eigen::VectorXf& other_bias = users ? p_.bi : p_.bu;
    const float mu = static_cast<float>(p_.mean);
    SparseRow r = users ? m_.user(idx) : m_.item(idx);
    ls.set_rows(r.n);
    for (size_t j = 0; j < r.n; ++j) {
      const int32_t o = r.index[j];
      if (j + kAhead < r.n) prefetch_row(other.data(), r.index[j + kAhead], k);
      float* x = ls.row(j);
      svd::copy_floats(x, other.data() + static_cast<size_t>(o) * k, k);
      x[k] = 1.0f;
      ls.target(j) = r.value[j] - mu - other_bias[o];
    }
  }

  // The exact solve for user (or item) idx into out (k + 1 floats).
  void exact_solve(bool users, int32_t idx, const double* reg, int worker, float* out) {
    svd::LeastSquares& ls = ls_[static_cast<size_t>(worker)];
    gather(users, idx, ls);
    ls.solve(reg, out);
  }

  // Solves every user (or item) against the fixed other side, exactly or (users only) by
  // conjugate gradient from the current factors; returns the sum of squared residuals after
  // the solves of items (0 for users).
  double half_pass(bool users, const double* reg) {
    const int k = static_cast<int>(p_.P.cols());
    const int32_t n = users ? m_.n_users() : m_.n_items();
    RowMatrixF& self = users ? p_.P : p_.Q;
    Eigen::VectorXf& self_bias = users ? p_.bu : p_.bi;
    const size_t tasks = task_count(static_cast<size_t>(n));
    std::vector<double> task_sse(tasks, 0.0);
    pool_.run(
        tasks,
        [&](size_t t, int worker) {
          auto [b, e] = chunk_range(static_cast<size_t>(n), tasks, t);
          svd::LeastSquares& ls = ls_[static_cast<size_t>(worker)];
          float* sol = sol_[static_cast<size_t>(worker)].data();
          double sse = 0;
          for (size_t a = b; a < e; ++a) {
            const int32_t idx = static_cast<int32_t>(a);
            gather(users, idx, ls);
            if (cg_steps_ > 0) {
              svd::copy_floats(sol, self.data() + static_cast<size_t>(idx) * k, k);
              sol[k] = self_bias[idx];
              ls.solve_cg(reg, sol, cg_steps_);
            } else {
              ls.solve(reg, sol);
            }
            std::copy(sol, sol + k, self.data() + static_cast<size_t>(idx) * k);
            self_bias[idx] = sol[k];
            if (!users) sse += ls.residual(sol);
          }
          task_sse[t] = sse;
        },
        &ctx_);
    double sse = 0;
    for (double v : task_sse) sse += v;
    return sse;
  }

  const RatingMatrix& m_;
  SvdParams& p_;
  ThreadPool& pool_;
  const FitContext& ctx_;
  int cg_steps_;
  std::vector<svd::LeastSquares> ls_;
  // Item half by conjugate gradient (build_item_blocks): row stride of its vectors, first item
  // of each block (and the end), where each block's runs and entries start, the runs, the
  // entries (item index within the block, rating), per worker room for the block's vectors.
  size_t stride_ = 0;
  std::vector<int32_t> block_item_;
  std::vector<size_t> entry_ptr_, run_ptr_;
  std::vector<Run> runs_;
  std::vector<int32_t> entry_item_;
  std::vector<float> entry_value_;
  std::vector<std::vector<float>> cg_scratch_;
  std::vector<std::vector<float>> sol_;
};

// RMSE of the clipped predictions on held-out ratings. SVD++ needs each user's implicit sum
// over the training items, computed once here.
double validation_rmse(const SvdOptions& opt, const RatingMatrix& train,
                       const std::vector<Triple>& val, float lo, float hi, const SvdParams& p,
                       ThreadPool& pool, const FitContext& ctx) {
  const int k = static_cast<int>(p.P.cols());
  RowMatrixF z;
  const bool implicit = opt.method == SvdOptions::Method::Svdpp;
  if (implicit) {
    z = p.P;
    const size_t tasks = task_count(static_cast<size_t>(train.n_users()));
    pool.run(
        tasks,
        [&](size_t t, int) {
          auto [b, e] = chunk_range(static_cast<size_t>(train.n_users()), tasks, t);
          for (size_t u = b; u < e; ++u) {
            SparseRow r = train.user(static_cast<int32_t>(u));
            if (r.n == 0) continue;
            Eigen::VectorXf s = Eigen::VectorXf::Zero(k);
            for (size_t j = 0; j < r.n; ++j) s += p.Y.row(r.index[j]).transpose();
            z.row(static_cast<Eigen::Index>(u)) +=
                s.transpose() / std::sqrt(static_cast<float>(r.n));
          }
        },
        &ctx);
  }
  const RowMatrixF& users = implicit ? z : p.P;
  const size_t tasks = task_count(val.size());
  std::vector<double> task_sse(tasks, 0.0);
  pool.run(
      tasks,
      [&](size_t t, int) {
        auto [b, e] = chunk_range(val.size(), tasks, t);
        double sse = 0;
        for (size_t x = b; x < e; ++x) {
          const Triple& v = val[x];
          double pred =
              p.mean + p.bu[v.user] + p.bi[v.item] + users.row(v.user).dot(p.Q.row(v.item));
          pred = std::min<double>(std::max<double>(pred, lo), hi);
          sse += (v.rating - pred) * (v.rating - pred);
        }
        task_sse[t] = sse;
      },
      &ctx);
  double sse = 0;
  for (double v : task_sse) sse += v;
  return std::sqrt(sse / static_cast<double>(val.size()));
}

}  // namespace

size_t svd_workspace_bytes(const SvdOptions& opt, const TrainingSize& size) {
  const double nnz = static_cast<double>(size.nnz), threads = size.threads;
  const double d = opt.factors + 1.0, stride = opt.factors + 9.0;
  // The longest row a least-squares problem gathers, at most every user or item.
  const double longest = std::min(nnz, static_cast<double>(std::max(size.n_users, size.n_items)));
  switch (opt.method) {
    case SvdOptions::Method::Sgd:  // entries grouped by block, and the grid's offsets
      return static_cast<size_t>(12 * nnz + 8.0 * 64 * 64);
    case SvdOptions::Method::Svdpp:  // a visiting order and scratch vectors per thread
      return static_cast<size_t>(threads * (4 * longest + 8 * d) + 8 * size.n_users);
    case SvdOptions::Method::Als: {
      // Per thread: the normal equations (d x d, padded) and a gathered row per rating of the
      // longest row (grown by doubling); with CG the item blocks' entries, runs and five
      // vectors per block item (cap * stride >= 64K floats, see build_item_blocks).
      double per_thread = 4 * (d + 8) * (d + 8) + 2 * 4 * stride * longest + 8 * stride;
      double shared = 0;
      if (opt.cg_steps > 0) {
        per_thread += 5 * 4 * std::max(8.0 * stride, 65536.0);
        shared = 8 * nnz + 8 * nnz + 16 * size.n_items;
      }
      return static_cast<size_t>(threads * per_thread + shared);
    }
  }
  return 0;
}

int sgd_grid_size(const RatingMatrix& m, int factors) {
  // One block when the data is tiny (threads would only add barriers); otherwise at least 8
  // blocks per stratum to balance the threads, and more when needed to keep one block's user
  // and item factors (1/G of each) within about 256 KiB, in a core's L2 cache.
  if (m.nnz() < 20000) return 1;
  const double bytes = (static_cast<double>(m.n_users()) + m.n_items()) * factors * sizeof(float);
  const int g = static_cast<int>(std::ceil(bytes / (256.0 * 1024)));
  return std::min(64, std::max(8, g));
}

void train_svd(const SvdOptions& opt, const RatingMatrix& train,
               const std::vector<Triple>& validation, float clip_lo, float clip_hi,
               SvdParams& params, FitContext& ctx) {
  ThreadPool pool(ctx.threads);
  const uint64_t seed = splitmix64(ctx.seed ^ 0x5BD1E995ull);
  std::unique_ptr<EpochRunner> runner;
  switch (opt.method) {
    case SvdOptions::Method::Sgd:
      runner = std::make_unique<SgdRunner>(train, params, pool, ctx, seed);
      break;
    case SvdOptions::Method::Svdpp:
      runner = std::make_unique<SvdppRunner>(train, params, pool, ctx, seed);
      break;
    case SvdOptions::Method::Als:
      runner = std::make_unique<AlsRunner>(train, params, pool, ctx, opt.cg_steps);
      break;
  }
  Hyper h = opt.hyper;
  const bool validate = !validation.empty();
  SvdParams best;
  EarlyStopping stopping(opt.patience);
  for (int e = 0; e < opt.epochs; ++e) {
    ctx.check_interrupt();
    auto start = std::chrono::steady_clock::now();
    EpochStats s;
    s.epoch = e + 1;
    s.train_rmse = runner->run(e, h);
    if (!std::isfinite(s.train_rmse))
      throw Error(ErrorKind::InvalidParameter,
                  "svd training diverged in epoch " + std::to_string(e + 1) +
                      " (the train RMSE is not finite)",
                  "Lower learning_rate (or lr_bias/lr_factors), or raise regularization.");
    if (validate)
      s.validation_rmse =
          validation_rmse(opt, train, validation, clip_lo, clip_hi, params, pool, ctx);
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ctx.epoch_done(s, opt.epochs);
    if (validate) {
      const EarlyStopping::Verdict verdict = stopping.offer(s.validation_rmse);
      if (verdict == EarlyStopping::Verdict::Improved) {
        best = params;
      } else if (verdict == EarlyStopping::Verdict::Stop) {
        break;  // Recommender::fit says so ("stopped early after epoch N of M ...")
      }
    }
    const float decay = static_cast<float>(opt.lr_decay);
    h.lr_bu *= decay;
    h.lr_bi *= decay;
    h.lr_pu *= decay;
    h.lr_qi *= decay;
    h.lr_yj *= decay;
  }
  if (validate && best.P.size() == params.P.size()) params = std::move(best);
}

}  // namespace autorec
