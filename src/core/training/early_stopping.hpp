// Early stopping on a validation score, written once for every family that trains in epochs:
// it remembers the best score and says when `patience` epochs in a row did not improve on it.
#pragma once

#include <cmath>
#include <limits>

namespace autorec {

// Lower scores are better (validation RMSE). The caller keeps its own copy of the parameters
// of the best epoch (offer() returns Improved when it should) and restores it at the end when
// has_best() -- the parameters differ per family, the bookkeeping does not.
class EarlyStopping {
 public:
  enum class Verdict { Improved, Continue, Stop };

  // An epoch improves when its score is below the best by more than min_delta.
  explicit EarlyStopping(int patience, double min_delta = 0)
      : patience_(patience), min_delta_(min_delta) {}

  // Records one epoch's score. NaN (no validation data) neither improves nor counts.
  Verdict offer(double score) {
    if (std::isnan(score)) return Verdict::Continue;
    if (score < best_ - min_delta_) {
      best_ = score;
      since_best_ = 0;
      has_best_ = true;
      return Verdict::Improved;
    }
    return ++since_best_ >= patience_ ? Verdict::Stop : Verdict::Continue;
  }

  // The score of parameters the training starts from (e.g. the initial weights), so that a
  // run that only gets worse keeps them; does not count as an epoch.
  void start_from(double score) {
    best_ = score;
    since_best_ = 0;
    has_best_ = true;
  }

  bool has_best() const { return has_best_; }
  double best() const { return best_; }
  // Epochs since the best one (after a Stop: how many epochs the kept parameters are old).
  int epochs_since_best() const { return since_best_; }

 private:
  int patience_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::infinity();
  int since_best_ = 0;
  bool has_best_ = false;
};

}  // namespace autorec
