#!/usr/bin/env bash
# What training tells the client: NOTICEs with the rows read, the NULL rows skipped, the
# duplicate pairs averaged, each epoch's train RMSE and the elapsed times, for autorec_train and
# the autorec_fit aggregate; `client_min_messages = warning` silences them. (Here rather than
# in pg_regress because the times vary: they are masked before the comparison.)
set -euo pipefail
DB=autorec_notices
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
run() {  # run SQL: the client's messages, times masked as "T s"
  psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "$1" 2>&1 >/dev/null | sed -E 's/[0-9]+\.[0-9]+ s/T s/g'
}
run "SET client_min_messages = warning; CREATE EXTENSION autorec;
     CREATE TABLE messy (user_id bigint, item_id smallint, rating real);
     INSERT INTO messy VALUES (1, 1, 5), (1, 1, 3), (1, 2, 4), (2, 1, 2), (2, 2, NULL),
                              (NULL, 3, 4), (3, NULL, 1), (3, 3, 1);"

expected=$(cat <<'OUT'
NOTICE:  autorec_train(messy): read 8 rows from public.messy in T s (3 with NULLs skipped)
NOTICE:  autorec_train(messy): epoch 1: train RMSE 1.1088 (T s)
NOTICE:  autorec_train(messy): epoch 2: train RMSE 1.1146 (T s)
NOTICE:  autorec_train(messy): epoch 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_train(messy): ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_train(messy): fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) in T s
NOTICE:  autorec_fit: 3 rows with NULLs skipped
NOTICE:  autorec_fit: epoch 1: train RMSE 1.1088 (T s)
NOTICE:  autorec_fit: epoch 2: train RMSE 1.1146 (T s)
NOTICE:  autorec_fit: epoch 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_fit: ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_fit: fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) in T s
OUT
)
got=$(run "SET client_min_messages = notice;
           CALL autorec_train('messy', 'baseline', 'messy', '{\"epochs\": 3}');
           SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{\"epochs\": 3}') FROM messy;")
if [ "$got" != "$expected" ]; then
  echo "unexpected NOTICEs:"
  diff <(echo "$expected") <(echo "$got") || true
  exit 1
fi
echo "$got"

silenced=$(run "SET client_min_messages = warning; CALL autorec_retrain('messy');
                SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') FROM messy;")
[ -z "$silenced" ] || { echo "client_min_messages = warning did not silence: $silenced"; exit 1; }
echo "client_min_messages = warning: no messages"

# The epochs are also the model's training history (the retraining repeats the stored options).
epochs=$(psql -X -tA -d $DB -c "SELECT count(*) FROM autorec_training_history('messy')")
[ "$epochs" = 3 ] || { echo "autorec_training_history('messy'): $epochs epochs, expected 3"; exit 1; }
echo "autorec_training_history('messy'): $epochs epochs"
psql -X -q -d postgres -c "DROP DATABASE $DB"
