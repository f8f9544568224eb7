// The serving functions: recommend, recommend_for_ratings, predict_rating, similar_items,
// explain_recommendation. Each resolves the model through the per-backend cache.
#include <vector>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/model_cache.hpp"

using namespace autorec;
using namespace autorec::pg;

namespace {

size_t count_arg(FunctionCallInfo fcinfo, int argno, const char* what) {
  if (PG_ARGISNULL(argno)) return 0;
  int32 n = PG_GETARG_INT32(argno);
  if (n < 0)
    throw Error(ErrorKind::InvalidParameter, std::string(what) + " must not be negative");
  return static_cast<size_t>(n);
}

// Non-NULL elements of a bigint[] / float8[] argument, in order; `keep` marks which were NULL.
template <typename T>
std::vector<T> array_arg(FunctionCallInfo fcinfo, int argno, Oid elem_type,
                         std::vector<char>* is_null = nullptr) {
  std::vector<T> out;
  if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return out;
  Datum* elems = nullptr;
  bool* nulls = nullptr;
  int n = pg_call([&] {
    ArrayType* a = PG_GETARG_ARRAYTYPE_P(argno);
    if (ARR_NDIM(a) > 1)
      ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                      errmsg("array arguments must be one-dimensional")));
    int count;
    deconstruct_array(a, elem_type, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
    return count;
  });
  out.reserve(static_cast<size_t>(n));
  if (is_null) is_null->assign(static_cast<size_t>(n), 0);
  for (int k = 0; k < n; ++k) {
    if (is_null) (*is_null)[k] = nulls[k];
    if (nulls[k]) {
      if (is_null) out.push_back(T());
      continue;
    }
    if constexpr (std::is_same_v<T, int64_t>)
      out.push_back(DatumGetInt64(elems[k]));
    else
      out.push_back(DatumGetFloat8(elems[k]));
  }
  return out;
}

void emit_scored(FunctionCallInfo fcinfo, const std::vector<ScoredId>& rows) {
  pg_call([&] {
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    Datum values[2];
    bool nulls[2] = {false, false};
    for (const ScoredId& r : rows) {
      values[0] = Int64GetDatum(r.id);
      values[1] = Float8GetDatum(r.score);
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(recommend);
PG_FUNCTION_INFO_V1(recommend_for_ratings);
PG_FUNCTION_INFO_V1(predict_rating);
PG_FUNCTION_INFO_V1(similar_items);
PG_FUNCTION_INFO_V1(explain_recommendation);
}

// recommend(user_id bigint, n integer, model text, exclude_rated boolean, candidates bigint[])
extern "C" PGDLLEXPORT Datum recommend(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    size_t n = count_arg(fcinfo, 1, "n");
    std::vector<ScoredId> rows;
    if (!PG_ARGISNULL(0)) {
      auto model = current_model(model_arg(fcinfo, 2));
      bool exclude = PG_ARGISNULL(3) ? true : PG_GETARG_BOOL(3);
      bool has_candidates = !PG_ARGISNULL(4);
      std::vector<int64_t> candidates = array_arg<int64_t>(fcinfo, 4, INT8OID);
      rows = model->recommend(PG_GETARG_INT64(0), n, exclude,
                              has_candidates ? &candidates : nullptr);
    }
    emit_scored(fcinfo, rows);
    return Datum(0);
  });
}

// recommend_for_ratings(item_ids bigint[], ratings float8[], n integer, model text)
extern "C" PGDLLEXPORT Datum recommend_for_ratings(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    size_t n = count_arg(fcinfo, 2, "n");
    std::vector<char> item_null, rating_null;
    std::vector<int64_t> items = array_arg<int64_t>(fcinfo, 0, INT8OID, &item_null);
    std::vector<double> ratings = array_arg<double>(fcinfo, 1, FLOAT8OID, &rating_null);
    if (items.size() != ratings.size())
      throw Error(ErrorKind::InvalidParameter,
                  "item_ids has " + std::to_string(items.size()) + " elements but ratings has " +
                      std::to_string(ratings.size()),
                  "Give one rating per item.");
    // A pair with a NULL on either side carries no rating: skip it.
    std::vector<int64_t> it;
    std::vector<double> rt;
    for (size_t k = 0; k < items.size(); ++k)
      if (!item_null[k] && !rating_null[k]) {
        it.push_back(items[k]);
        rt.push_back(ratings[k]);
      }
    auto model = current_model(model_arg(fcinfo, 3));
    emit_scored(fcinfo, model->recommend_for_ratings(it, rt, n));
    return Datum(0);
  });
}

// predict_rating(user_id bigint, item_id bigint, model text) RETURNS double precision
extern "C" PGDLLEXPORT Datum predict_rating(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  return guard([&]() -> Datum {
    auto model = current_model(model_arg(fcinfo, 2));
    return Float8GetDatum(model->predict(PG_GETARG_INT64(0), PG_GETARG_INT64(1)));
  });
}

// similar_items(item_id bigint, n integer, model text) RETURNS TABLE (item_id, similarity)
extern "C" PGDLLEXPORT Datum similar_items(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    size_t n = count_arg(fcinfo, 1, "n");
    auto model = current_model(model_arg(fcinfo, 2));
    std::vector<ScoredId> rows;
    if (!PG_ARGISNULL(0))
      rows = model->similar_items(PG_GETARG_INT64(0), n);
    else
      model->similar_items(0, 0);  // still say clearly when the model has no similarity
    emit_scored(fcinfo, rows);
    return Datum(0);
  });
}

// explain_recommendation(user_id bigint, item_id bigint, model text)
//   RETURNS TABLE (item_id, rating, similarity, contribution)
extern "C" PGDLLEXPORT Datum explain_recommendation(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    auto model = current_model(model_arg(fcinfo, 2));
    std::vector<ExplainedId> rows;
    if (!PG_ARGISNULL(0) && !PG_ARGISNULL(1))
      rows = model->explain(PG_GETARG_INT64(0), PG_GETARG_INT64(1));
    else
      model->explain(0, 0);  // capability check: families that cannot explain say so
    pg_call([&] {
      InitMaterializedSRF(fcinfo, 0);
      ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
      Datum values[4];
      bool nulls[4] = {false, false, false, false};
      for (const ExplainedId& r : rows) {
        values[0] = Int64GetDatum(r.id);
        values[1] = Float8GetDatum(r.rating);
        values[2] = Float8GetDatum(r.similarity);
        values[3] = Float8GetDatum(r.contribution);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
      }
    });
    return Datum(0);
  });
}
