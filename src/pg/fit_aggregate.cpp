// autorec_fit(user_id, item_id, rating, algorithm, options): training as a parallel-safe
// aggregate. The state is plain C memory in the aggregate context (growable arrays), with
// combine/serial/deserial functions so parallel workers can each read part of the table.
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/source.hpp"
#include "pg/training.hpp"

using namespace autorec;
using namespace autorec::pg;

namespace {

struct FitState {
  int64 n, cap;
  int64* users;
  int64* items;
  double* ratings;
  text* algorithm;  // from the first row with an algorithm; every row must give the same
  Jsonb* options;
  int64 skipped;
  bool null_algorithm;  // some row gave a NULL algorithm
  // Rows with a NULL rating (the third argument), kept with NaN: a ranking family reads them as
  // interactions of weight 1, a rating family skips them (decided in the final function).
  int64 null_values;
};

// All of these run as plain PostgreSQL C code (no C++ objects), so errors longjmp normally.
FitState* new_state(MemoryContext cxt) {
  FitState* s = static_cast<FitState*>(MemoryContextAllocZero(cxt, sizeof(FitState)));
  return s;
}

void reserve(FitState* s, MemoryContext cxt, int64 need) {
  if (need <= s->cap) return;
  int64 cap = s->cap ? s->cap : 1024;
  while (cap < need) cap *= 2;
  Size bytes = static_cast<Size>(cap) * sizeof(int64);
  if (s->cap == 0) {
    s->users = static_cast<int64*>(MemoryContextAllocHuge(cxt, bytes));
    s->items = static_cast<int64*>(MemoryContextAllocHuge(cxt, bytes));
    s->ratings = static_cast<double*>(MemoryContextAllocHuge(cxt, bytes));
  } else {
    s->users = static_cast<int64*>(repalloc_huge(s->users, bytes));
    s->items = static_cast<int64*>(repalloc_huge(s->items, bytes));
    s->ratings = static_cast<double*>(repalloc_huge(s->ratings, bytes));
  }
  s->cap = cap;
}

// Options as given, NULL being the empty object.
bool same_options(Jsonb* a, Jsonb* b) {
  if (!a || !b) {
    Jsonb* other = a ? a : b;
    return !other || (JB_ROOT_IS_OBJECT(other) && JB_ROOT_COUNT(other) == 0);
  }
  if (VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0) return true;
  return compareJsonbContainers(&a->root, &b->root) == 0;
}

// One model per aggregate: every row (and every parallel worker's part) must name the same
// algorithm and options, else the result would silently depend on which row came first.
void check_same_spec(const FitState* s, const text* algorithm, bool null_algorithm, Jsonb* options) {
  bool same;
  if (!s->algorithm || !algorithm)
    same = !(s->algorithm && null_algorithm) && !(algorithm && s->null_algorithm);
  else
    same = VARSIZE_ANY_EXHDR(s->algorithm) == VARSIZE_ANY_EXHDR(algorithm) &&
           memcmp(VARDATA_ANY(s->algorithm), VARDATA_ANY(algorithm),
                  VARSIZE_ANY_EXHDR(algorithm)) == 0 &&
           same_options(s->options, options);
  if (!same)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("autorec_fit: every row must give the same algorithm and options"),
                    errdetail("The aggregate trains one model; its first row asked for \"%s\".",
                              s->algorithm ? text_to_cstring(s->algorithm) : "NULL"),
                    errhint("Pass the algorithm and options as constants, or group the rows "
                            "by them (GROUP BY) to train one model per group.")));
}

MemoryContext agg_context(FunctionCallInfo fcinfo, const char* fn) {
  MemoryContext cxt;
  if (!AggCheckCallContext(fcinfo, &cxt)) elog(ERROR, "%s called in non-aggregate context", fn);
  return cxt;
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(autorec_fit_transfn);
PG_FUNCTION_INFO_V1(autorec_fit_combinefn);
PG_FUNCTION_INFO_V1(autorec_fit_serialfn);
PG_FUNCTION_INFO_V1(autorec_fit_deserialfn);
PG_FUNCTION_INFO_V1(autorec_fit_finalfn);

Datum autorec_fit_transfn(PG_FUNCTION_ARGS) {
  MemoryContext cxt = agg_context(fcinfo, "autorec_fit_transfn");
  FitState* s = PG_ARGISNULL(0) ? new_state(cxt) : reinterpret_cast<FitState*>(PG_GETARG_POINTER(0));
  if (!s->algorithm && !PG_ARGISNULL(4) && !s->null_algorithm) {
    MemoryContext old = MemoryContextSwitchTo(cxt);
    s->algorithm = PG_GETARG_TEXT_P_COPY(4);
    if (!PG_ARGISNULL(5)) s->options = PG_GETARG_JSONB_P_COPY(5);
    MemoryContextSwitchTo(old);
  } else {
    check_same_spec(s, PG_ARGISNULL(4) ? nullptr : PG_GETARG_TEXT_PP(4), PG_ARGISNULL(4),
                    PG_ARGISNULL(5) ? nullptr : PG_GETARG_JSONB_P(5));
    if (PG_ARGISNULL(4)) s->null_algorithm = true;
  }
  if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
    s->skipped++;
    PG_RETURN_POINTER(s);
  }
  reserve(s, cxt, s->n + 1);
  s->users[s->n] = PG_GETARG_INT64(1);
  s->items[s->n] = PG_GETARG_INT64(2);
  s->ratings[s->n] = PG_ARGISNULL(3) ? std::nan("") : PG_GETARG_FLOAT8(3);
  if (PG_ARGISNULL(3)) s->null_values++;
  s->n++;
  PG_RETURN_POINTER(s);
}

Datum autorec_fit_combinefn(PG_FUNCTION_ARGS) {
  MemoryContext cxt = agg_context(fcinfo, "autorec_fit_combinefn");
  FitState* a = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<FitState*>(PG_GETARG_POINTER(0));
  FitState* b = PG_ARGISNULL(1) ? nullptr : reinterpret_cast<FitState*>(PG_GETARG_POINTER(1));
  if (!b) {
    if (!a) PG_RETURN_NULL();
    PG_RETURN_POINTER(a);
  }
  if (!a) a = new_state(cxt);
  if ((a->algorithm || a->null_algorithm) && (b->algorithm || b->null_algorithm))
    check_same_spec(a, b->algorithm, b->null_algorithm, b->options);
  a->null_algorithm = a->null_algorithm || b->null_algorithm;
  reserve(a, cxt, a->n + b->n);
  if (b->n) {
    memcpy(a->users + a->n, b->users, b->n * sizeof(int64));
    memcpy(a->items + a->n, b->items, b->n * sizeof(int64));
    memcpy(a->ratings + a->n, b->ratings, b->n * sizeof(double));
  }
  a->n += b->n;
  a->skipped += b->skipped;
  a->null_values += b->null_values;
  if (!a->algorithm && b->algorithm) {
    MemoryContext old = MemoryContextSwitchTo(cxt);
    a->algorithm = reinterpret_cast<text*>(PG_DETOAST_DATUM_COPY(PointerGetDatum(b->algorithm)));
    if (b->options)
      a->options = reinterpret_cast<Jsonb*>(PG_DETOAST_DATUM_COPY(PointerGetDatum(b->options)));
    MemoryContextSwitchTo(old);
  }
  PG_RETURN_POINTER(a);
}

// Layout: n, skipped, alg_len, opt_len, null_algorithm, null_values, algorithm bytes, options
// bytes (varlena), arrays.
Datum autorec_fit_serialfn(PG_FUNCTION_ARGS) {
  FitState* s = reinterpret_cast<FitState*>(PG_GETARG_POINTER(0));
  int64 alg_len = s->algorithm ? VARSIZE(s->algorithm) : 0;
  int64 opt_len = s->options ? VARSIZE(s->options) : 0;
  Size size = VARHDRSZ + 6 * sizeof(int64) + alg_len + opt_len + s->n * 3 * sizeof(int64);
  bytea* out = static_cast<bytea*>(palloc_extended(size, MCXT_ALLOC_HUGE));
  SET_VARSIZE(out, size);
  char* p = VARDATA(out);
  int64 head[6] = {s->n, s->skipped, alg_len, opt_len, s->null_algorithm ? 1 : 0, s->null_values};
  memcpy(p, head, sizeof head);
  p += sizeof head;
  if (alg_len) memcpy(p, s->algorithm, alg_len);
  p += alg_len;
  if (opt_len) memcpy(p, s->options, opt_len);
  p += opt_len;
  memcpy(p, s->users, s->n * sizeof(int64));
  p += s->n * sizeof(int64);
  memcpy(p, s->items, s->n * sizeof(int64));
  p += s->n * sizeof(int64);
  memcpy(p, s->ratings, s->n * sizeof(double));
  PG_RETURN_BYTEA_P(out);
}

Datum autorec_fit_deserialfn(PG_FUNCTION_ARGS) {
  MemoryContext cxt = agg_context(fcinfo, "autorec_fit_deserialfn");
  bytea* in = PG_GETARG_BYTEA_PP(0);
  const char* p = VARDATA_ANY(in);
  Size len = VARSIZE_ANY_EXHDR(in);
  int64 head[6];
  if (len < sizeof head) elog(ERROR, "autorec_fit: invalid serialized state");
  memcpy(head, p, sizeof head);
  p += sizeof head;
  int64 n = head[0];
  if (n < 0 || head[2] < 0 || head[3] < 0 || head[5] < 0 || head[5] > n ||
      len != sizeof head + head[2] + head[3] + static_cast<Size>(n) * 3 * sizeof(int64))
    elog(ERROR, "autorec_fit: invalid serialized state");
  FitState* s = new_state(cxt);
  s->skipped = head[1];
  s->null_algorithm = head[4] != 0;
  s->null_values = head[5];
  MemoryContext old = MemoryContextSwitchTo(cxt);
  if (head[2]) {
    s->algorithm = static_cast<text*>(palloc(head[2]));
    memcpy(s->algorithm, p, head[2]);
  }
  p += head[2];
  if (head[3]) {
    s->options = static_cast<Jsonb*>(palloc(head[3]));
    memcpy(s->options, p, head[3]);
  }
  p += head[3];
  MemoryContextSwitchTo(old);
  reserve(s, cxt, n);
  memcpy(s->users, p, n * sizeof(int64));
  p += n * sizeof(int64);
  memcpy(s->items, p, n * sizeof(int64));
  p += n * sizeof(int64);
  memcpy(s->ratings, p, n * sizeof(double));
  s->n = n;
  PG_RETURN_POINTER(s);
}
}  // extern "C"

// The final function trains: C++ from here on, behind the guard.
extern "C" PGDLLEXPORT Datum autorec_fit_finalfn(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();  // no rows at all
  FitState* s = reinterpret_cast<FitState*>(PG_GETARG_POINTER(0));
  return guard([&]() -> Datum {
    if (!s->algorithm)
      throw Error(ErrorKind::NullValue, "autorec_fit: algorithm must not be NULL");
    std::string algorithm = pg_call([&]() -> std::string { return text_to_cstring(s->algorithm); });
    Options options = Options::parse(jsonb_text(s->options));
    std::unique_ptr<Recommender> rec = Recommender::configure(algorithm, std::move(options));
    RawRatings raw;
    raw.users.assign(s->users, s->users + s->n);
    raw.items.assign(s->items, s->items + s->n);
    raw.ratings.assign(s->ratings, s->ratings + s->n);
    // The third argument is the rating of a rating family and the weight of a ranking family,
    // for which NULL means one interaction (weight 1).
    raw.implicit = rec->score_kind() == ScoreKind::Ranking;
    int64 skipped = s->skipped;
    if (s->null_values > 0) {
      size_t nan = 0;
      for (double v : raw.ratings) nan += std::isnan(v) ? 1 : 0;
      if (nan != static_cast<size_t>(s->null_values))
        throw Error(ErrorKind::DataError,
                    raw.implicit ? "autorec_fit: a weight is NaN" : "autorec_fit: a rating is NaN");
      if (!raw.implicit && s->null_values == s->n)
        throw Recommender::ratings_required(algorithm, "every rating given to autorec_fit is NULL");
      RawRatings kept;
      kept.implicit = raw.implicit;
      for (size_t r = 0; r < raw.size(); ++r) {
        if (!std::isnan(raw.ratings[r]))
          kept.add(raw.users[r], raw.items[r], raw.ratings[r]);
        else if (raw.implicit)
          kept.add(raw.users[r], raw.items[r], 1.0);
      }
      raw = std::move(kept);
      if (!raw.implicit) skipped += s->null_values;
    }
    if (skipped)
      report_progress("autorec_fit", std::to_string(skipped) + " rows with NULLs skipped");
    // Feature sources (algorithm 'content') are read here, by the backend that finalizes.
    FeatureSources sources = rec->feature_sources();
    FeatureSet features;
    if (!sources.empty()) {
      Options o = rec->options();
      features = read_feature_sources("autorec_fit", sources, source_columns(o));
    }
    FitContext ctx = fit_context("autorec_fit");
    rec->fit(raw, ctx, sources.empty() ? nullptr : &features);
    report_fitted("autorec_fit", algorithm, *rec);
    return PointerGetDatum(to_bytea(rec->serialize()));
  });
}
