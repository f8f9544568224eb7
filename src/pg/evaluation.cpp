// autorec._evaluate() and autorec._evaluate_per_user(): a model against held-out ratings read
// from a table, view or query; the whole evaluation, or one row per test user.
#include <cmath>

#include "core/metrics.hpp"
#include "core/parallel.hpp"
#include "pg/guard.hpp"
#include "pg/model_cache.hpp"
#include "pg/settings.hpp"
#include "pg/source.hpp"
#include "pg/training.hpp"

using namespace autorec;
using namespace autorec::pg;

namespace {

// Both functions take (model text, test_source text, k integer, options jsonb, search_path
// text): reads the arguments and the test source, and evaluates.
Evaluation run_evaluation(FunctionCallInfo fcinfo, std::vector<UserEvaluation>* per_user) {
  if (PG_ARGISNULL(1)) throw Error(ErrorKind::NullValue, "test_source must not be NULL");
  std::string source =
      pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
  int k = PG_ARGISNULL(2) ? 10 : PG_GETARG_INT32(2);
  if (k < 1 || k > 100000) throw Error(ErrorKind::InvalidParameter, "k must be between 1 and 100000");
  Jsonb* jb = PG_ARGISNULL(3) ? nullptr : pg_call([&] { return PG_GETARG_JSONB_P(3); });
  Options options = Options::parse(jsonb_text(jb));
  SourceColumns cols = source_columns(options);
  double threshold = options.number("relevance_threshold", 4.0, -1e300, 1e300);
  int threads = static_cast<int>(options.integer("threads", 0, 0, 256));
  options.reject_unknown("autorec_evaluate");

  auto model = current_model(model_arg(fcinfo, 0));
  SourceStats stats;
  RawRatings test = read_ratings(source, cols, stats, search_path_arg(fcinfo, 4));
  FitContext ctx = fit_context("autorec_evaluate");
  return evaluate(*model, test, static_cast<size_t>(k), threshold, &ctx, resolve_threads(threads, max_training_threads),
                  per_user);
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(autorec_evaluate_source);
PG_FUNCTION_INFO_V1(autorec_evaluate_per_user_source);
}

// autorec._evaluate(...) RETURNS autorec.evaluation (n_ratings, n_users, rmse, mae,
//   precision_at_k, recall_at_k, ndcg_at_k, map_at_k, catalog_coverage, hit_rate_at_k,
//   mrr_at_k, mean_popularity, popularity_percentile)
extern "C" PGDLLEXPORT Datum autorec_evaluate_source(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    Evaluation ev = run_evaluation(fcinfo, nullptr);
    return pg_call([&] {
      TupleDesc desc;
      if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "autorec._evaluate must return a composite type");
      desc = BlessTupleDesc(desc);
      Datum v[13] = {Int64GetDatum(static_cast<int64>(ev.n_ratings)),
                     Int64GetDatum(static_cast<int64>(ev.n_users)),
                     Float8GetDatum(ev.rmse),
                     Float8GetDatum(ev.mae),
                     Float8GetDatum(ev.precision_at_k),
                     Float8GetDatum(ev.recall_at_k),
                     Float8GetDatum(ev.ndcg_at_k),
                     Float8GetDatum(ev.map_at_k),
                     Float8GetDatum(ev.catalog_coverage),
                     Float8GetDatum(ev.hit_rate_at_k),
                     Float8GetDatum(ev.mrr_at_k),
                     Float8GetDatum(ev.mean_popularity),
                     Float8GetDatum(ev.popularity_percentile)};
      bool nulls[13] = {};
      // No RMSE or MAE for a ranking model or implicit test data (every test pair relevant).
      nulls[2] = std::isnan(ev.rmse);
      nulls[3] = std::isnan(ev.mae);
      return HeapTupleGetDatum(heap_form_tuple(desc, v, nulls));
    });
  });
}

// autorec._evaluate_per_user(...) RETURNS TABLE (user_id, n_ratings, n_relevant, known,
//   precision_at_k, recall_at_k, ndcg_at_k, map_at_k, hit_at_k, reciprocal_rank): one row per
//   test user, by user id; the ranking columns are NULL for a user with no relevant test item
//   (the means of autorec_evaluate leave those users out).
extern "C" PGDLLEXPORT Datum autorec_evaluate_per_user_source(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    std::vector<UserEvaluation> users;
    run_evaluation(fcinfo, &users);
    pg_call([&] {
      InitMaterializedSRF(fcinfo, 0);
      ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
      Datum v[10];
      bool nulls[10] = {};
      for (const UserEvaluation& u : users) {
        const bool ranked = u.n_relevant > 0;
        v[0] = Int64GetDatum(u.user);
        v[1] = Int64GetDatum(static_cast<int64>(u.n_ratings));
        v[2] = Int64GetDatum(static_cast<int64>(u.n_relevant));
        v[3] = BoolGetDatum(u.known);
        v[4] = Float8GetDatum(u.scores.precision);
        v[5] = Float8GetDatum(u.scores.recall);
        v[6] = Float8GetDatum(u.scores.ndcg);
        v[7] = Float8GetDatum(u.scores.average_precision);
        v[8] = Float8GetDatum(u.scores.hit);
        v[9] = Float8GetDatum(u.scores.reciprocal_rank);
        for (int c = 4; c < 10; ++c) nulls[c] = !ranked;
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
      }
    });
    return static_cast<Datum>(0);
  });
}
