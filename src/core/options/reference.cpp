// The option reference: the specs the parser records, the one-line descriptions below.
#include "core/options/reference.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"
#include "core/options/source.hpp"

namespace autorec {
namespace {

struct OptionDoc {
  const char* name;
  const char* text;
};

// Options read for every algorithm (the source's) or every algorithm of a kind (training).
const std::vector<OptionDoc> kCommonDocs = {
    {"user_column", "the source's user id column (any integer type)"},
    {"item_column", "the source's item id column (any integer type)"},
    {"rating_column",
     "the source's rating column (any numeric type); unset, the column rating if the source has "
     "one; when given, a missing column is an error"},
    {"weight_column",
     "implicit input: the weight of each interaction (a count, plays; > 0); unset, each row "
     "weighs 1"},
    {"implicit", "read the source as interactions, its ratings ignored"},
    {"min_rating",
     "implicit input from an explicit table: only the rows rated at least this; unset, every row"},
    {"time_column",
     "time decay (implicit input, with half_life_days): the column holding each interaction's "
     "time (timestamptz, timestamp, date or a number of seconds); unset, no decay"},
    {"half_life_days",
     "time decay (with time_column): an interaction weighs 2^(-age / half_life_days), its age "
     "from the latest time in the source"},
    {"seed", "random seed: a fixed seed makes a run reproducible (see each family about threads)"},
    {"threads", "training threads; 0 = every core"},
    {"verbose", "per-epoch progress ('epoch N of M') as NOTICEs; otherwise DEBUG1 messages"},
    {"baseline_epochs", "ALS epochs of the baseline (mu + b_u + b_i) fitted as the fallback"},
    {"baseline_reg_user", "the fallback baseline's penalty on user biases"},
    {"baseline_reg_item", "the fallback baseline's penalty on item biases"},
    {"rank_by",
     "what recommend() orders by: blend (the predicted rating blended with an itemknn "
     "companion's score) or rating (the predicted rating alone)"},
    {"rank_beta",
     "weight of the predicted rating in the ranking blend (0 = the companion alone; larger = "
     "closer to the rating order)"},
};

// Each family's own options, keyed by name.
const std::map<std::string, std::vector<OptionDoc>> kFamilyDocs = {
    {"baseline",
     {
         {"epochs", "ALS epochs over the user and item biases"},
         {"reg_user", "penalty on the user biases"},
         {"reg_item", "penalty on the item biases"},
     }},
    {"knn",
     {
         {"kind", "item-based (neighbour items) or user-based (neighbour users)"},
         {"similarity", "similarity of two items (users) over their co-ratings"},
         {"shrinkage", "shrinks similarities of few co-ratings; pearson_baseline only"},
         {"min_support", "fewest co-ratings for a similarity to count"},
         {"k", "neighbours used per prediction"},
         {"min_k", "fewer neighbours than this: the predictor's fallback"},
         {"predictor", "as Surprise's KNNBasic, KNNWithMeans, KNNWithZScore, KNNBaseline"},
         {"max_neighbors", "neighbours stored per item (user): bounds model size and memory"},
         {"prune_shrinkage",
          "which neighbours are stored: the largest sim * n / (n + prune_shrinkage), n = "
          "co-ratings"},
         {"damping", "added to the sum of similarities of means, zscore and baseline (not basic)"},
     }},
    {"svd",
     {
         {"method", "sgd (biased SVD), als (alternating least squares) or svdpp (SVD++)"},
         {"factors", "latent factors"},
         {"epochs", "training epochs"},
         {"learning_rate", "sets every learning rate (sgd, svdpp)"},
         {"lr_bias", "learning rate of both biases (overrides learning_rate)"},
         {"lr_factors", "learning rate of both factor matrices (overrides learning_rate)"},
         {"lr_bu", "learning rate of the user biases (overrides lr_bias)"},
         {"lr_bi", "learning rate of the item biases (overrides lr_bias)"},
         {"lr_pu", "learning rate of the user factors (overrides lr_factors)"},
         {"lr_qi", "learning rate of the item factors (overrides lr_factors)"},
         {"lr_yj", "learning rate of the implicit factors y_j (svdpp)"},
         {"lr_decay", "the learning rates shrink by this factor per epoch"},
         {"regularization", "sets every penalty"},
         {"reg_bias", "penalty on both biases (overrides regularization)"},
         {"reg_factors", "penalty on both factor matrices (overrides regularization)"},
         {"reg_bu", "penalty on the user biases (overrides reg_bias)"},
         {"reg_bi", "penalty on the item biases (overrides reg_bias)"},
         {"reg_pu", "penalty on the user factors (overrides reg_factors)"},
         {"reg_qi", "penalty on the item factors (overrides reg_factors)"},
         {"reg_yj", "penalty on the implicit factors y_j (svdpp)"},
         {"init_std", "standard deviation of the initial factors"},
         {"cg_steps",
          "conjugate-gradient steps per least-squares solve; 0 = exact Cholesky solves"},
         {"validation_fraction",
          "share of the ratings held out for early stopping; 0 = off"},
         {"patience", "early stopping: epochs without improvement before stopping"},
     }},
    {"autorec",
     {
         {"variant", "item (I-AutoRec: one input per item) or user (U-AutoRec)"},
         {"hidden", "hidden layer sizes; [500, 250, 500] is the deep model"},
         {"encoder", "activation of the hidden layers"},
         {"decoder", "activation of the output layer"},
         {"tied_weights", "decoder weights are the transposed encoder's (needs a symmetric hidden)"},
         {"pretrain", "greedy layer-wise pretraining"},
         {"residual", "outputs are offsets from the item's (user's) baseline bias"},
         {"validation_fraction",
          "share of the ratings held out for early stopping on validation RMSE (best weights "
          "restored); 0 = off"},
         {"refit", "after early stopping, train 30% more epochs on all training ratings"},
         {"optimizer", "lbfgs, rprop or adam"},
         {"lambda",
          "L2 penalty on the summed loss; the default is for one hidden layer (10 with more, "
          "also divided by 16 with the sigmoid decoder)"},
         {"pretrain_lambda", "penalty of the first (one-layer) pretraining stage"},
         {"learning_rate", "step size (rprop's initial step, adam's rate)"},
         {"epochs", "most training epochs"},
         {"batch_size", "ratings vectors per adam step"},
         {"patience", "early stopping: epochs without improvement before stopping"},
         {"denoising", "input dropout rate (rprop or adam)"},
         {"dropout",
          "training-time dropout rate of the middle hidden layer (rprop or adam); 0 = off"},
     }},
    {"content",
     {
         {"user_features",
          "a table, view or SELECT query of user features, with the user id column; one of "
          "user_features and item_features is required"},
         {"item_features", "a table, view or SELECT query of item features, with the item id column"},
         {"use_ids", "the user and item ids are features too (a hybrid); false = content only"},
         {"factors", "interaction dimension; 0 = a linear model"},
         {"epochs", "SGD epochs"},
         {"learning_rate", "SGD step"},
         {"lr_decay", "the step shrinks by this factor per epoch"},
         {"regularization", "sets both reg_linear and reg_factors"},
         {"reg_linear", "penalty on the feature weights"},
         {"reg_factors", "penalty on the interaction vectors"},
         {"init_std", "standard deviation of the initial interaction vectors"},
         {"id_dropout",
          "share of the ratings trained without the user's id (and, independently, the item's), "
          "for cold start"},
         {"validation_fraction", "share of the ratings held out for early stopping; 0 = off"},
         {"patience", "early stopping: epochs without improvement before stopping"},
     }},
    {"ease",
     {
         {"lambda",
          "L2 penalty; unset, 470 x the mean squared input value (about 6400 on 1..5 ratings, "
          "470 on 0/1 interactions)"},
         {"weighting", "rating: the values; binary: 1 per pair"},
         {"prune_to", "0 = keep the item-item matrix dense; k = each item's k largest weights"},
         {"precision", "arithmetic of the inverse: float or double"},
     }},
    {"ials",
     {
         {"factors", "latent factors"},
         {"epochs", "ALS epochs"},
         {"lambda", "L2 penalty, scaled by (n + alpha0 x n_other)^nu"},
         {"alpha0", "weight of the unobserved pairs"},
         {"nu", "exponent of the frequency scaling of the penalty"},
         {"alpha", "confidence: an observed pair weighs 1 + alpha x its value"},
         {"cg_steps", "conjugate-gradient steps per solve; 0 = exact solves"},
         {"init_std", "initial factors are N(0, (init_std / sqrt(factors))^2)"},
     }},
    {"itemknn",
     {
         {"k", "neighbours kept per item"},
         {"shrinkage", "shrinks similarities of few co-occurrences"},
         {"alpha", "the asymmetric cosine's exponent (0.5 = cosine)"},
         {"min_support", "fewest co-occurrences for a similarity to count"},
         {"weighting", "rating: the values; binary: 1 per pair"},
     }},
    {"popularity", {}},
    {"ranking_autorec",
     {
         {"hidden", "encoder layer sizes (I -> hidden -> I, mirrored)"},
         {"activation", "activation of the hidden layers"},
         {"dropout", "input dropout rate (below 0.95)"},
         {"epochs", "training epochs"},
         {"batch_size", "users per Adam step"},
         {"learning_rate", "Adam's learning rate"},
         {"lambda", "L2 penalty"},
         {"threshold",
          "with ratings: only ratings >= threshold are a user's items; unset, every pair counts"},
     }},
};

const char* find_doc(const std::vector<OptionDoc>& docs, const std::string& name) {
  for (const OptionDoc& d : docs)
    if (name == d.name) return d.text;
  return nullptr;
}

std::string doc_for(const std::string& algorithm, const std::string& name) {
  auto it = kFamilyDocs.find(algorithm);
  if (it != kFamilyDocs.end())
    if (const char* t = find_doc(it->second, name)) return t;
  if (const char* t = find_doc(kCommonDocs, name)) return t;
  return "";
}

// The specs of one configuration, as training reads them (source options first).
std::vector<OptionSpec> configured_specs(const std::string& algorithm, Options options) {
  read_source_columns(options);
  std::unique_ptr<Recommender> r = Recommender::configure(algorithm, std::move(options), true);
  return r->options().specs();
}

const OptionSpec* find_spec(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const OptionSpec& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string value_text(const JsonValue& v) {
  if (v.type == JsonValue::Type::Null) return "unset";
  if (v.type == JsonValue::Type::String) return v.string;
  return v.dump();
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

int scope_rank(OptionScope s) {
  return s == OptionScope::Algorithm ? 0 : s == OptionScope::Training ? 1 : 2;
}

}  // namespace

std::vector<OptionDescription> describe_options(const std::string& algorithm) {
  find_family(algorithm);  // the unknown-algorithm error of training
  const std::vector<OptionSpec> base = configured_specs(algorithm, Options());

  // One configuration per other value of each choice option.
  struct Variant {
    std::string choice, value;
    std::vector<OptionSpec> specs;
  };
  std::vector<Variant> variants;
  std::vector<OptionSpec> all = base;
  for (const OptionSpec& c : base) {
    if (c.type != OptionType::Choice) continue;
    for (const std::string& value : c.choices) {
      if (value == c.default_value.string) continue;
      JsonValue obj;
      obj.type = JsonValue::Type::Object;
      JsonValue v;
      v.type = JsonValue::Type::String;
      v.string = value;
      obj.object.emplace_back(c.name, v);
      try {
        variants.push_back({c.name, value, configured_specs(algorithm, Options::parse(obj.dump()))});
      } catch (const Error&) {
        continue;  // a value that needs other options too: not described separately
      }
      for (const OptionSpec& s : variants.back().specs)
        if (!find_spec(all, s.name)) all.push_back(s);
    }
  }

  std::vector<OptionDescription> out;
  for (const OptionSpec& spec : all) {
    OptionDescription d;
    d.spec = spec;
    d.description = doc_for(algorithm, spec.name);
    std::vector<std::string> conditions, notes;
    for (const OptionSpec& c : base) {
      if (c.type != OptionType::Choice) continue;
      // Under which values of c the option is read, and its default under each.
      std::vector<std::string> present;
      std::map<std::string, std::vector<std::string>> other_defaults;  // default -> values
      if (find_spec(base, spec.name)) present.push_back(c.default_value.string);
      size_t tried = 1;
      for (const Variant& v : variants) {
        if (v.choice != c.name) continue;
        ++tried;
        const OptionSpec* s = find_spec(v.specs, spec.name);
        if (!s) continue;
        present.push_back(v.value);
        const std::string def = value_text(s->default_value);
        if (def != value_text(spec.default_value)) other_defaults[def].push_back(v.value);
      }
      if (!present.empty() && present.size() < tried)
        conditions.push_back(c.name + " = " + join(present));
      for (auto& [def, values] : other_defaults)
        notes.push_back("default " + def + " when " + c.name + " = " + join(values));
    }
    d.applies = join(conditions);
    if (!notes.empty()) d.description += (d.description.empty() ? "(" : " (") + join(notes) + ")";
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const OptionDescription& a, const OptionDescription& b) {
    return scope_rank(a.spec.scope) < scope_rank(b.spec.scope);
  });
  return out;
}

std::vector<std::string> documented_options(const std::string& algorithm) {
  std::vector<std::string> out;
  auto it = kFamilyDocs.find(algorithm);
  if (it != kFamilyDocs.end())
    for (const OptionDoc& d : it->second) out.emplace_back(d.name);
  return out;
}

std::vector<std::string> documented_common_options() {
  std::vector<std::string> out;
  for (const OptionDoc& d : kCommonDocs) out.emplace_back(d.name);
  return out;
}

}  // namespace autorec
