// The event trigger that makes DROP EXTENSION autorec ask for CASCADE while models are stored.
//
// The catalog tables are members of the extension, so DROP EXTENSION autorec drops every
// stored model with them, and plain DROP EXTENSION would do so without a word. At
// ddl_command_start of DROP EXTENSION (the event trigger's WHEN TAG filter: no other command
// calls this), the statement is read: when it names autorec without CASCADE and autorec.model
// has rows, it fails with SQLSTATE 2BP01 (as PostgreSQL's own "other objects depend on it") and
// a hint. Pure C on purpose: SPI and ereport only, no C++ object is alive here.
#include "pg/postgres.hpp"

namespace {

bool names_autorec(const DropStmt* stmt) {
  ListCell* cell;
  foreach (cell, stmt->objects) {
    Node* object = reinterpret_cast<Node*>(lfirst(cell));
    if (IsA(object, String) && strcmp(strVal(object), "autorec") == 0) return true;
  }
  return false;
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(autorec_drop_extension_guard);
}

extern "C" PGDLLEXPORT Datum autorec_drop_extension_guard(PG_FUNCTION_ARGS) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("autorec._drop_extension_guard() must be called as an event trigger")));
  EventTriggerData* trigger = reinterpret_cast<EventTriggerData*>(fcinfo->context);
  Node* parsetree = trigger->parsetree;
  if (!parsetree || !IsA(parsetree, DropStmt)) PG_RETURN_VOID();
  const DropStmt* stmt = reinterpret_cast<const DropStmt*>(parsetree);
  if (stmt->removeType != OBJECT_EXTENSION || stmt->behavior == DROP_CASCADE ||
      !names_autorec(stmt))
    PG_RETURN_VOID();

  // The catalog's owner reads it whatever the row security: every model counts.
  SPI_connect();
  int rc = SPI_execute(
      "SELECT pg_catalog.count(*), "
      "(SELECT pg_catalog.count(*) FROM autorec.model_version), "
      "(SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size("
      "'autorec.model_version'::pg_catalog.regclass))) FROM autorec.model",
      true, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1)
    ereport(ERROR, (errmsg("autorec: could not count the stored models")));
  bool isnull = false;
  int64 models = DatumGetInt64(
      SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  int64 versions = DatumGetInt64(
      SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
  char* size = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
  if (models > 0) {
    // SPI_getvalue's result lives in SPI's memory, which SPI_finish frees: copy it out first.
    char size_copy[64];
    strlcpy(size_copy, size ? size : "?", sizeof size_copy);
    SPI_finish();
    ereport(ERROR,
            (errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
             errmsg("cannot drop extension autorec because it stores %lld model%s",
                    static_cast<long long>(models), models == 1 ? "" : "s"),
             errdetail("The models (%lld version%s, %s) are rows of the extension's tables "
                       "autorec.model and autorec.model_version, which DROP EXTENSION drops.",
                       static_cast<long long>(versions), versions == 1 ? "" : "s", size_copy),
             errhint("Use DROP EXTENSION autorec CASCADE to drop them too, or keep them first: "
                     "pg_dump carries the models, or drop them one by one with "
                     "autorec_drop_model().")));
  }
  SPI_finish();
  PG_RETURN_VOID();
}
