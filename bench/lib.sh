# Shared by the benchmarks: a PostgreSQL to run against and MovieLens loading.
# Sourced by bench/*.sh after scripts/lib.sh.

# bench_server [DB]: the benchmark database (default autorec_bench) on the local server or on
# AUTOREC_DSN's server (use_server in scripts/lib.sh); sets DSN and PSQL.
bench_server() { use_server "${1:-autorec_bench}"; }

# load_folds DIR: tables u1_base..u5_test from the official ML-100K folds, plus ml100k (u.data).
load_folds() {
  local dir=$1
  [ -f "$dir/u1.base" ] || { echo "no MovieLens 100K folds in $dir (give the directory as argument)" >&2; exit 1; }
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec"
  for f in u1 u2 u3 u4 u5; do
    for part in base test; do
      "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ${f}_${part}" \
        -c "CREATE TABLE ${f}_${part} (user_id int, item_id int, rating smallint, ts bigint)" \
        -c "\\copy ${f}_${part} FROM '$dir/$f.$part'"
    done
  done
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ml100k" \
    -c "CREATE TABLE ml100k (user_id int, item_id int, rating smallint, ts bigint)" \
    -c "\\copy ml100k FROM '$dir/u.data'"
}

# load_features DIR: MovieLens 100K's user and item attributes as feature tables for algorithm
# 'content': ml_user_features (age, gender, occupation, first digit of the zip code) and
# ml_item_features (release year, genres as text[]), from u.user, u.item and u.genre.
load_features() {
  local dir=$1
  [ -f "$dir/u.user" ] && [ -f "$dir/u.item" ] || { echo "no u.user / u.item in $dir" >&2; exit 1; }
  local genres=() flags=() g
  while IFS='|' read -r name idx; do
    [ -n "$name" ] || continue
    genres+=("g$idx int")
    flags+=("CASE WHEN g$idx = 1 THEN '$(printf %s "$name" | sed "s/'/''/g")' END")
  done <"$dir/u.genre"
  "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS ml_user, ml_item, ml_user_features, ml_item_features;
CREATE TABLE ml_user (user_id int, age int, gender text, occupation text, zip text);
\\copy ml_user FROM '$dir/u.user' WITH (FORMAT csv, DELIMITER '|', QUOTE E'\\x01')
CREATE TABLE ml_item (item_id int, title text, released text, video_released text, url text,
                      $(IFS=,; echo "${genres[*]}"));
\\copy ml_item FROM '$dir/u.item' WITH (FORMAT csv, DELIMITER '|', QUOTE E'\\x01', ENCODING 'LATIN1')
CREATE TABLE ml_user_features AS
SELECT user_id, age, gender, occupation, left(zip, 1) AS zip_region FROM ml_user;
CREATE TABLE ml_item_features AS
SELECT item_id, extract(year FROM to_date(nullif(released, ''), 'DD-Mon-YYYY'))::int AS year,
       array_remove(ARRAY[$(IFS=,; echo "${flags[*]}")], NULL) AS genres
  FROM ml_item;
SQL
}

# synthetic TABLE USERS ITEMS RATINGS: seeded synthetic ratings with long-tailed item popularity
# and latent tastes; synthetic_features TABLE PREFIX: PREFIX_user_features, PREFIX_item_features.
synthetic() {
  "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $1;
SELECT setseed(0.42);
CREATE TABLE $1 AS
SELECT DISTINCT ON (u, i) u AS user_id, i AS item_id,
       greatest(1, least(5, round(3 + 1.2 * sin(u * 0.37 + i * 0.11) + 0.8 * cos(u * 0.05 - i * 0.23)
                                  + (random() - 0.5))))::smallint AS rating
  FROM (SELECT (random() * ($2 - 1))::int + 1 AS u, (power(random(), 2.5) * ($3 - 1))::int + 1 AS i
          FROM generate_series(1, ($4 * 1.1)::bigint)) s;
SQL
}
synthetic_features() {
  "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $2_user_features, $2_item_features;
CREATE TABLE $2_user_features AS
SELECT DISTINCT user_id, (user_id % 7)::text AS grp, 18 + user_id % 50 AS age FROM $1;
CREATE TABLE $2_item_features AS
SELECT DISTINCT item_id, ARRAY[(item_id % 19)::text, (item_id % 5)::text] AS genres,
       1950 + item_id % 60 AS year FROM $1;
SQL
}

# load_ml1m_features DIR: MovieLens 1M's attributes as feature tables for algorithm 'content':
# ml1m_user_features (gender, age group, occupation, first digit of the zip code) and
# ml1m_item_features (release year, genres as text[]), from users.dat and movies.dat.
load_ml1m_features() {
  local dir=$1
  [ -f "$dir/users.dat" ] && [ -f "$dir/movies.dat" ] || { echo "no users.dat / movies.dat in $dir" >&2; exit 1; }
  "${PSQL[@]}" -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS ml1m_user_features, ml1m_item_features, ml1m_users_raw, ml1m_movies_raw" \
    -c "CREATE TABLE ml1m_users_raw (user_id int, gender text, age int, occupation int, zip text)" \
    -c "CREATE TABLE ml1m_movies_raw (item_id int, title text, genres text)"
  sed 's/::/\t/g' "$dir/users.dat" | "${PSQL[@]}" -c "\\copy ml1m_users_raw FROM STDIN"
  iconv -f latin1 -t utf-8 "$dir/movies.dat" | sed 's/\\/\\\\/g; s/::/\t/g' |
    "${PSQL[@]}" -c "\\copy ml1m_movies_raw FROM STDIN"
  "${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE ml1m_user_features AS
SELECT user_id, gender, age::text AS age_group, occupation::text AS occupation,
       left(zip, 1) AS zip_region FROM ml1m_users_raw;
CREATE TABLE ml1m_item_features AS
SELECT item_id, substring(title FROM '\((\d{4})\)\s*$')::int AS year,
       string_to_array(genres, '|') AS genres FROM ml1m_movies_raw;
DROP TABLE ml1m_users_raw, ml1m_movies_raw;
SQL
}
