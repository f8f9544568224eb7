#!/usr/bin/env bash
# What training tells the client: NOTICEs with the rows read, the NULL rows skipped, the
# duplicate pairs averaged, the elapsed times and the threads used, for autorec_train and the
# autorec_fit aggregate; each epoch's train RMSE ("epoch N of M") at DEBUG1, or as a NOTICE
# with the option "verbose"; `client_min_messages = warning` silences them. The threads follow
# the option "threads" capped by autorec.max_training_threads. (Here rather than in pg_regress
# because the times vary: they are masked before the comparison.)
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

fail=0
expect() {  # expect WHAT EXPECTED GOT
  if [ "$3" != "$2" ]; then
    echo "unexpected messages ($1):"
    diff <(echo "$2") <(echo "$3") || true
    fail=1
  else
    echo "$3"
  fi
}

# The default: no per-epoch NOTICEs; the closing line gives the threads (capped at 1 here so
# that the output does not depend on the machine's cores).
expected=$(cat <<'OUT'
NOTICE:  autorec_train(messy): read 8 rows from public.messy in T s (3 with NULLs skipped)
NOTICE:  autorec_train(messy): ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_train(messy): fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) on 1 thread in T s
NOTICE:  autorec_fit: 3 rows with NULLs skipped
NOTICE:  autorec_fit: ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_fit: fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) on 1 thread in T s
OUT
)
got=$(run "SET client_min_messages = notice; SET autorec.max_training_threads = 1;
           CALL autorec_train('messy', 'baseline', 'messy', '{\"epochs\": 3}');
           SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{\"epochs\": 3}') FROM messy;")
expect "default" "$expected" "$got"

# "verbose": true makes each epoch a NOTICE, "epoch N of M".
expected=$(cat <<'OUT'
NOTICE:  autorec_train(messy): read 8 rows from public.messy in T s (3 with NULLs skipped)
NOTICE:  autorec_train(messy): epoch 1 of 3: train RMSE 1.1088 (T s)
NOTICE:  autorec_train(messy): epoch 2 of 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_train(messy): epoch 3 of 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_train(messy): ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_train(messy): fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) on 2 threads in T s
NOTICE:  autorec_fit: 3 rows with NULLs skipped
NOTICE:  autorec_fit: epoch 1 of 3: train RMSE 1.1088 (T s)
NOTICE:  autorec_fit: epoch 2 of 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_fit: epoch 3 of 3: train RMSE 1.1146 (T s)
NOTICE:  autorec_fit: ranking companion itemknn: 3 items, 2 neighbours kept (0.7 per item) in T s
NOTICE:  autorec_fit: fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) on 2 threads in T s
OUT
)
got=$(run "SET client_min_messages = notice;
           CALL autorec_train('messy', 'baseline', 'messy', '{\"epochs\": 3, \"verbose\": true, \"threads\": 2}');
           SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{\"epochs\": 3, \"verbose\": true, \"threads\": 2}') FROM messy;")
expect "verbose" "$expected" "$got"

# The cap wins over the option: asked for 2 threads, capped at 1.
got=$(run "SET client_min_messages = notice; SET autorec.max_training_threads = 1;
           CALL autorec_train('messy', 'baseline', 'messy', '{\"epochs\": 3, \"threads\": 2}');" | grep fitted || true)
expect "autorec.max_training_threads = 1, threads 2" \
  "NOTICE:  autorec_train(messy): fitted baseline on 3 users x 3 items (4 ratings, 1 duplicate pairs averaged) on 1 thread in T s" "$got"

# Without verbose the epochs are DEBUG1 messages.
got=$(run "SET client_min_messages = debug1;
           CALL autorec_train('messy', 'baseline', 'messy', '{\"epochs\": 3}');" | grep -F 'autorec_train(messy): epoch' || true)
expected=$(cat <<'OUT'
DEBUG:  autorec_train(messy): epoch 1 of 3: train RMSE 1.1088 (T s)
DEBUG:  autorec_train(messy): epoch 2 of 3: train RMSE 1.1146 (T s)
DEBUG:  autorec_train(messy): epoch 3 of 3: train RMSE 1.1146 (T s)
OUT
)
expect "client_min_messages = debug1" "$expected" "$got"

# A training that early stopping ends before its last epoch says so.
got=$(run "SET client_min_messages = notice;
           CALL autorec_train('stopping', 'svd', 'SELECT u AS user_id, i AS item_id, (u * 7 + i * 3) % 5 + 1 AS rating
                                                  FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0',
                              '{\"epochs\": 200, \"validation_fraction\": 0.2, \"patience\": 2, \"threads\": 1}');" |
      { grep -E 'stopped early' || true; } | sed -E 's/epoch [0-9]+ of 200/epoch N of 200/; s/RMSE [0-9.]+, epoch [0-9]+/RMSE R, epoch K/')
expect "early stopping" \
  "NOTICE:  autorec_train(stopping): stopped early after epoch N of 200 (best validation RMSE R, epoch K)" "$got"
[ "$fail" = 0 ] || exit 1

silenced=$(run "SET client_min_messages = warning; CALL autorec_retrain('messy');
                SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') FROM messy;")
[ -z "$silenced" ] || { echo "client_min_messages = warning did not silence: $silenced"; exit 1; }
echo "client_min_messages = warning: no messages"

# The epochs are also the model's training history (the retraining repeats the stored options).
epochs=$(psql -X -tA -d $DB -c "SELECT count(*) FROM autorec_training_history('messy')")
[ "$epochs" = 3 ] || { echo "autorec_training_history('messy'): $epochs epochs, expected 3"; exit 1; }
echo "autorec_training_history('messy'): $epochs epochs"
psql -X -q -d postgres -c "DROP DATABASE $DB"
