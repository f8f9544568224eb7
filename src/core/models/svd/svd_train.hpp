// Training loops of the latent-factor family: block-stratified parallel SGD, ALS and per-user
// SVD++, with per-epoch history and early stopping on a validation set.
#pragma once

#include <vector>

#include "core/model.hpp"
#include "core/models/svd/svd.hpp"

namespace autorec {

// Trains `params` (already initialised, sized for train's users and items) on `train`. Every
// epoch is reported with ctx.epoch_done(). With a non-empty validation set, training stops when
// its RMSE has not improved for opt.patience epochs and the best epoch's parameters are
// restored. Validation predictions are clipped to [clip_lo, clip_hi], as served.
void train_svd(const SvdOptions& opt, const RatingMatrix& train,
               const std::vector<Triple>& validation, float clip_lo, float clip_hi,
               SvdParams& params, FitContext& ctx);

// Bytes the training loop of opt.method allocates beyond the parameters: the SGD entry list, ALS
// per-thread normal equations and conjugate-gradient blocks, SVD++ per-thread visiting orders.
size_t svd_workspace_bytes(const SvdOptions& opt, const TrainingSize& size);

// Number of user (and item) blocks of the SGD grid: it depends on the data and the factor
// count only, never on the thread count, which is what makes SGD results identical for any
// number of threads.
int sgd_grid_size(const RatingMatrix& m, int factors);

}  // namespace autorec
