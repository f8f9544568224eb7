#!/usr/bin/env bash
# The README's examples run as written: every ```sql block of README.md, in the order of the
# file, runs with psql (ON_ERROR_STOP) in one fresh database that holds the demo's synthetic
# data set (scripts/synthetic.sql: ratings and movies, as `scripts/demo.sh --synthetic` loads
# them), each block in its own session; the first failing block fails the test and is printed
# with psql's error. A block that cannot run anywhere is marked on the line directly before its
# fence with `<!-- not run: REASON -->`; those are counted and listed, never run.
# Runs its own server (port $AUTOREC_README_PORT, else PGPORT + 100) with pg_cron preloaded for
# that database, so that scheduling examples run too.
# Usage: readme.sh [ignored]   (README: $AUTOREC_README, default README.md of the checkout)
source "$(dirname "$0")/../../scripts/lib.sh"
README=${AUTOREC_README:-$ROOT/README.md}
DB=autorec_readme
DIR=$(mktemp -d /tmp/autorec-readme.XXXXXX)
PORT=${AUTOREC_README_PORT:-$(( ${PGPORT:-5498} + 100 ))}
# KEEP=1 keeps the directory (blocks, outputs, server log) for a look after a failure.
trap 'stop_cluster "$DIR"; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT

# Split the README into blocks/NNN.sql (first line: "-- README.md:LINE") and blocks/NNN.skip
# (the marker's reason). Fences may be indented (inside a list): the indent is removed.
mkdir -p "$DIR/blocks"
awk -v dir="$DIR/blocks" -v name="$(basename "$README")" '
  function flush() { close(file) }
  !inblock && match($0, /^ *```sql[ \t]*$/) {
    n++; inblock = 1; indent = index($0, "`") - 1
    file = sprintf("%s/%03d.sql", dir, n)
    printf "-- %s:%d\n", name, NR > file
    if (match(prev, /^ *<!-- *not run: *.*-->[ \t]*$/)) {
      reason = prev; sub(/^ *<!-- *not run: */, "", reason); sub(/ *-->[ \t]*$/, "", reason)
      printf "%s:%d: %s\n", name, NR, reason > sprintf("%s/%03d.skip", dir, n)
    }
    prev = $0; next
  }
  inblock && $0 ~ /^ *```[ \t]*$/ { inblock = 0; flush(); prev = $0; next }
  inblock { print (substr($0, 1, indent) ~ /^ *$/ ? substr($0, indent + 1) : $0) > file }
  { prev = $0 }
  END { if (inblock) { print "unterminated ```sql block in " name > "/dev/stderr"; exit 1 } }
' "$README"
total=$(find "$DIR/blocks" -name '*.sql' | wc -l)
[ "$total" -gt 0 ] || { echo "no \`\`\`sql block in $README"; exit 1; }

start_cluster "$DIR" "$PORT" "shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB'
max_worker_processes = 16"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
# The demo's tables (scripts/demo.sh) and its synthetic data; no extension yet: the README's
# installation section creates it.
psql -X -q -v ON_ERROR_STOP=1 -d $DB \
  -c "CREATE TABLE ratings (user_id int, item_id int, rating smallint, ts bigint)" \
  -c "CREATE TABLE movies (item_id int PRIMARY KEY, title text)" \
  -f "$ROOT/scripts/synthetic.sql" >/dev/null

ran=0
skipped=0
for f in "$DIR"/blocks/*.sql; do
  where=$(head -n 1 "$f" | sed 's/^-- //')
  if [ -f "${f%.sql}.skip" ]; then
    skipped=$((skipped + 1))
    echo "SKIPPED $(cat "${f%.sql}.skip")"
    continue
  fi
  t0=$EPOCHREALTIME
  if ! psql -X -v ON_ERROR_STOP=1 -d $DB -f "$f" >"${f%.sql}.out" 2>&1; then
    # psql names the block's line; its first line is the fence, so README line = fence + line - 1.
    line=$(grep -m 1 -oE 'sql:[0-9]+: ERROR' "${f%.sql}.out" | grep -oE '[0-9]+' || true)
    echo "FAILED: the example at $where${line:+, the error at README line $(( ${where##*:} + line - 1 ))}"
    echo "---- the block"
    cat -n "$f"
    echo "---- psql (last 40 lines)"
    tail -n 40 "${f%.sql}.out"
    exit 1
  fi
  ran=$((ran + 1))
  awk -v w="$where" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "ok %s (%.1f s)\n", w, b - a }'
done
echo "README examples: $total sql blocks, $ran ran, $skipped skipped (marked not run)"
