# Shared by the integration scripts that back up a database (dump_restore.sh, upgrade.sh):
# copying one with pg_dump and restoring it, and comparing what two databases answer. Sourced,
# not run (scripts/test.sh runs test/integration/*.sh only, not this directory).

# copy_database SRC DST FORMAT WORKDIR: dumps SRC in FORMAT (custom: pg_dump -Fc and pg_restore
# --exit-on-error; plain: pg_dump and psql with ON_ERROR_STOP) and restores it into DST, a new
# database. Prints the dump's size.
copy_database() {
  local src=$1 dst=$2 format=$3 work=$4
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $dst"
  case $format in
    custom)
      pg_dump -Fc -f "$work/$src.dump" "$src"
      echo "$src: custom dump of $(stat -c %s "$work/$src.dump") bytes"
      pg_restore --exit-on-error -d "$dst" "$work/$src.dump" ;;
    plain)
      pg_dump -f "$work/$src.sql" "$src"
      echo "$src: plain dump of $(stat -c %s "$work/$src.sql") bytes"
      psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -f "$work/$src.sql" >/dev/null ;;
    *) echo "copy_database: unknown format $format" >&2; return 2 ;;
  esac
}

# same_answers EXPECTED_FILE DB QUERY: runs QUERY (psql -tA) in DB and diffs its output with
# EXPECTED_FILE (a previous run's); fails, printing the diff, when they differ.
same_answers() {
  local expected=$1 db=$2 query=$3
  psql -X -tA -v ON_ERROR_STOP=1 -d "$db" -c "$query" >"$expected.$db"
  if ! diff -u "$expected" "$expected.$db"; then
    echo "$db answers differently from $(basename "$expected")"
    return 1
  fi
  echo "$db: the same $(wc -l <"$expected.$db") answer lines as $(basename "$expected")"
}
