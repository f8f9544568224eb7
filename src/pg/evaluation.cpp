// autorec._evaluate(): a model against held-out ratings read from a table, view or query.
#include "core/metrics.hpp"
#include "pg/guard.hpp"
#include "pg/model_cache.hpp"
#include "pg/source.hpp"
#include "pg/training.hpp"

using namespace autorec;
using namespace autorec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(autorec_evaluate_source);
}

// autorec._evaluate(model text, test_source text, k integer, options jsonb, search_path text)
//   RETURNS autorec.evaluation (n_ratings, n_users, rmse, mae, precision_at_k, recall_at_k,
//                               ndcg_at_k, map_at_k, catalog_coverage)
extern "C" PGDLLEXPORT Datum autorec_evaluate_source(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    if (PG_ARGISNULL(1))
      throw Error(ErrorKind::InvalidParameter, "test_source must not be NULL");
    std::string source = pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    int k = PG_ARGISNULL(2) ? 10 : PG_GETARG_INT32(2);
    if (k < 1 || k > 100000)
      throw Error(ErrorKind::InvalidParameter, "k must be between 1 and 100000");
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
    Evaluation ev = evaluate(*model, test, static_cast<size_t>(k), threshold, &ctx, threads);

    return pg_call([&] {
      TupleDesc desc;
      if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "autorec._evaluate must return a composite type");
      desc = BlessTupleDesc(desc);
      Datum v[9] = {Int64GetDatum(static_cast<int64>(ev.n_ratings)),
                    Int64GetDatum(static_cast<int64>(ev.n_users)),
                    Float8GetDatum(ev.rmse),
                    Float8GetDatum(ev.mae),
                    Float8GetDatum(ev.precision_at_k),
                    Float8GetDatum(ev.recall_at_k),
                    Float8GetDatum(ev.ndcg_at_k),
                    Float8GetDatum(ev.map_at_k),
                    Float8GetDatum(ev.catalog_coverage)};
      bool nulls[9] = {};
      return HeapTupleGetDatum(heap_form_tuple(desc, v, nulls));
    });
  });
}
