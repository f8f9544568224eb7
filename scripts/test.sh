#!/usr/bin/env bash
# Runs every test: the core's unit tests (GoogleTest via ctest), then, against a PostgreSQL
# started here in a temporary directory, the pg_regress suite and the integration tests.
# Installs what is missing first. Prints regression.diffs and the server log on failure.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages

passed=0
failed=0
# AUTOREC_ONLY: an extended regular expression; only the suites whose name matches run
# (e.g. AUTOREC_ONLY='pg_regress|concurrency' while working on one part).
suite() {  # suite NAME COMMAND...: runs one suite and counts it
  local name=$1
  shift
  if [ -n "${AUTOREC_ONLY:-}" ] && ! [[ $name =~ $AUTOREC_ONLY ]]; then return 0; fi
  log "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
    if [ -f "${PGDIR:-}/server.log" ]; then
      echo "---- server log (last 100 lines)"
      tail -n 100 "$PGDIR/server.log"
    fi
  fi
}

unit_tests() {
  cmake -S "$ROOT" -B "$ROOT/build/unit" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$ROOT/build/unit" -j"$(nproc)" --target unit_tests >/dev/null &&
    (cd "$ROOT/build/unit" && ctest --output-on-failure -j"$(nproc)")
}
suite "unit tests (src/core)" unit_tests

portable_unit_tests() {  # the portable build (OPTFLAGS="", README Portability): every test at
  # each instruction-set level this CPU has (AUTOREC_ISA; unset: the best one); test_isa.cpp
  # also compares every level with the x86-64 baseline ("default")
  cmake -S "$ROOT" -B "$ROOT/build/portable" -DCMAKE_BUILD_TYPE=Release -DOPTFLAGS= >/dev/null &&
    cmake --build "$ROOT/build/portable" -j"$(nproc)" --target unit_tests >/dev/null || return 1
  local levels=(best default)
  grep -qw avx2 /proc/cpuinfo && levels+=(x86-64-v3)
  for level in "${levels[@]}"; do
    echo "-- AUTOREC_ISA=${level/best/} ($level)"
    (cd "$ROOT/build/portable" && AUTOREC_ISA=${level/best/} ctest --output-on-failure -j"$(nproc)") ||
      return 1
  done
}
suite "unit tests (src/core, portable build OPTFLAGS=\"\")" portable_unit_tests
# The portable build (make OPTFLAGS="": no AVX outside the dispatched kernels, no warnings) is
# checked on the Debian package's library, which is that build (the last suite).

sanitized_unit_tests() {  # the same tests with AddressSanitizer and UndefinedBehaviorSanitizer
  cmake -S "$ROOT" -B "$ROOT/build/asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOREC_SANITIZE=ON >/dev/null &&
    cmake --build "$ROOT/build/asan" -j"$(nproc)" --target unit_tests >/dev/null &&
    (cd "$ROOT/build/asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -j"$(nproc)")
}
suite "unit tests under ASan + UBSan" sanitized_unit_tests
suite "fuzzing (libFuzzer, ${AUTOREC_FUZZ_SECONDS:-60} s per harness)" bash "$ROOT/test/fuzz/run.sh"

build_install
PGDIR=$(mktemp -d /tmp/autorec-test.XXXXXX)
PORT=${AUTOREC_TEST_PORT:-5498}
trap 'stop_cluster "$PGDIR"; rm -rf "$PGDIR"' EXIT
start_cluster "$PGDIR" "$PORT" "shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
max_worker_processes = 16"

regress() {
  rm -f "$ROOT/regression.diffs"
  if make -C "$ROOT" -s installcheck; then return 0; fi
  echo "---- regression.diffs"; cat "$ROOT/regression.diffs" 2>/dev/null || true
  return 1  # suite() prints the server log
}
suite "pg_regress" regress

for t in "$ROOT"/test/integration/*.sh; do
  [ -e "$t" ] || continue
  suite "integration: $(basename "$t" .sh)" bash "$t" "$PGDIR"
done

# The benchmark command on a small synthetic set, so that it cannot rot (its numbers are not
# checked: quality and speed are reported by `make bench`, not asserted).
suite "benchmark smoke run" env AUTOREC_DSN="host=$PGHOST port=$PGPORT user=postgres" bash "$ROOT/bench/run.sh" --smoke

# Last, since it swaps the installed extension for the package's files (and puts them back).
suite "debian package (the portable build): no AVX outside dispatched kernels, install, pg_regress" bash "$ROOT/test/package/run.sh"

log "summary"
echo "test suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
