# Shared shell functions: installing dependencies, building, and running a private PostgreSQL.
# Sourced by scripts/*.sh; not run directly.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# AUTOREC_PGROOT: a private copy of the server (DIR/usr/lib/postgresql/15 and
# DIR/usr/share/postgresql/15, e.g. copied with cp -a) that the extension is installed into
# (make install DESTDIR=DIR) and the tests run, so that two checkouts can be tested side by side.
# make always asks the packaged pg_config (a copy's would report the copy's paths).
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
if [ -n "${AUTOREC_PGROOT:-}" ]; then
  PG_BIN=$AUTOREC_PGROOT/usr/lib/postgresql/15/bin
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"

log() { printf '\n== %s\n' "$*"; }

# Debian packages the build, the tests and the benchmarks need; installed only when missing.
PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libeigen3-dev libgtest-dev
          cmake g++ make gnuplot-nox clang libclang-rt-14-dev curl unzip
          postgresql-server-dev-all debhelper dpkg-dev"  # the last three: the .deb (debian/)

ensure_packages() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_install() {
  log "building and installing the extension"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  make -C "$ROOT" -j"$(nproc)" -s
  if [ -n "${AUTOREC_PGROOT:-}" ]; then
    make -C "$ROOT" -s install DESTDIR="$AUTOREC_PGROOT"
  else
    $sudo make -C "$ROOT" -s install
  fi
}

# start_cluster DIR PORT [extra postgresql.conf lines]: a cluster owned by postgres in DIR,
# listening only on a private socket directory and 127.0.0.1:PORT.
start_cluster() {
  local dir=$1 port=$2 extra=${3:-}
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${run_as[@]}" initdb -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    mkdir -p "$dir/sock"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/sock"
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
max_connections = 50
shared_buffers = 256MB
fsync = off
$extra
CONF
  fi
  if ! "${run_as[@]}" pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
    "${run_as[@]}" pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  fi
  export PGHOST="$dir/sock" PGPORT=$port PGUSER=postgres
}

stop_cluster() {
  local dir=$1
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  [ -f "$dir/data/PG_VERSION" ] && "${run_as[@]}" pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# use_server DB: the database DB (created if missing) on the project's local server (.run/, see
# scripts/pg.sh), or on the existing server that AUTOREC_DSN names (a keyword/value libpq string
# such as "host=db.example port=5432 user=me"; a dbname in it is replaced by DB). Sets DSN (for
# psql and pgbench) and PSQL.
use_server() {
  local db=$1 server env
  if [ -n "${AUTOREC_DSN:-}" ]; then
    case $AUTOREC_DSN in
      postgres://* | postgresql://*)
        echo "AUTOREC_DSN must be a keyword/value string (host=... port=... user=...), not a URI" >&2
        return 2 ;;
    esac
    server=$AUTOREC_DSN
  else
    env=$(bash "$ROOT/scripts/pg.sh" start)  # an assignment, so that a failed start stops us
    eval "$env"
    server="host=$PGHOST port=$PGPORT user=$PGUSER"
  fi
  psql -X -q -d "$server dbname=postgres" -tc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
    psql -X -q -d "$server dbname=postgres" -c "CREATE DATABASE $db"
  DSN="$server dbname=$db"
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$DSN")
}
