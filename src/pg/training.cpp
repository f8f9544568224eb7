// autorec._train(): read the source, fit, serialize; the catalog work is SQL in
// sql/autorec--*.sql.
#include "pg/training.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "pg/guard.hpp"
#include "pg/settings.hpp"
#include "pg/source.hpp"

namespace autorec::pg {

void report_progress(const std::string& label, const std::string& message, int level) {
  pg_call([&] {
    ereport(level, (errmsg("%s: %s", label.c_str(), message.c_str())));
    // Shown in pg_stat_activity.query of this backend until the statement ends.
    char buf[512];
    snprintf(buf, sizeof buf, "%s: %s", label.c_str(), message.c_str());
    pgstat_report_activity(STATE_RUNNING, buf);
  });
}

FitContext fit_context(const std::string& label) {
  FitContext ctx;
  // Only reads the flags the signal handlers set; CHECK_FOR_INTERRUPTS runs later, in guard().
  ctx.interrupt_check = [] { return QueryCancelPending || ProcDiePending; };
  ctx.notice_sink = [label](const std::string& m) { report_progress(label, m); };
  // Per-epoch lines: DEBUG1 (the server log at log_min_messages = debug1, a client at
  // client_min_messages = debug1) unless the option "verbose" makes them notices.
  ctx.progress_sink = [label](const std::string& m) { report_progress(label, m, DEBUG1); };
  ctx.max_threads = max_training_threads;
  ctx.memory_check = [label](size_t bytes, const Model& model) {
    check_training_memory(label.c_str(), bytes, &model);
  };
  return ctx;
}

bytea* to_bytea(const std::vector<uint8_t>& bytes) {
  if (bytes.size() + VARHDRSZ > MaxAllocSize)
    throw Error(ErrorKind::ResourceLimit,
                "the model is " + std::to_string(bytes.size() >> 20) +
                    " MB, more than a bytea can hold (1 GB)",
                "Use fewer factors, hidden units or neighbours (options factors, hidden, "
                "max_neighbors), or train on fewer users and items.");
  return pg_call([&] {
    bytea* b = static_cast<bytea*>(palloc(bytes.size() + VARHDRSZ));
    SET_VARSIZE(b, bytes.size() + VARHDRSZ);
    memcpy(VARDATA(b), bytes.data(), bytes.size());
    return b;
  });
}

std::string jsonb_text(Jsonb* options) {
  if (!options) return "{}";
  return pg_call([&]() -> std::string {
    char* s = JsonbToCString(nullptr, &options->root, VARSIZE(options));
    return std::string(s);
  });
}

std::string search_path_arg(FunctionCallInfo fcinfo, int argno) {
  if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return std::string();
  return pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(argno)); });
}

namespace {

FeatureTable read_features_reporting(const std::string& label, const std::string& source,
                                     const std::string& id_column, const std::string& what,
                                     const std::string& search_path) {
  SourceStats stats;
  stats.label = label;
  FeatureTable t = read_features(source, id_column, what, stats, search_path);
  char buf[256];
  snprintf(buf, sizeof buf,
           "read %llu rows of %s (%zu feature columns) in %.2f s (%llu with a NULL id skipped)",
           static_cast<unsigned long long>(stats.rows), what.c_str(), t.columns.size(),
           stats.seconds, static_cast<unsigned long long>(stats.skipped_null));
  report_progress(label, buf);
  return t;
}

}  // namespace

FeatureSet read_feature_sources(const std::string& label, const FeatureSources& sources,
                                const SourceColumns& cols, const std::string& search_path) {
  FeatureSet features;
  if (!sources.users.empty())
    features.users =
        read_features_reporting(label, sources.users, cols.user, "user_features", search_path);
  if (!sources.items.empty())
    features.items =
        read_features_reporting(label, sources.items, cols.item, "item_features", search_path);
  return features;
}

void report_fitted(const std::string& label, const std::string& algorithm, const Recommender& rec) {
  char buf[256];
  // Ranking families learn from interactions (duplicates add up), rating families from ratings.
  const bool ranking = rec.score_kind() == ScoreKind::Ranking;
  // The threads: the option "threads" (0: every core) capped by autorec.max_training_threads.
  const int threads = rec.training_threads(max_training_threads);
  snprintf(buf, sizeof buf,
           "fitted %s on %d users x %d items (%zu %s, %zu duplicate pairs %s) on %d thread%s in "
           "%.2f s",
           algorithm.c_str(), rec.users().size(), rec.items().size(), rec.ratings().nnz(),
           ranking ? "user-item pairs" : "ratings", rec.duplicates(), ranking ? "added" : "averaged",
           threads, threads == 1 ? "" : "s", rec.fit_seconds());
  report_progress(label, buf);
}

namespace {

std::string history_json(const std::vector<EpochStats>& h) {
  std::string out = "[";
  char buf[256];
  auto num = [](double v) {
    char b[32];
    if (std::isnan(v)) return std::string("null");
    snprintf(b, sizeof b, "%.6g", v);
    return std::string(b);
  };
  for (size_t k = 0; k < h.size(); ++k) {
    snprintf(buf, sizeof buf, "%s{\"epoch\": %d, \"train_rmse\": %s, \"validation_rmse\": %s, "
             "\"seconds\": %s}", k ? ", " : "", h[k].epoch, num(h[k].train_rmse).c_str(),
             num(h[k].validation_rmse).c_str(), num(h[k].seconds).c_str());
    out += buf;
  }
  return out + "]";
}

}  // namespace
}  // namespace autorec::pg

using namespace autorec;
using namespace autorec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(autorec_train_source);
PG_FUNCTION_INFO_V1(autorec_refresh_features_weights);
}

namespace {

// `effective`: the effective options (JSON), or "" for none (SQL NULL). A 0.1 installation's
// autorec.trained has 7 attributes, no effective_options: it is filled only when the type has it.
Datum trained_tuple(FunctionCallInfo fcinfo, const Recommender& rec,
                    const std::vector<uint8_t>& bytes, const std::string& source, double seconds,
                    const std::string& history, const std::string& effective) {
  return pg_call([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "autorec: the function must return a composite type");
    desc = BlessTupleDesc(desc);
    Datum values[8];
    bool nulls[8] = {false, false, false, false, false, false, false, true};
    if (desc->natts > 8) elog(ERROR, "autorec: unexpected autorec.trained type");
    values[0] = PointerGetDatum(to_bytea(bytes));
    values[1] = CStringGetTextDatum(source.c_str());
    values[2] = Int64GetDatum(rec.users().size());
    values[3] = Int64GetDatum(rec.items().size());
    values[4] = Int64GetDatum(static_cast<int64>(rec.ratings().nnz()));
    values[5] = Float8GetDatum(seconds);
    values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(history.c_str()));
    values[7] = Datum(0);
    if (desc->natts == 8 && !effective.empty()) {
      values[7] = DirectFunctionCall1(jsonb_in, CStringGetDatum(effective.c_str()));
      nulls[7] = false;
    }
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
  });
}

}  // namespace

// autorec._train(model text, algorithm text, source text, options jsonb, search_path text)
//   RETURNS autorec.trained (weights, source, n_users, n_items, n_ratings, train_seconds, history)
extern "C" PGDLLEXPORT Datum autorec_train_source(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    for (int a = 0; a < 3; ++a)
      if (PG_ARGISNULL(a))
        throw Error(ErrorKind::NullValue, "model, algorithm and source must not be NULL");
    std::string model = pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    std::string algorithm = pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    std::string source = pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(2)); });
    Jsonb* jb = PG_ARGISNULL(3) ? nullptr : pg_call([&] { return PG_GETARG_JSONB_P(3); });
    const std::string search_path = search_path_arg(fcinfo, 4);

    // Validate everything before reading a possibly large table.
    Options options = Options::parse(jsonb_text(jb));
    SourceColumns cols = source_columns(options);
    std::unique_ptr<Recommender> rec = Recommender::configure(algorithm, std::move(options));
    cols.use = rec->score_kind() == ScoreKind::Rating ? RatingUse::Required : RatingUse::IfPresent;
    cols.algorithm = algorithm;

    const std::string label = "autorec_train(" + model + ")";
    FeatureSources sources = rec->feature_sources();
    FeatureSet features;
    SourceStats stats;
    stats.label = label;
    RawRatings raw;
    {
      // The sources run with the rights of the model's owner (the caller for a new model).
      AsModelOwner as_owner(model);
      // Features first: they are usually small, and a bad feature source fails fast.
      features = read_feature_sources(label, sources, cols, search_path);
      raw = read_ratings(source, cols, stats, search_path);
      as_owner.end();
    }
    char buf[320];
    snprintf(buf, sizeof buf, "read %llu rows from %s in %.2f s (%llu with NULLs skipped%s)",
             static_cast<unsigned long long>(stats.rows),
             stats.resolved.size() > 60 ? "the query" : stats.resolved.c_str(), stats.seconds,
             static_cast<unsigned long long>(stats.skipped_null),
             std::isnan(cols.min_rating)
                 ? ""
                 : (", " + std::to_string(stats.below_min) + " rated below min_rating left out").c_str());
    report_progress(label, buf);

    FitContext ctx = fit_context(label);
    rec->fit(raw, ctx, sources.empty() ? nullptr : &features);
    raw = RawRatings();  // free the input before serializing
    features = FeatureSet();
    report_fitted(label, algorithm, *rec);
    std::vector<uint8_t> bytes = rec->serialize();
    std::string history = history_json(rec->history());
    const std::string effective = rec->effective_options_json();

    return trained_tuple(fcinfo, *rec, bytes, stats.resolved, stats.seconds + rec->fit_seconds(),
                         history, effective);
  });
}

// autorec._refresh_features(model text, weights bytea, search_path text)
//   RETURNS autorec.trained: the model with
// its user and item features read again from its feature sources (new users and items join it,
// unrated), without retraining; the sources run with the rights of the owner of `model`. Used by
// autorec_refresh_features().
extern "C" PGDLLEXPORT Datum autorec_refresh_features_weights(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
      throw Error(ErrorKind::NullValue, "model and weights must not be NULL");
    std::string model =
        pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    bytea* b = pg_call([&] { return PG_GETARG_BYTEA_PP(1); });
    auto start = std::chrono::steady_clock::now();
    std::unique_ptr<Recommender> rec = Recommender::deserialize(
        reinterpret_cast<const uint8_t*>(VARDATA_ANY(b)), VARSIZE_ANY_EXHDR(b));
    FeatureSources sources = rec->feature_sources();
    FeatureSet features;
    if (!sources.empty()) {
      Options options = rec->options();
      SourceColumns cols = source_columns(options);
      const std::string label = "autorec_refresh_features(" + model + ")";
      AsModelOwner as_owner(model);
      features = read_feature_sources(label, sources, cols, search_path_arg(fcinfo, 2));
      as_owner.end();
    }
    rec->refresh_features(features);  // errors for families without features
    std::vector<uint8_t> bytes = rec->serialize();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Not retrained: the caller keeps the version's effective options (NULL here).
    return trained_tuple(fcinfo, *rec, bytes, "", seconds, history_json(rec->history()), "");
  });
}
