// A ranking autoencoder for top-N lists: Mult-DAE (Liang, Krishnan, Hoffman, Jebara, "Variational
// Autoencoders for Collaborative Filtering", WWW 2018), the denoising autoencoder of the AutoRec
// family turned into a model of which items a user picks. A user's items x_u (binary) are
// L2-normalised, dropped out (training only), encoded by a sparse input layer and dense hidden
// layers, and decoded into a softmax over ALL items trained with the multinomial
// log-likelihood, so unobserved items are pushed down as the observed ones are pulled up.
//
// Options (defaults chosen on validation splits of the training data of ML-100K u1 and of the
// ML-1M 90% part, 10% held out; test/bench/bench_ranking_autorec.cpp --select 1 to 4; the
// defaults maximise the sum of the two validation NDCG@10):
//   hidden         encoder sizes, the decoder mirrors them: [600, 200] is the paper's
//                  I -> 600 -> 200 -> 600 -> I; [200] is I -> 200 -> I. Default [200]: [600, 200]
//                  validated clearly worse here (NDCG@10 0.157 vs 0.182 on ML-1M) at 4x the
//                  cost, [400] and [600] no better.
//   activation     of the hidden layers: tanh (default), or any of activation_names()
//   dropout        input dropout rate in [0, 0.95) (default 0.7; 0.5 and 0.6 validated worse,
//                  0.8 the same); kept inputs are scaled by 1 / (1 - rate)
//   epochs         passes over the users (default 40)
//   batch_size     users per Adam step (default 128)
//   learning_rate  Adam's step size (default 0.002). The three trade off: ML-1M, with 6x
//                  ML-100K's users, takes 6x the steps per epoch and overfits a little at the
//                  defaults; the paper's 500 users per step at 0.001 for 100 epochs validates
//                  best there (0.215 vs 0.209) but worst on ML-100K (0.213 vs 0.226).
//   lambda         L2 penalty: loss = mean over a batch's users of the negative log-likelihood
//                  + lambda / 2 * (squared weights, biases excluded). Default 0.001; 0.1 and
//                  more ruin the model (the dropout already regularises).
//   threshold      when set, only ratings >= threshold are a user's items (input and target);
//                  absent (default): every observed pair counts as 1. On MovieLens with
//                  relevance = rating >= 4, 3.5 validates better (NDCG@10 at dropout 0.7:
//                  ML-100K 0.225 vs 0.208, ML-1M 0.207 vs 0.197) but it is no default, being
//                  meaningless for implicit data.
//   seed           the common option (FitContext::seed): initial weights, user order, dropout
// Serving: score() is the forward pass without dropout on the profile's items (their
// thresholded, normalised 0/1 vector), which is the same for a training user and for a new
// user (index -1) given those items at query time: fold-in costs one forward pass, about
// n_items x hidden multiply-adds. Scores are logits (ranking scores, not ratings); predict()
// returns the logit of one item.
//
// Training cost per epoch: the sparse input layer touches only the users' items; the output
// layer and the softmax are dense, users x items x hidden[0] multiply-adds three times
// (logits, delta of the hidden layer, weight gradient), computed as blocked matrix products
// on the thread pool.
#pragma once

#include <memory>
#include <vector>

#include "core/model.hpp"
#include "core/models/autorec/ranking_network.hpp"

namespace autorec {

class Options;

struct RankingAutoencoderOptions {
  std::vector<int32_t> hidden{200};
  Activation activation = Activation::Tanh;
  double dropout = 0.7;
  int32_t epochs = 40;
  int32_t batch_size = 128;
  double learning_rate = 0.002;
  double lambda = 0.001;
  bool has_threshold = false;
  double threshold = 0;

  static RankingAutoencoderOptions read(Options& o);
};

class RankingAutoencoderModel : public Model {
 public:
  explicit RankingAutoencoderModel(const RankingAutoencoderOptions& o) : opt_(o) {}
  std::string algorithm() const override { return "ranking_autorec"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  // The peak of fit() (what estimated_memory() reports as training).
  size_t estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  const MultNet<float>& network() const { return net_; }
  // The bytes fit() actually held at its peak (buffers it allocated, by their sizes), for the
  // test of estimated_training_bytes().
  size_t measured_training_bytes() const { return measured_bytes_; }
  // The mean training loss of each epoch of the last fit().
  const std::vector<double>& losses() const { return losses_; }

 private:
  // The profile's items that count (threshold) and their normalised input values.
  void input_of(const SparseRow& r, std::vector<int32_t>& items, std::vector<float>& values) const;
  bool counts(float rating) const { return !opt_.has_threshold || rating >= opt_.threshold; }

  RankingAutoencoderOptions opt_;
  MultNet<float> net_;
  size_t measured_bytes_ = 0;
  std::vector<double> losses_;
};

// Reads and validates the options; the lead registers it under an algorithm name.
std::unique_ptr<Model> make_ranking_autorec_model(Options& o);

}  // namespace autorec
