// The inverse of a dense symmetric positive definite matrix on the project's thread pool
// (Eigen's own parallelism needs OpenMP, which the extension does not use): a blocked
// right-looking Cholesky factorisation, the inverse of the triangular factor by column blocks,
// and the product L^-T L^-1 by row blocks, each block an Eigen kernel; n^3 flops in all.
#pragma once

#include "core/eigen.hpp"
#include <Eigen/Dense>

namespace autorec {

class FitContext;
class ThreadPool;

// Replaces `a` (only its lower triangle is read) with its inverse, full and symmetric. Holds one
// more matrix of the same size while it works. Throws Error(Internal) when `a` is not positive
// definite; polls ctx between blocks.
template <typename T>
void invert_spd(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& a, ThreadPool& pool,
                const FitContext& ctx);

}  // namespace autorec
