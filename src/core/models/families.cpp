// Where each model family is made known: one line per algorithm. Adding a family is its folder
// under src/core/models/ plus one line here (see docs/families.md). This file and every model
// are compiled once per instruction-set level (core/isa.hpp): this function is each copy's only
// global symbol, families_default, families_x86_64_v3, ... (AUTOREC_ISA_SUFFIX).
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
#include "core/registry.hpp"

#ifndef AUTOREC_ISA_SUFFIX
#define AUTOREC_ISA_SUFFIX default
#endif
#define AUTOREC_ISA_PASTE(a, b) a##_##b
#define AUTOREC_ISA_NAME(a, b) AUTOREC_ISA_PASTE(a, b)
#define AUTOREC_ISA_ENTRY(name) AUTOREC_ISA_NAME(name, AUTOREC_ISA_SUFFIX)

namespace autorec {

const std::vector<Family>& AUTOREC_ISA_ENTRY(families)() {
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

}  // namespace autorec
