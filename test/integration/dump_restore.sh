#!/usr/bin/env bash
# Backup: models are ordinary rows (the catalog tables are registered with
# pg_extension_config_dump), so pg_dump carries them. A database with trained models is dumped
# (custom and plain format), restored into new databases, and recommend() gives the same answers
# there; versions, grants and the default survive, and the restored database trains new versions.
set -euo pipefail
source "$(dirname "$0")/lib/dump.sh"
SRC=autorec_dump_src
DBS=(autorec_dump_custom autorec_dump_plain)
WORK=$(mktemp -d /tmp/autorec-dump.XXXXXX)
cleanup() {
  for db in $SRC "${DBS[@]}"; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup >/dev/null 2>&1
mkdir -p "$WORK"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $SRC"
psql -X -q -v ON_ERROR_STOP=1 -d $SRC >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3 + (u * i) % 7) % 5 AS rating
  FROM generate_series(1, 300) u, generate_series(1, 80) i WHERE (u * 31 + i * 17) % 4 = 0;
CALL autorec_train('first', 'baseline', 'ratings');
CALL autorec_train('dumped', 'baseline', 'ratings', '{"reg_user": 5}');
CALL autorec_train('dumped', 'baseline', 'SELECT * FROM ratings WHERE user_id <= 200');
SELECT autorec_grant('dumped', 'public');
SELECT autorec_evaluate('dumped', 'ratings');
SQL
# Everything a user can observe about the models.
ANSWERS="SELECT m.model, m.version, m.is_default, m.n_ratings, m.size_bytes, m.granted_to, m.metrics ? 'rmse',
                (SELECT md5(string_agg(v.version || ':' || md5(v.weights), ',' ORDER BY v.version))
                   FROM autorec.model_version v WHERE v.model = m.model)
           FROM autorec_models m ORDER BY 1;
         SELECT u, array_agg(r.item_id || '=' || round(r.score::numeric, 6) ORDER BY r.ord)
           FROM generate_series(1, 310, 7) u,
                LATERAL recommend(u, 10, 'dumped') WITH ORDINALITY r(item_id, score, ord)
          GROUP BY u ORDER BY u;
         SELECT round(predict_rating(u, i, 'first')::numeric, 6)
           FROM generate_series(1, 300, 13) u, generate_series(1, 80, 9) i ORDER BY u, i;"
psql -X -tA -v ON_ERROR_STOP=1 -d $SRC -c "$ANSWERS" >"$WORK/src.txt"

copy_database $SRC "${DBS[0]}" custom "$WORK"
copy_database $SRC "${DBS[1]}" plain "$WORK"

for db in "${DBS[@]}"; do
  same_answers "$WORK/src.txt" "$db" "$ANSWERS"
  # New versions get fresh ids after the restore (the identity sequence came along).
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" -c "CALL autorec_retrain('dumped')"
  v=$(psql -X -tA -d "$db" -c "SELECT version FROM autorec_models WHERE model = 'dumped'")
  [ "$v" = 3 ] || { echo "$db: retraining after the restore gave version '$v'"; exit 1; }
done
echo "dump_restore: ok"
