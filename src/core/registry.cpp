// Where each model family is made known: one line per algorithm. Adding a family is its folder
// under src/core/models/ plus one line here (see docs/families.md).
#include "core/registry.hpp"

#include "core/models/autorec/autorec.hpp"
#include "core/models/autorec/ranking.hpp"
#include "core/models/baseline.hpp"
#include "core/models/content/content.hpp"
#include "core/models/ease/ease.hpp"
#include "core/models/ials/ials.hpp"
#include "core/models/itemknn/itemknn.hpp"
#include "core/models/knn/knn.hpp"
#include "core/models/popularity/popularity.hpp"
#include "core/models/svd/svd.hpp"
#include "core/options.hpp"

namespace autorec {

const std::vector<Family>& families() {
  static const std::vector<Family> kFamilies = {
      {"baseline", make_model<BaselineModel>, ScoreKind::Rating,
       "mu + b_u + b_i: the global mean and regularised user and item biases"},
      {"knn", make_model<KnnModel>, ScoreKind::Rating,
       "item- or user-based neighbourhood model on rating similarities"},
      {"svd", make_model<SvdModel>, ScoreKind::Rating,
       "matrix factorisation (SVD by SGD or ALS, SVD++)"},
      {"autorec", make_model<AutoRecModel>, ScoreKind::Rating,
       "autoencoder of each item's (or user's) ratings (Sedhain et al. 2015)"},
      {"content", make_model<ContentModel>, ScoreKind::Rating,
       "factorisation machine on user and item features, for cold start"},
      {"ease", make_ease_model, ScoreKind::Ranking,
       "closed-form item-item model for top-N (Steck 2019); dense in the number of items"},
      {"ials", make_ials_model, ScoreKind::Ranking,
       "implicit alternating least squares for top-N (Hu et al. 2008, Rendle et al. 2022)"},
      {"itemknn", make_itemknn_model, ScoreKind::Ranking,
       "item-item cosine neighbours on the interaction matrix, for top-N"},
      {"popularity", make_model<PopularityModel>, ScoreKind::Ranking,
       "the items with the most interactions (sum of weights), the same list for everyone"},
      {"ranking_autorec", make_ranking_autorec_model, ScoreKind::Ranking,
       "multinomial denoising autoencoder over each user's items, for top-N (Liang et al. 2018)"},
  };
  return kFamilies;
}

const Family& find_family(const std::string& algorithm) {
  for (const Family& f : families())
    if (algorithm == f.name) return f;
  std::string list;
  for (const Family& f : families()) list += (list.empty() ? "" : ", ") + std::string(f.name);
  throw Error(ErrorKind::InvalidParameter, "unknown algorithm \"" + algorithm + "\"",
              "Available algorithms: " + list + ".");
}

std::unique_ptr<Model> create_model(const std::string& algorithm, Options& options) {
  return find_family(algorithm).make(options);
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> out;
  for (const Family& f : families()) out.emplace_back(f.name);
  return out;
}

std::string algorithm_list(ScoreKind kind) {
  std::string list;
  for (const Family& f : families())
    if (f.scores == kind) list += (list.empty() ? "" : ", ") + std::string(f.name);
  return list;
}

}  // namespace autorec
