// Ratings or interactions from any table, view or query: columns found by name, any integer id
// type, any numeric rating or weight type, NULL rows skipped and counted.
#include "pg/source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <chrono>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "pg/guard.hpp"

namespace autorec::pg {
namespace {

constexpr long kBatchRows = 10000;

bool looks_like_query(const std::string& s) {
  size_t p = 0;
  while (p < s.size() && (std::isspace(static_cast<unsigned char>(s[p])) || s[p] == '(')) ++p;
  std::string word;
  while (p < s.size() && std::isalpha(static_cast<unsigned char>(s[p])))
    word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[p++]))));
  return word == "select" || word == "with" || word == "values" || word == "table";
}

// SELECT text for the source; relations are resolved on the caller's search_path and quoted.
std::string source_sql(const std::string& source, std::string& resolved) {
  if (looks_like_query(source)) {
    std::string q = source;
    while (!q.empty() && (std::isspace(static_cast<unsigned char>(q.back())) || q.back() == ';'))
      q.pop_back();
    resolved = q;
    // The newline ends a trailing "-- comment" before the closing parenthesis.
    return "SELECT * FROM (" + q + "\n) AS autorec_source";
  }
  const char* qualified = pg_call([&]() -> const char* {
    List* names = stringToQualifiedNameList(source.c_str());
    RangeVar* rv = makeRangeVarFromNameList(names);
    Oid relid = RangeVarGetRelid(rv, AccessShareLock, false);
    return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                      get_rel_name(relid));
  });
  resolved = qualified;
  return std::string("SELECT * FROM ") + qualified;
}

// The user's search_path while a source is read, as fmgr applies a function's SET clause: a
// new GUC nest level, popped by end() with every setting the source changed undone (an error
// pops it with the (sub)transaction abort). Between the two, only the source's text is parsed
// and run (the wrapping SELECT names no function or operator).
class SourceSearchPath {
 public:
  explicit SourceSearchPath(const std::string& path) {
    if (path.empty()) return;
    pg_call([&] {
      level_ = NewGUCNestLevel();
      (void)set_config_option("search_path", path.c_str(), PGC_USERSET, PGC_S_SESSION,
                              GUC_ACTION_SAVE, true, 0, false);
    });
    active_ = true;
  }
  SourceSearchPath(const SourceSearchPath&) = delete;
  SourceSearchPath& operator=(const SourceSearchPath&) = delete;
  void end() {
    if (!active_) return;
    active_ = false;
    pg_call([&] { AtEOXact_GUC(false, level_); });
  }

 private:
  bool active_ = false;
  int level_ = 0;
};

// Connects SPI and opens a read-only cursor over the source; empty_error is the error for a
// blank source, what names the source in a failed prepare.
Portal open_source_cursor(const std::string& source, const std::string& empty_error,
                          const char* what, SourceStats& stats) {
  if (source.find_first_not_of(" \t\r\n") == std::string::npos)
    throw Error(ErrorKind::InvalidParameter, empty_error,
                "Name a table or view, or give a SELECT query.");
  pg_call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "autorec: SPI_connect failed");
  });
  std::string sql = source_sql(source, stats.resolved);
  return pg_call([&] {
    SPIPlanPtr plan = SPI_prepare(sql.c_str(), 0, nullptr);
    if (plan == nullptr)
      elog(ERROR, "could not prepare the %s query: %s", what, SPI_result_code_string(SPI_result));
    return SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);
  });
}

// The source's column names, for errors that name a missing column.
std::string column_names(TupleDesc desc) {
  std::string names;
  for (int a = 0; a < desc->natts; ++a) {
    Form_pg_attribute att = TupleDescAttr(desc, a);
    if (!att->attisdropped)
      names += (names.empty() ? "" : ", ") + std::string(NameStr(att->attname));
  }
  return names;
}

// Progress of a read in pg_stat_activity.query (no NOTICE), when the caller labelled it:
// "<label>: reading <what><source>" at the start, then with the rows read so far.
void show_reading(const SourceStats& stats, const char* what) {
  if (stats.label.empty()) return;
  const char* source = stats.resolved.size() > 60 ? "the query" : stats.resolved.c_str();
  char buf[512];
  if (stats.rows == 0)
    snprintf(buf, sizeof buf, "%s: reading %s%s", stats.label.c_str(), what, source);
  else
    snprintf(buf, sizeof buf, "%s: reading %s%s: %llu rows so far", stats.label.c_str(), what,
             source, static_cast<unsigned long long>(stats.rows));
  pg_call([&] { pgstat_report_activity(STATE_RUNNING, buf); });
}

// Batches between two progress reports of a read (100,000 rows).
constexpr uint64 kProgressBatches = 10;

// The next batch of the cursor into SPI_tuptable; returns its row count, 0 at the end.
uint64 fetch_batch(Portal portal) {
  return pg_call([&] {
    CHECK_FOR_INTERRUPTS();
    SPI_cursor_fetch(portal, true, kBatchRows);
    return SPI_processed;
  });
}

enum class Kind { Int2, Int4, Int8, Float4, Float8, Numeric, Invalid };

Kind kind_of(Oid type) {
  switch (type) {
    case INT2OID: return Kind::Int2;
    case INT4OID: return Kind::Int4;
    case INT8OID: return Kind::Int8;
    case FLOAT4OID: return Kind::Float4;
    case FLOAT8OID: return Kind::Float8;
    case NUMERICOID: return Kind::Numeric;
    default: return Kind::Invalid;
  }
}

struct Column {
  int attno = 0;
  Kind kind = Kind::Invalid;
};

// Called inside pg_call.
double to_double(Datum d, Kind k) {
  switch (k) {
    case Kind::Int2: return DatumGetInt16(d);
    case Kind::Int4: return DatumGetInt32(d);
    case Kind::Int8: return static_cast<double>(DatumGetInt64(d));
    case Kind::Float4: return DatumGetFloat4(d);
    case Kind::Float8: return DatumGetFloat8(d);
    case Kind::Numeric: return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
    default: return 0;
  }
}

int64_t to_int64(Datum d, Kind k) {
  switch (k) {
    case Kind::Int2: return DatumGetInt16(d);
    case Kind::Int4: return DatumGetInt32(d);
    default: return DatumGetInt64(d);
  }
}

}  // namespace

RawRatings read_ratings(const std::string& source, const SourceColumns& cols,
                        SourceStats& stats, const std::string& search_path) {
  auto start = std::chrono::steady_clock::now();
  SourceSearchPath path(search_path);
  Portal portal = open_source_cursor(source, "the source is empty", "source", stats);
  TupleDesc desc = portal->tupDesc;

  // Explicit or implicit: the options decide, then the caller's use, then the source itself.
  const bool made_implicit = cols.implicit || !cols.weight.empty() ||
                             !std::isnan(cols.min_rating) || !cols.time.empty();
  if (made_implicit && cols.use == RatingUse::Required)
    throw Recommender::ratings_required(
        cols.algorithm, std::string("the option ") +
                            (cols.implicit             ? "implicit"
                             : !cols.weight.empty()    ? "weight_column"
                             : !cols.time.empty()      ? "half_life_days"
                                                       : "min_rating") +
                            " makes the input implicit");
  if (cols.implicit && !std::isnan(cols.min_rating))
    throw Error(ErrorKind::InvalidParameter,
                "options \"implicit\" and \"min_rating\" exclude each other",
                "implicit: true reads every row as an interaction; min_rating reads only the "
                "rows rated at least that.");
  auto has_column = [&](const std::string& name) {
    return pg_call([&] { return SPI_fnumber(desc, name.c_str()); }) > 0;
  };
  const bool has_rating = has_column(cols.rating);
  // Without its user and item columns, the source is not what the caller meant at all: that
  // error (below) comes first.
  if (!has_rating && cols.use == RatingUse::Required && !cols.rating_named &&
      has_column(cols.user) && has_column(cols.item))
    throw Recommender::ratings_required(cols.algorithm,
                                        "the source has no column \"" + cols.rating + "\"",
                                        ErrorKind::UndefinedColumn);
  // Which columns are read: user, item, then the rating (explicit input, or the min_rating
  // filter) and the weight.
  const bool explicit_input = !made_implicit && cols.use != RatingUse::Never &&
                              (has_rating || cols.rating_named || cols.use == RatingUse::Required);
  const bool read_rating = explicit_input || !std::isnan(cols.min_rating);
  const bool read_weight = !cols.weight.empty();
  const bool read_time = !cols.time.empty();
  std::vector<const std::string*> names = {&cols.user, &cols.item};
  if (read_rating) names.push_back(&cols.rating);
  if (read_weight) names.push_back(&cols.weight);
  if (read_time) names.push_back(&cols.time);
  const int n_cols = static_cast<int>(names.size());
  const int rating_at = read_rating ? 2 : -1;
  const int weight_at = read_weight ? (read_rating ? 3 : 2) : -1;
  const int time_at = read_time ? n_cols - 1 : -1;
  Oid time_type = InvalidOid;
  Column c[5];
  std::string missing;
  int n_missing = 0;
  for (int k = 0; k < n_cols; ++k) {
    c[k].attno = pg_call([&] { return SPI_fnumber(desc, names[k]->c_str()); });
    if (c[k].attno <= 0) {
      missing += (missing.empty() ? "\"" : ", \"") + *names[k] + "\"";
      ++n_missing;
      continue;
    }
    Oid type = TupleDescAttr(desc, c[k].attno - 1)->atttypid;
    const Oid base = pg_call([&] { return getBaseType(type); });  // domains too
    c[k].kind = kind_of(base);
    if (k == time_at) time_type = base;
    bool ok = k < 2 ? (c[k].kind == Kind::Int2 || c[k].kind == Kind::Int4 || c[k].kind == Kind::Int8)
                    : c[k].kind != Kind::Invalid ||
                          (k == time_at && (base == DATEOID || base == TIMESTAMPOID ||
                                            base == TIMESTAMPTZOID));
    if (!ok) {
      const char* tname = pg_call([&] { return format_type_be(type); });
      throw Error(ErrorKind::DatatypeMismatch,
                  "column \"" + *names[k] + "\" of the source has type " + tname +
                      (k < 2 ? ", but ids must be an integer type (smallint, integer, bigint)"
                       : k == weight_at ? ", but weights must be a numeric type"
                       : k == time_at   ? ", but times must be a timestamp, a date or a number "
                                          "of seconds"
                                        : ", but ratings must be a numeric type"));
    }
  }
  if (!missing.empty()) {
    throw Error(ErrorKind::UndefinedColumn,
                (n_missing > 1 ? "the source has no columns " : "the source has no column ") +
                    missing,
                read_weight ? "Name other columns with the options user_column, item_column, "
                              "rating_column and weight_column."
                            : "Name other columns with the options user_column, item_column and "
                              "rating_column.",
                "Its columns are: " + column_names(desc) + ".");
  }

  RawRatings raw;
  raw.implicit = !explicit_input;
  std::vector<double> times;  // seconds, one per row kept (time decay)
  show_reading(stats, "");
  for (uint64 batch = 1;; ++batch) {
    const uint64 n = fetch_batch(portal);
    if (n == 0) break;
    size_t base = raw.size();
    raw.users.resize(base + n);
    raw.items.resize(base + n);
    raw.ratings.resize(base + n);
    int64_t* us = raw.users.data() + base;
    int64_t* is = raw.items.data() + base;
    double* rs = raw.ratings.data() + base;
    uint64 below = 0;
    uint64 kept = pg_call([&] {
      uint64 m = 0;
      SPITupleTable* tt = SPI_tuptable;
      for (uint64 r = 0; r < n; ++r) {
        bool null_u, null_i, null_r = false, null_w = false;
        Datum du = SPI_getbinval(tt->vals[r], tt->tupdesc, c[0].attno, &null_u);
        Datum di = SPI_getbinval(tt->vals[r], tt->tupdesc, c[1].attno, &null_i);
        Datum dr = rating_at < 0 ? Datum(0)
                                 : SPI_getbinval(tt->vals[r], tt->tupdesc, c[rating_at].attno, &null_r);
        Datum dw = weight_at < 0 ? Datum(0)
                                 : SPI_getbinval(tt->vals[r], tt->tupdesc, c[weight_at].attno, &null_w);
        bool null_t = false;
        Datum dt = time_at < 0 ? Datum(0)
                               : SPI_getbinval(tt->vals[r], tt->tupdesc, c[time_at].attno, &null_t);
        if (null_u || null_i || null_r || null_w || null_t) continue;
        const double rating = rating_at < 0 ? 0 : to_double(dr, c[rating_at].kind);
        if (!explicit_input && rating_at >= 0 && !(rating >= cols.min_rating)) {
          ++below;  // NaN ratings too: they are not at or above the threshold
          continue;
        }
        us[m] = to_int64(du, c[0].kind);
        is[m] = to_int64(di, c[1].kind);
        rs[m] = explicit_input ? rating : weight_at >= 0 ? to_double(dw, c[weight_at].kind) : 1.0;
        if (time_at >= 0)
          times.push_back(time_type == DATEOID        ? DatumGetDateADT(dt) * 86400.0
                          : time_type == TIMESTAMPOID ||
                                  time_type == TIMESTAMPTZOID
                              ? static_cast<double>(DatumGetTimestamp(dt)) / 1e6
                              : to_double(dt, c[time_at].kind));
        ++m;
      }
      SPI_freetuptable(tt);
      return m;
    });
    stats.rows += n;
    stats.below_min += below;
    stats.skipped_null += n - kept - below;
    if (batch % kProgressBatches == 0) show_reading(stats, "");
    raw.users.resize(base + kept);
    raw.items.resize(base + kept);
    raw.ratings.resize(base + kept);
  }
  pg_call([&] {
    SPI_cursor_close(portal);
    SPI_finish();
  });
  path.end();
  if (!times.empty()) {
    // Ages from the latest interaction; a weight that is not finite (NaN or infinite times, a
    // NaN weight) is left to build_dataset's check, which names the row.
    double latest = -INFINITY;
    for (double t : times)
      if (std::isfinite(t)) latest = std::max(latest, t);
    const double half_life = cols.half_life_days * 86400.0;
    // At least 1e-30 (a float): a very old interaction weighs next to nothing, not 0, which
    // would be an invalid weight.
    for (size_t k = 0; k < times.size(); ++k)
      raw.ratings[k] *= std::max(1e-30, std::exp2(-(latest - times[k]) / half_life));
  }
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return raw;
}

}  // namespace autorec::pg

namespace autorec::pg {
namespace {

// How one feature column is read (plain C data: it is used inside pg_call).
struct FeatureReader {
  int attno;
  FeatureKind kind;
  Kind number;   // numeric columns of a numeric type
  Oid type;      // the column's base type
  Oid out_func;  // text form of scalars or of array elements
  Oid elem;      // arrays: element type
  int16 elem_len;
  bool elem_byval;
  char elem_align;
};

// Called inside pg_call.
double feature_number(Datum d, const FeatureReader& c) {
  if (c.number != Kind::Invalid) return to_double(d, c.number);
  if (c.type == DATEOID) {
    DateADT v = DatumGetDateADT(d);
    return DATE_NOT_FINITE(v) ? NAN : static_cast<double>(v);
  }
  Timestamp t = DatumGetTimestamp(d);  // timestamp and timestamptz: microseconds
  return TIMESTAMP_NOT_FINITE(t) ? NAN : static_cast<double>(t) / 1e6;
}

}  // namespace

FeatureTable read_features(const std::string& source, const std::string& id_column,
                           const std::string& what, SourceStats& stats,
                           const std::string& search_path) {
  auto start = std::chrono::steady_clock::now();
  SourceSearchPath path(search_path);
  Portal portal =
      open_source_cursor(source, "option \"" + what + "\" is empty", what.c_str(), stats);
  TupleDesc desc = portal->tupDesc;

  int id_attno = pg_call([&] { return SPI_fnumber(desc, id_column.c_str()); });
  const std::string found = column_names(desc);
  if (id_attno <= 0)
    throw Error(ErrorKind::UndefinedColumn,
                "the " + what + " source has no column \"" + id_column + "\"",
                "The id column is named as in the ratings source (options user_column and "
                "item_column).",
                "Its columns are: " + found + ".");
  Kind id_kind =
      kind_of(pg_call([&] { return getBaseType(TupleDescAttr(desc, id_attno - 1)->atttypid); }));
  if (id_kind != Kind::Int2 && id_kind != Kind::Int4 && id_kind != Kind::Int8) {
    const char* tname =
        pg_call([&] { return format_type_be(TupleDescAttr(desc, id_attno - 1)->atttypid); });
    throw Error(ErrorKind::DatatypeMismatch,
                "column \"" + id_column + "\" of the " + what + " source has type " + tname +
                    ", but ids must be an integer type (smallint, integer, bigint)");
  }

  FeatureTable table;
  std::vector<FeatureReader> readers;
  for (int a = 0; a < desc->natts; ++a) {
    Form_pg_attribute att = TupleDescAttr(desc, a);
    if (att->attisdropped || a + 1 == id_attno) continue;
    FeatureReader c{};
    c.attno = a + 1;
    pg_call([&] {
      c.type = getBaseType(att->atttypid);
      c.elem = get_element_type(c.type);
      c.number = kind_of(c.type);
      bool varlena;
      if (c.elem != InvalidOid) {
        c.kind = FeatureKind::Set;
        getTypeOutputInfo(c.elem, &c.out_func, &varlena);
        get_typlenbyvalalign(c.elem, &c.elem_len, &c.elem_byval, &c.elem_align);
      } else if (c.number != Kind::Invalid || c.type == DATEOID || c.type == TIMESTAMPOID ||
                 c.type == TIMESTAMPTZOID) {
        c.kind = FeatureKind::Numeric;
      } else {
        c.kind = FeatureKind::Categorical;
        getTypeOutputInfo(c.type, &c.out_func, &varlena);
      }
    });
    readers.push_back(c);
    FeatureColumn col;
    col.name = NameStr(att->attname);
    col.kind = c.kind;
    table.columns.push_back(std::move(col));
  }
  if (readers.empty())
    throw Error(ErrorKind::InvalidParameter,
                "the " + what + " source has no feature columns besides \"" + id_column + "\"",
                {}, "Its columns are: " + found + ".");

  // Text forms and detoasted arrays of one batch live in this context, reset per batch.
  MemoryContext batch_cxt = pg_call([] {
    return AllocSetContextCreate(CurrentMemoryContext, "autorec features", ALLOCSET_DEFAULT_SIZES);
  });
  const std::string reading_what = what + " ";
  show_reading(stats, reading_what.c_str());
  for (uint64 batch = 1;; ++batch) {
    const uint64 n = fetch_batch(portal);
    if (n == 0) break;
    uint64 kept = pg_call([&] {
      MemoryContext old = MemoryContextSwitchTo(batch_cxt);
      uint64 m = 0;
      SPITupleTable* tt = SPI_tuptable;
      for (uint64 r = 0; r < n; ++r) {
        bool null_id;
        Datum did = SPI_getbinval(tt->vals[r], tt->tupdesc, id_attno, &null_id);
        if (null_id) continue;
        table.ids.push_back(to_int64(did, id_kind));
        for (size_t j = 0; j < readers.size(); ++j) {
          const FeatureReader& c = readers[j];
          FeatureColumn& col = table.columns[j];
          bool isnull;
          Datum d = SPI_getbinval(tt->vals[r], tt->tupdesc, c.attno, &isnull);
          if (c.kind == FeatureKind::Numeric) {
            col.add_number(isnull ? NAN : feature_number(d, c));
            continue;
          }
          if (!isnull && c.kind == FeatureKind::Categorical) {
            col.add_token(c.type == BOOLOID ? (DatumGetBool(d) ? "true" : "false")
                                            : OidOutputFunctionCall(c.out_func, d));
          } else if (!isnull) {
            ArrayType* arr = DatumGetArrayTypeP(d);
            Datum* elems;
            bool* nulls;
            int count;
            deconstruct_array(arr, c.elem, c.elem_len, c.elem_byval, c.elem_align, &elems, &nulls,
                              &count);
            for (int e = 0; e < count; ++e)
              if (!nulls[e]) col.add_token(OidOutputFunctionCall(c.out_func, elems[e]));
          }
          col.end_row();
        }
        ++m;
      }
      SPI_freetuptable(tt);
      MemoryContextSwitchTo(old);
      MemoryContextReset(batch_cxt);
      return m;
    });
    stats.rows += n;
    stats.skipped_null += n - kept;
    if (batch % kProgressBatches == 0) show_reading(stats, reading_what.c_str());
  }
  pg_call([&] {
    MemoryContextDelete(batch_cxt);
    SPI_cursor_close(portal);
    SPI_finish();
  });
  path.end();
  table.validate(what);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return table;
}

AsModelOwner::AsModelOwner(const std::string& model) {
  pg_call([&] {
    NameData owner_name;
    bool found = false;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "autorec: SPI_connect failed");
    Oid type[1] = {TEXTOID};
    Datum arg[1] = {CStringGetTextDatum(model.c_str())};
    if (SPI_execute_with_args(
            "SELECT m.owner FROM autorec.model m WHERE m.name OPERATOR(pg_catalog.=) $1", 1, type,
            arg, nullptr, true, 1) != SPI_OK_SELECT)
      elog(ERROR, "autorec: model lookup failed");
    if (SPI_processed == 1) {
      bool isnull;
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      namestrcpy(&owner_name, NameStr(*DatumGetName(d)));
      found = true;
    }
    SPI_finish();
    if (!found) return;  // a new model: the caller will own it
    Oid owner = get_role_oid(NameStr(owner_name), true);
    if (owner == InvalidOid)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                      errmsg("the owner of model \"%s\", role \"%s\", no longer exists",
                             model.c_str(), NameStr(owner_name)),
                      errhint("A superuser can make another role its owner with UPDATE "
                              "autorec.model SET owner = 'role' WHERE name = %s.",
                              quote_literal_cstr(model.c_str()))));
    Oid caller = GetUserId();
    if (owner == caller) return;
    if (!is_member_of_role(caller, owner))  // true for superusers
      ereport(ERROR,
              (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
               errmsg("must be owner of model \"%s\"", model.c_str()),
               errdetail("The model belongs to role %s.", quote_identifier(NameStr(owner_name)))));
    GetUserIdAndSecContext(&saved_user_, &saved_context_);
    SetUserIdAndSecContext(owner, saved_context_ | SECURITY_RESTRICTED_OPERATION);
    guc_level_ = NewGUCNestLevel();
    switched_ = true;
  });
}

void AsModelOwner::end() {
  if (!switched_) return;
  pg_call([&] {
    AtEOXact_GUC(false, guc_level_);
    SetUserIdAndSecContext(saved_user_, saved_context_);
    switched_ = false;
  });
}

AsModelOwner::~AsModelOwner() {
  // Only assigns two variables: cannot fail. The GUC nest level is popped by the abort of the
  // (sub)transaction the error ends in.
  if (switched_) SetUserIdAndSecContext(saved_user_, saved_context_);
}

}  // namespace autorec::pg
