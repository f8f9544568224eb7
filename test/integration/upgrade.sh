#!/usr/bin/env bash
# Upgrades: a database with the 0.1 release installed (CREATE EXTENSION autorec VERSION '0.1')
# and a model of every family is updated with ALTER EXTENSION autorec UPDATE. The models serve
# the same answers after the update (in the session that ran it and in a new one), evaluate and
# retrain; the updated database survives pg_dump/pg_restore, where both its 0.1-trained and its
# 0.2-trained versions serve, and a dump of the 0.1 database restores as 0.2 and serves. Then
# a fresh 0.2 install and 0.1 + UPDATE must be identical: every object of the extension is
# described (lib/describe_extension.sql) in both and diffed.
# Run by scripts/test.sh against its cluster (PGHOST/PGPORT set); small data, a few epochs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/lib/dump.sh"
OLD=autorec_upgrade            # 0.1 with models, then updated
RESTORED=autorec_upgrade_restored
RESTORED_01=autorec_upgrade_restored_01   # a dump of the 0.1 database
FRESH=autorec_upgrade_fresh    # CREATE EXTENSION autorec (0.2)
UPDATED=autorec_upgrade_bare   # CREATE EXTENSION autorec VERSION '0.1'; ALTER EXTENSION UPDATE
WORK=$(mktemp -d /tmp/autorec-upgrade.XXXXXX)
cleanup() {
  for db in $OLD $RESTORED $RESTORED_01 $FRESH $UPDATED; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup >/dev/null 2>&1
mkdir -p "$WORK"
psql_in() { psql -X -q -v ON_ERROR_STOP=1 -d "$@"; }
value() { psql -X -tA -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fail() { echo "upgrade: $*"; exit 1; }

# --- Released scripts are frozen --------------------------------------------------------------
# Every sql/autorec--*.sql file a release tag holds must be unchanged here (add the tag of each
# new release to RELEASED). The check needs the tags, which a plain or shallow clone may lack.
RELEASED="v0.1"
for tag in $RELEASED; do
  if ! git -C "$ROOT" rev-parse -q --verify "$tag^{commit}" >/dev/null 2>&1; then
    echo "SKIPPED: no git tag $tag in this checkout (a plain or shallow clone, or git refuses this checkout?), so its scripts are not checked against sql/"
    continue
  fi
  for f in $(git -C "$ROOT" ls-tree --name-only "$tag" sql/ | grep '^sql/autorec--.*\.sql$'); do
    if ! git -C "$ROOT" show "$tag:$f" | diff -u - "$ROOT/$f"; then
      fail "$f differs from release $tag's (git show $tag:$f): a released script is frozen; put changes in the newest install script and its update script"
    fi
    echo "$f is release $tag's"
  done
done
target=$(value postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'autorec'")
path=$(value postgres "SELECT path FROM pg_extension_update_paths('autorec') WHERE source = '0.1' AND target = '$target'")
[ -n "$path" ] || fail "no update path from 0.1 to $target"
echo "update path: $path"

# --- 0.1 with a model of every family --------------------------------------------------------
psql_in postgres -c "CREATE DATABASE $OLD"
psql_in $OLD >/dev/null <<'SQL'
SET client_min_messages = warning;
-- PostgreSQL looks up the C symbol of every C function it creates (check_function_bodies): so
-- this also checks that the new library still exports every symbol the 0.1 script names.
SET check_function_bodies = on;
CREATE EXTENSION autorec VERSION '0.1';
-- 60 users x 40 items, about 40% rated; users prefer one of three kinds of item.
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id,
       CASE WHEN u % 3 = i % 3 THEN 4 + (u + i) % 2 ELSE 1 + (u * 7 + i * 3) % 3 END AS rating
  FROM generate_series(1, 60) u, generate_series(1, 40) i WHERE (u * 31 + i * 17) % 5 < 2;
CREATE TABLE item_features AS
SELECT i AS item_id, 1980 + i AS year, ARRAY['k' || i % 3, 'g' || i % 4] AS genres
  FROM generate_series(1, 42) i;
SELECT * FROM autorec_split('ratings', 'train', 'test', 0.2, 1);
SQL
options() {  # small, fast options per family; one thread for reproducible trainings
  case $1 in
    knn | itemknn) echo '{"threads": 1, "k": 10}' ;;
    svd) echo '{"threads": 1, "factors": 4, "epochs": 5}' ;;
    autorec | ranking_autorec) echo '{"threads": 1, "hidden": [8], "epochs": 5}' ;;
    content) echo '{"threads": 1, "item_features": "item_features", "factors": 2, "epochs": 5}' ;;
    ials) echo '{"threads": 1, "factors": 4, "epochs": 3}' ;;
    *) echo '{"threads": 1}' ;;
  esac
}
mapfile -t FAMILIES < <(value $OLD "SELECT algorithm FROM autorec_algorithms() ORDER BY 1")
[ ${#FAMILIES[@]} -ge 10 ] || fail "autorec_algorithms() lists ${#FAMILIES[@]} families"
for f in "${FAMILIES[@]}"; do
  psql_in $OLD -c "SET client_min_messages = warning" \
    -c "CALL autorec_train('m_$f', '$f', 'train', '$(options "$f")')"
done
echo "0.1: trained ${#FAMILIES[@]} models: ${FAMILIES[*]}"

# What every model serves: the top 5 of known users and of 999 (unknown: the fallback), and
# the rating families' predictions, known and unknown items included.
CURRENT_LISTS="SELECT m.model, u AS user_id, r.ord, r.item_id, r.score
                 FROM autorec_models m, unnest(ARRAY[1, 2, 17, 33, 60, 999]) u,
                      LATERAL recommend(u, 5, m.model) WITH ORDINALITY r(item_id, score, ord)"
CURRENT_PREDICTIONS="SELECT m.model, u AS user_id, i AS item_id, predict_rating(u, i, m.model) AS rating
                       FROM autorec_models m JOIN autorec_algorithms() a USING (algorithm),
                            unnest(ARRAY[1, 17, 60, 999]) u, unnest(ARRAY[1, 5, 39, 42, 999]) i
                      WHERE a.scores = 'rating'"
# mismatches RECORDED: the lists and predictions now served that differ from those in the
# tables RECORDED_lists and RECORDED_predictions (scores within 1e-9 relative: the same code).
mismatches() {
  echo "SELECT format('%s: recommend(%s) rank %s: item %s score %s, recorded item %s score %s',
                      model, user_id, ord, c.item_id, c.score, r.item_id, r.score)
          FROM ${1}_lists r FULL JOIN ($CURRENT_LISTS) c USING (model, user_id, ord)
         WHERE r.item_id IS DISTINCT FROM c.item_id
            OR NOT abs(r.score - c.score) <= 1e-9 * greatest(1, abs(r.score))
        UNION ALL
        SELECT format('%s: predict_rating(%s, %s) = %s, recorded %s', model, user_id, item_id, c.rating, r.rating)
          FROM ${1}_predictions r FULL JOIN ($CURRENT_PREDICTIONS) c USING (model, user_id, item_id)
         WHERE NOT abs(r.rating - c.rating) <= 1e-9 * greatest(1, abs(r.rating)) OR c.rating IS NULL
        ORDER BY 1"
}
# check_same DB RECORDED [what]: no mismatches, and says how many answers were compared.
check_same() {
  local out
  out=$(value "$1" "$(mismatches "$2")")
  if [ -n "$out" ]; then
    echo "$out"
    fail "$1: the models answer differently from $2 ${3:-}"
  fi
  echo "$1: $(value "$1" "SELECT count(*) FROM ${2}_lists") recommendations and" \
       "$(value "$1" "SELECT count(*) FROM ${2}_predictions") predictions the same as $2 ${3:-}"
}

# --- ALTER EXTENSION autorec UPDATE ----------------------------------------------------------
# In one session: the answers of 0.1, the update, the same answers (from the backend's cache
# of the loaded models, then from the catalog again in a new session below).
psql_in $OLD -c "CREATE TABLE before_lists AS $CURRENT_LISTS" \
             -c "CREATE TABLE before_predictions AS $CURRENT_PREDICTIONS"
# A backup taken with 0.1 and restored on this server (below): the restore creates $target.
copy_database $OLD $RESTORED_01 custom "$WORK"
psql_in $OLD >/dev/null <<SQL
SELECT count(*) FROM ($CURRENT_LISTS) loaded;
ALTER EXTENSION autorec UPDATE;
CREATE TEMP TABLE same_session AS $(mismatches before);
DO \$\$ BEGIN
  IF EXISTS (SELECT FROM same_session) THEN
    RAISE EXCEPTION 'after the update, in the same session: %', (SELECT string_agg(format, E'\n') FROM same_session);
  END IF;
END \$\$;
SQL
[ "$(value $OLD "SELECT count(*) FROM before_lists")" -ge $((${#FAMILIES[@]} * 25)) ] ||
  fail "too few recommendations recorded before the update"
version=$(value $OLD "SELECT extversion FROM pg_extension WHERE extname = 'autorec'")
[ "$version" = "$target" ] || fail "ALTER EXTENSION autorec UPDATE left version $version, not $target"
echo "updated to $version; in the updating session the models served the same answers"
check_same $OLD before "after the update (0.1's model versions)"

# Evaluation and retraining with the updated SQL.
bad=$(value $OLD "SELECT string_agg(m.model, ', ')
                    FROM autorec_models m JOIN autorec_algorithms() a USING (algorithm),
                         LATERAL autorec_evaluate(m.model, 'test', 10) e
                   WHERE e.ndcg_at_k IS NULL OR e.n_users = 0
                      OR (a.scores = 'rating') <> (e.rmse IS NOT NULL)")
[ -z "$bad" ] || fail "autorec_evaluate after the update: no sensible metrics for $bad"
echo "autorec_evaluate: $(value $OLD "SELECT count(*) FROM autorec_models WHERE metrics IS NOT NULL") models evaluated"
for f in "${FAMILIES[@]}"; do
  psql_in $OLD -c "SET client_min_messages = warning" -c "CALL autorec_retrain('m_$f')"
done
bad=$(value $OLD "SELECT string_agg(model || ' v' || version, ', ') FROM autorec_models WHERE version <> 2")
[ -z "$bad" ] || fail "after autorec_retrain: $bad (expected version 2 everywhere)"
psql_in $OLD -c "CREATE TABLE retrained_lists AS $CURRENT_LISTS" \
             -c "CREATE TABLE retrained_predictions AS $CURRENT_PREDICTIONS"
bad=$(value $OLD "SELECT string_agg(DISTINCT model, ', ') FROM (
                    SELECT model, user_id FROM retrained_lists GROUP BY 1, 2 HAVING count(*) <> 5
                    UNION ALL SELECT model, NULL FROM retrained_predictions WHERE rating IS NULL) x")
[ -z "$bad" ] || fail "the retrained versions do not serve: $bad"
[ "$(value $OLD "SELECT count(DISTINCT model) FROM retrained_lists")" = ${#FAMILIES[@]} ] ||
  fail "not every retrained model serves"
echo "autorec_retrain: every model has a version 2 trained by $version, and it serves"

# --- pg_dump / pg_restore of the updated database --------------------------------------------
copy_database $OLD $RESTORED custom "$WORK"
[ "$(value $RESTORED "SELECT extversion FROM pg_extension WHERE extname = 'autorec'")" = "$target" ] ||
  fail "the restored database's extension is not $target"
check_same $RESTORED retrained "(the restored 0.2-trained versions)"
value $RESTORED "SELECT count(autorec_rollback(model)) FROM autorec_models" >/dev/null
check_same $RESTORED before "(the restored 0.1-trained versions, after autorec_rollback)"
psql_in $RESTORED -c "SET client_min_messages = warning" -c "CALL autorec_retrain('m_${FAMILIES[0]}')"
[ "$(value $RESTORED "SELECT version FROM autorec_models WHERE model = 'm_${FAMILIES[0]}'")" = 3 ] ||
  fail "retraining in the restored database did not give version 3"
echo "$RESTORED: retrains (version 3)"

# The 0.1 backup restored: created as $target, it serves what 0.1 served.
[ "$(value $RESTORED_01 "SELECT extversion FROM pg_extension WHERE extname = 'autorec'")" = "$target" ] ||
  fail "the restored 0.1 backup's extension is not $target"
check_same $RESTORED_01 before "(a 0.1 backup restored as $target)"

# --- 0.1 + UPDATE equals a fresh install -----------------------------------------------------
psql_in postgres -c "CREATE DATABASE $FRESH" -c "CREATE DATABASE $UPDATED"
psql_in $FRESH -c "SET client_min_messages = warning" -c "CREATE EXTENSION autorec"
psql_in $UPDATED -c "SET client_min_messages = warning" \
  -c "CREATE EXTENSION autorec VERSION '0.1'" -c "ALTER EXTENSION autorec UPDATE"
describe() { psql -X -q -tA -v ON_ERROR_STOP=1 -d "$1" -f "$HERE/lib/describe_extension.sql" >"$2"; }
# compare A B: diff of two descriptions; on a difference, which objects differ and how.
compare() {
  if diff -U1 --label "fresh $target install" --label "0.1 + ALTER EXTENSION UPDATE" "$1" "$2" >"$WORK/diff"; then
    return 0
  fi
  echo "objects that differ between a fresh install and 0.1 + UPDATE:"
  grep '^[-+][^-+]' "$WORK/diff" | awk -F' [|] ' '
    { sign = substr($1, 1, 1); obj = substr($1, 2); prop = $2; sub(/:.*/, "", prop)
      if (!(obj in seen)) { seen[obj] = 1; order[++n] = obj }
      if (prop == "member") member[obj] = sign
      if (!((obj, prop) in has)) { has[obj, prop] = 1; props[obj] = props[obj] (props[obj] ? ", " : "") prop } }
    END { for (i = 1; i <= n; i++) { o = order[i]
            if (member[o] == "-") print "  " o ": missing after the update (only in the fresh install)"
            else if (member[o] == "+") print "  " o ": only after the update (not in a fresh install)"
            else print "  " o ": differs in " props[o] } }'
  echo "the whole diff ('-' the fresh install, '+' 0.1 + UPDATE):"
  cat "$WORK/diff"
  return 1
}
describe $FRESH "$WORK/fresh.txt"
describe $UPDATED "$WORK/updated.txt"
objects=$(cut -d'|' -f1 "$WORK/fresh.txt" | sort -u | wc -l)
if ! compare "$WORK/fresh.txt" "$WORK/updated.txt"; then
  fail "0.1 + UPDATE differs from a fresh $target install: add the missing statements to sql/autorec--0.1--0.2.sql (or fix autorec--0.2.sql)"
fi
echo "0.1 + UPDATE equals a fresh $target install: $objects objects, $(wc -l <"$WORK/fresh.txt") description lines"

# The comparison sees what an update script may miss: a new function, a changed COST, a
# comment, a new column (made here in the fresh database only).
psql_in $FRESH >/dev/null <<'SQL'
CREATE FUNCTION autorec.upgrade_probe() RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER EXTENSION autorec ADD FUNCTION autorec.upgrade_probe();
ALTER FUNCTION autorec_algorithms() COST 7;
COMMENT ON FUNCTION autorec_algorithms() IS 'probe comment';
ALTER TABLE autorec.model ADD COLUMN upgrade_probe integer;
SQL
describe $FRESH "$WORK/probed.txt"
if compare "$WORK/probed.txt" "$WORK/updated.txt" >"$WORK/probe.out"; then
  fail "the description did not see a new function, cost, comment and column"
fi
for want in 'upgrade_probe(): missing after the update' 'autorec_algorithms(): differs in .*attributes' \
            'autorec_algorithms(): differs in .*comment' 'autorec.model: differs in .*column .* upgrade_probe'; do
  grep -q -- "^  .*$want" "$WORK/probe.out" || { cat "$WORK/probe.out"; fail "the description missed: $want"; }
done
echo "the comparison finds a function, a cost, a comment and a column missing from an update"
echo "upgrade: ok"
