// Model lookup (saved SPI plans against autorec.model) and the per-backend model cache.
//
// Two levels: `models` maps a model name to its deserialized current version (keyed by the
// version's unique id), `lookups` remembers which version a (role, name) pair resolved to.
// Lookups stay valid until the catalog changes: a trigger on the catalog tables sends a relcache
// invalidation for them (at commit, to every backend and to hot standbys through the WAL), and
// our relcache callback then forgets the lookups. So recommend() runs no SQL at all while the
// catalog is unchanged.
//
// Which version is served: the newest committed one. Lookups read the catalog with a fresh
// snapshot (GetLatestSnapshot), not the caller's statement or transaction snapshot, as
// PostgreSQL reads its own catalogs: an invalidation is sent after the retraining commit became
// visible, so a lookup made after it always sees that commit. (Resolving with the caller's
// snapshot would cache an old version as current whenever that snapshot predates the commit --
// a REPEATABLE READ transaction, or a READ COMMITTED statement that started before it -- and
// keep serving it after the transaction, until some unrelated invalidation.) A transaction that
// retrains a model itself sees its own new version. In parallel mode no fresh snapshot may be
// taken: the statement's snapshot is used and the lookup is not kept.
#include "pg/model_cache.hpp"

#include <unordered_map>

extern "C" {
#include "commands/trigger.h"
#include "access/xact.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
}

#include "core/error.hpp"
#include "pg/guard.hpp"

namespace autorec::pg {
namespace {

struct CacheEntry {
  int64_t version_id;
  std::shared_ptr<const Recommender> model;
};

struct Lookup {
  ModelRef ref;
  std::shared_ptr<const Recommender> model;
};

// One entry per model name: a new version replaces the old one.
std::unordered_map<std::string, CacheEntry>& cache() {
  static std::unordered_map<std::string, CacheEntry> c;
  return c;
}

// Key: role oid + "/n/" + model name, or role oid + "/default" for the default model (no name
// maps to that key, not even '').
std::unordered_map<std::string, Lookup>& lookups() {
  static std::unordered_map<std::string, Lookup> l;
  return l;
}
bool lookups_valid = false;
bool callback_registered = false;

// Runs inside PostgreSQL's invalidation processing: only flips a flag.
void catalog_invalidated(Datum, Oid) { lookups_valid = false; }

}  // namespace
}  // namespace autorec::pg

extern "C" {
PG_FUNCTION_INFO_V1(autorec_catalog_changed);
}

// Statement-level trigger on the catalog tables: broadcast a relcache invalidation of the
// table, which reaches every backend's catalog_invalidated() when this transaction commits.
extern "C" PGDLLEXPORT Datum autorec_catalog_changed(PG_FUNCTION_ARGS) {
  if (!CALLED_AS_TRIGGER(fcinfo)) elog(ERROR, "autorec_catalog_changed: not called as a trigger");
  TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
  CacheInvalidateRelcache(td->tg_relation);
  return PointerGetDatum(nullptr);
}

namespace autorec::pg {
namespace {

SPIPlanPtr plan_named, plan_default, plan_weights;

// Prepared once per backend; the plan cache replans them if the catalog changes.
void prepare_plans() {
  if (plan_named) return;
  Oid text_arg[1] = {TEXTOID};
  Oid id_arg[1] = {INT8OID};
  SPIPlanPtr a = SPI_prepare(
      "SELECT m.name, v.id, v.version FROM autorec.model m JOIN autorec.model_version v "
      "ON v.model OPERATOR(pg_catalog.=) m.name AND v.version OPERATOR(pg_catalog.=) "
      "m.current_version WHERE m.name OPERATOR(pg_catalog.=) $1",
      1, text_arg);
  SPIPlanPtr b = SPI_prepare(
      "SELECT m.name, v.id, v.version FROM autorec.model m JOIN autorec.model_version v "
      "ON v.model OPERATOR(pg_catalog.=) m.name AND v.version OPERATOR(pg_catalog.=) "
      "m.current_version WHERE m.is_default",
      0, nullptr);
  SPIPlanPtr c = SPI_prepare(
      "SELECT weights FROM autorec.model_version WHERE id OPERATOR(pg_catalog.=) $1", 1, id_arg);
  if (!a || !b || !c) elog(ERROR, "autorec: could not prepare catalog queries");
  SPI_keepplan(a);
  SPI_keepplan(b);
  SPI_keepplan(c);
  plan_named = a;
  plan_default = b;
  plan_weights = c;
}

std::string model_list() {
  return pg_call([]() -> std::string {
    int rc = SPI_execute(
        "SELECT pg_catalog.string_agg(pg_catalog.quote_literal(name), ', ' ORDER BY name) "
        "FROM autorec.model",
        true, 0);
    if (rc != SPI_OK_SELECT || SPI_processed == 0) return std::string();
    char* s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    return s ? std::string(s) : std::string();
  });
}

// The name of the model `name` (NULL: the default model) when it exists in autorec.model but
// the lookup found no version the caller may read; "" otherwise.
std::string hidden_model(const char* name) {
  return pg_call([&]() -> std::string {
    Datum arg[1];
    Oid type[1] = {TEXTOID};
    int rc;
    if (name) {
      arg[0] = CStringGetTextDatum(name);
      rc = SPI_execute_with_args(
          "SELECT m.name FROM autorec.model m WHERE m.name OPERATOR(pg_catalog.=) $1", 1, type,
          arg, nullptr, true, 1);
    } else {
      rc = SPI_execute("SELECT m.name FROM autorec.model m WHERE m.is_default", true, 1);
    }
    if (rc != SPI_OK_SELECT || SPI_processed == 0) return std::string();
    char* s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    return s ? std::string(s) : std::string();
  });
}

}  // namespace

const char* model_arg(FunctionCallInfo fcinfo, int argno) {
  if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return nullptr;
  return pg_call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(argno)); });
}

namespace {

// Resolves `name` through SPI; deserializes the version unless `models` has it already.
// *keep is set to whether the lookup may be cached beyond this call (see the file comment).
Lookup resolve(const char* name, bool* keep) {
  ModelRef ref;
  bool found = false;
  Snapshot snap = InvalidSnapshot;
  pg_call([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "autorec: SPI_connect failed");
    prepare_plans();
    *keep = !IsInParallelMode();
    snap = *keep ? GetLatestSnapshot() : GetActiveSnapshot();
  });
  pg_call([&] {
    Datum arg[1];
    int rc;
    if (name) {
      arg[0] = CStringGetTextDatum(name);
      rc = SPI_execute_snapshot(plan_named, arg, nullptr, snap, InvalidSnapshot, true, false, 1);
    } else {
      rc = SPI_execute_snapshot(plan_default, nullptr, nullptr, snap, InvalidSnapshot, true, false,
                                1);
    }
    if (rc != SPI_OK_SELECT) elog(ERROR, "autorec: catalog lookup failed");
    if (SPI_processed == 1) {
      bool isnull;
      HeapTuple t = SPI_tuptable->vals[0];
      TupleDesc d = SPI_tuptable->tupdesc;
      char* n = TextDatumGetCString(SPI_getbinval(t, d, 1, &isnull));
      ref.name.assign(n);  // std::string assign of a C string: no allocation failure path
      ref.version_id = DatumGetInt64(SPI_getbinval(t, d, 2, &isnull));
      ref.version = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
      found = true;
    }
  });
  if (!found) {
    // The model may exist but hide its versions from this role (row-level security: the
    // caller is not its owner and was not granted it).
    std::string denied = hidden_model(name);
    if (!denied.empty()) {
      pg_call([&] {
        SPI_finish();
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied for model \"%s\"", denied.c_str()),
                        errhint("Its owner can allow you with SELECT autorec_grant(%s, "
                                "current_user) (or 'public' for every role).",
                                quote_literal_cstr(denied.c_str()))));
      });
    }
    std::string models = model_list();
    pg_call([] { SPI_finish(); });
    if (name)
      throw Error(ErrorKind::UndefinedObject, std::string("model \"") + name + "\" does not exist",
                  models.empty() ? "No model has been trained yet: CALL autorec_train(...)."
                                 : "Models: " + models + ".");
    throw Error(ErrorKind::UndefinedObject, "there is no default model",
                models.empty()
                    ? "Train one with CALL autorec_train('name', 'baseline', 'ratings')."
                    : "Choose one with SELECT autorec_set_default('name'); models: " + models +
                          ".");
  }
  auto it = cache().find(ref.name);
  if (it != cache().end() && it->second.version_id == ref.version_id) {
    pg_call([] { SPI_finish(); });
    return {ref, it->second.model};
  }
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  pg_call([&] {
    Datum arg[1] = {Int64GetDatum(ref.version_id)};
    if (SPI_execute_snapshot(plan_weights, arg, nullptr, snap, InvalidSnapshot, true, false, 1) !=
            SPI_OK_SELECT ||
        SPI_processed != 1)
      elog(ERROR, "autorec: weights of model \"%s\" version %d not found", ref.name.c_str(),
           ref.version);
    bool isnull;
    Datum w = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (isnull) elog(ERROR, "autorec: weights of model \"%s\" are NULL", ref.name.c_str());
    bytea* b = DatumGetByteaPP(w);
    bytes = reinterpret_cast<const uint8_t*>(VARDATA_ANY(b));
    len = VARSIZE_ANY_EXHDR(b);
  });
  std::shared_ptr<const Recommender> model = Recommender::deserialize(bytes, len);
  pg_call([] { SPI_finish(); });
  cache()[ref.name] = {ref.version_id, model};
  return {ref, model};
}

}  // namespace

std::shared_ptr<const Recommender> current_model(const char* name, ModelRef* out) {
  Oid role = pg_call([] {
    if (!callback_registered) {
      // Any relcache invalidation may concern the catalog: conservatively forget lookups.
      CacheRegisterRelcacheCallback(catalog_invalidated, 0);
      callback_registered = true;
    }
    AcceptInvalidationMessages();
    return GetUserId();
  });
  if (!lookups_valid) {
    lookups().clear();
    lookups_valid = true;  // an invalidation arriving from here on clears it again
  }
  std::string key = std::to_string(role) + (name ? "/n/" + std::string(name) : "/default");
  auto hit = lookups().find(key);
  if (hit == lookups().end()) {
    bool keep = true;
    Lookup found = resolve(name, &keep);
    if (!keep) {
      if (out) *out = found.ref;
      return found.model;
    }
    hit = lookups().emplace(key, std::move(found)).first;
  }
  if (out) *out = hit->second.ref;
  return hit->second.model;
}

}  // namespace autorec::pg
