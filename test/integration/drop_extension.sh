#!/usr/bin/env bash
# DROP EXTENSION autorec and the stored models (the catalog tables are extension members, so
# the models go with the extension): while models exist, a DROP EXTENSION without CASCADE fails
# (SQLSTATE 2BP01, the count and a hint) and leaves everything in place; without models, or
# with CASCADE, it drops. The guard (an event trigger) comes with ALTER EXTENSION UPDATE from
# 0.1 too, stays out of pg_dump's output (it is an extension member), and ignores other
# extensions and other DDL. Works in its own database.
set -euo pipefail
DB=autorec_drop_ext
WORK=$(mktemp -d /tmp/autorec-drop.XXXXXX)
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS ${DB}_restored" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup >/dev/null 2>&1
mkdir -p "$WORK"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
q() { psql -X -tA -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
fail() { echo "drop_extension: $*"; exit 1; }
# try SQL: runs it, prints "ok" or "SQLSTATE: message / hint" (the error is caught in plpgsql).
try() {
  q -c "SET client_min_messages = warning" -c "DO \$do\$
DECLARE
    state text; msg text; detail text; hint text;
BEGIN
    EXECUTE \$sql\$ $1 \$sql\$;
    RAISE WARNING 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
    RAISE WARNING '%: % | % | %', state, msg, detail, hint;
END \$do\$" 2>&1 | sed -n 's/^WARNING:  //p'
}
setup="SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 60) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0;"
models="SET client_min_messages = warning;
CALL autorec_train('a', 'baseline', 'ratings');
CALL autorec_train('b', 'popularity', 'ratings');
CALL autorec_train('b', 'popularity', 'ratings');"
extension() { q -c "SELECT count(*) FROM pg_extension WHERE extname = 'autorec'"; }

echo "1. no models: a plain DROP EXTENSION drops"
q -q -c "$setup" -c "CREATE EXTENSION autorec"
[ "$(try 'DROP EXTENSION autorec')" = ok ] || fail "DROP EXTENSION without models failed"
[ "$(extension)" = 0 ] || fail "the extension is still there"

echo "2. models stored: DROP EXTENSION [RESTRICT] fails and keeps them"
q -q -c "$setup" -c "CREATE EXTENSION autorec" -c "$models"
for stmt in 'DROP EXTENSION autorec' 'DROP EXTENSION autorec RESTRICT' \
            'DROP EXTENSION IF EXISTS no_such_extension, autorec'; do
  out=$(try "$stmt")
  echo "   $stmt -> $out"
  [[ "$out" == "2BP01: cannot drop extension autorec because it stores 2 models | The models (3 versions, "*"DROP EXTENSION autorec CASCADE"* ]] ||
    fail "unexpected answer to $stmt"
done
[ "$(q -c "SELECT count(*) FROM autorec.model_version")" = 3 ] || fail "versions lost"
[ "$(q -c "SELECT count(*) FROM recommend(1, 5, 'a')")" = 5 ] || fail "the models do not serve any more"

echo "3. other extensions and other DDL are not affected"
q -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION hstore" -c "DROP EXTENSION hstore" \
  -c "CREATE TABLE t (x int)" -c "ALTER TABLE t ADD COLUMN y int" -c "DROP TABLE t" \
  -c "DROP EXTENSION IF EXISTS no_such_extension"

echo "4. after autorec_drop_model of every model a plain DROP EXTENSION drops"
q -q -c "SELECT autorec_drop_model('a')" -c "SELECT autorec_drop_model('b')" >/dev/null
[ "$(try 'DROP EXTENSION autorec')" = ok ] || fail "DROP EXTENSION after dropping the models failed"

echo "5. CASCADE drops the extension with its models"
q -q -c "CREATE EXTENSION autorec" -c "$models"
[ "$(try 'DROP EXTENSION autorec CASCADE')" = ok ] || fail "DROP EXTENSION CASCADE failed"
[ "$(extension)" = 0 ] && [ -z "$(q -c "SELECT to_regclass('autorec.model')")" ] ||
  fail "CASCADE left the extension or its catalog behind"

echo "6. ALTER EXTENSION UPDATE from 0.1 brings the guard (and the catalog descriptions)"
q -q -c "CREATE EXTENSION autorec VERSION '0.1'" -c "$models"
[ "$(try 'ALTER EXTENSION autorec UPDATE')" = ok ] || fail "ALTER EXTENSION UPDATE failed"
[ "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'autorec'")" = 0.2 ] || fail "not updated"
out=$(try 'DROP EXTENSION autorec')
[[ "$out" == 2BP01:* ]] || fail "no guard after the update: $out"
[ "$(q -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'autorec.model'::regclass AND attnum > 0
              AND col_description(attrelid, attnum) IS NULL")" = 0 ] || fail "columns without description after the update"

echo "7. pg_dump leaves the guard to CREATE EXTENSION; the restored database has it once"
pg_dump -f "$WORK/db.sql" "$DB"
! grep -q 'EVENT TRIGGER' "$WORK/db.sql" || fail "pg_dump wrote the event trigger"
pg_dump -Fc -f "$WORK/db.dump" "$DB"
psql -X -q -d postgres -c "CREATE DATABASE ${DB}_restored"
pg_restore --exit-on-error -d "${DB}_restored" "$WORK/db.dump"
[ "$(psql -X -tA -d "${DB}_restored" -c "SELECT count(*) FROM pg_event_trigger WHERE evtname = 'autorec_drop_extension_guard'")" = 1 ] ||
  fail "the restored database has no guard"
[ "$(psql -X -tA -d "${DB}_restored" -c "SELECT count(*) FROM autorec.model_version")" = 3 ] || fail "models not restored"
# pg_restore --clean over a database that has models: its plain DROP EXTENSION meets the guard
# (docs/operations.md: drop the extension with CASCADE first, or restore into an empty database).
if pg_restore --clean --if-exists --exit-on-error -d "${DB}_restored" "$WORK/db.dump" 2>"$WORK/clean.err"; then
  fail "pg_restore --clean dropped the extension and its models without CASCADE"
fi
grep -q 'cannot drop extension autorec because it stores 2 models' "$WORK/clean.err" || { cat "$WORK/clean.err"; fail "unexpected pg_restore error"; }
psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_restored" -c "DROP EXTENSION autorec CASCADE"
pg_restore --clean --if-exists --exit-on-error -d "${DB}_restored" "$WORK/db.dump"
[ "$(psql -X -tA -d "${DB}_restored" -c "SELECT count(*) FROM autorec.model_version")" = 3 ] || fail "models not restored by --clean"
echo "drop_extension: ok"
