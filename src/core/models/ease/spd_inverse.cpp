// Blocked, thread-pool parallel inverse of a symmetric positive definite matrix (LAPACK's potrf,
// trtri and lauum steps, each block handed to Eigen).
#include "core/models/ease/spd_inverse.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/model.hpp"
#include "core/parallel.hpp"

namespace autorec {
namespace {

using Eigen::Index;
constexpr Index kBlock = 128;

size_t blocks(Index n) { return static_cast<size_t>((n + kBlock - 1) / kBlock); }

// Lower Cholesky factor in place: per diagonal block, factor it, solve the panel below it by row
// blocks, then update the trailing lower triangle by column blocks.
template <typename T>
void cholesky(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& a, ThreadPool& pool,
              const FitContext& ctx) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const Index n = a.rows();
  for (Index k0 = 0; k0 < n; k0 += kBlock) {
    ctx.check_interrupt();
    const Index w = std::min(kBlock, n - k0), k1 = k0 + w, m = n - k1;
    {
      Eigen::Ref<Mat> diag = a.block(k0, k0, w, w);
      Eigen::LLT<Eigen::Ref<Mat>> llt(diag);
      if (llt.info() != Eigen::Success)
        throw Error(ErrorKind::Internal, "the regularised Gram matrix is not positive definite",
                    "Raise the option lambda.");
    }
    if (m == 0) break;
    const auto l11 = a.block(k0, k0, w, w).template triangularView<Eigen::Lower>();
    pool.run(blocks(m), [&](size_t t, int) {
      const Index r0 = k1 + static_cast<Index>(t) * kBlock, h = std::min(kBlock, n - r0);
      auto panel = a.block(r0, k0, h, w);
      l11.transpose().template solveInPlace<Eigen::OnTheRight>(panel);
    });
    pool.run(blocks(m), [&](size_t t, int) {
      const Index j0 = k1 + static_cast<Index>(t) * kBlock, h = std::min(kBlock, n - j0);
      a.block(j0, j0, n - j0, h).noalias() -=
          a.block(j0, k0, n - j0, w) * a.block(j0, k0, h, w).transpose();
    });
  }
}

}  // namespace

template <typename T>
void invert_spd(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& a, ThreadPool& pool,
                const FitContext& ctx) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const Index n = a.rows();
  cholesky(a, pool, ctx);
  ctx.check_interrupt();
  // L^-1 by column blocks: block J of it is zero above its diagonal, so it solves only the
  // trailing triangle. Largest blocks first (task order), so the threads finish together.
  Mat inv = Mat::Zero(n, n);
  pool.run(
      blocks(n),
      [&](size_t t, int) {
        const Index c0 = static_cast<Index>(t) * kBlock, w = std::min(kBlock, n - c0);
        auto x = inv.block(c0, c0, n - c0, w);
        x.topRows(w).setIdentity();
        a.block(c0, c0, n - c0, n - c0).template triangularView<Eigen::Lower>().solveInPlace(x);
      },
      &ctx);
  // A^-1 = L^-T L^-1, its lower triangle by row blocks: row block I needs the rows of L^-1 from
  // its first index on (the ones above are zero in its columns).
  pool.run(
      blocks(n),
      [&](size_t t, int) {
        const Index i0 = static_cast<Index>(t) * kBlock, h = std::min(kBlock, n - i0);
        a.block(i0, 0, h, i0 + h).noalias() =
            inv.block(i0, i0, n - i0, h).transpose() * inv.block(i0, 0, n - i0, i0 + h);
      },
      &ctx);
  inv.resize(0, 0);
  for (Index j = 1; j < n; ++j)
    for (Index i = 0; i < j; ++i) a(i, j) = a(j, i);
}

template void invert_spd<float>(Eigen::MatrixXf&, ThreadPool&, const FitContext&);
template void invert_spd<double>(Eigen::MatrixXd&, ThreadPool&, const FitContext&);

}  // namespace autorec
