#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) and runs each for
# a bounded time on the committed seed corpus plus freshly serialized tiny models. Fails on any
# crash, sanitizer report, leak or timeout; the input that caused it is kept in
# build/fuzz/artifacts/ and the command to reproduce it is printed.
# Usage: test/fuzz/run.sh [seconds per harness]   (default $AUTOREC_FUZZ_SECONDS or 60)
source "$(dirname "$0")/../../scripts/lib.sh"
SECS=${1:-${AUTOREC_FUZZ_SECONDS:-60}}
FUZZ=$ROOT/test/fuzz
BUILD=$ROOT/build/fuzz
ensure_packages

log "building the fuzz harnesses with clang"
cmake -S "$FUZZ" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null

WORK=$(mktemp -d /tmp/autorec-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/models" "$BUILD/artifacts"
rm -f "$BUILD"/artifacts/*
"$BUILD/make_corpus" "$WORK/models" | sed 's/^/fresh seed: /'

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
fuzz() {  # fuzz TARGET SEED_DIR... [-- libFuzzer flags]
  local target=$1
  shift
  local dirs=() flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do dirs+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift && flags=("$@")
  mkdir -p "$WORK/$target"  # new inputs go here, not into the committed corpus
  log "$target for ${SECS}s"
  if "$BUILD/$target" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$BUILD/artifacts/$target-" "${flags[@]}" "$WORK/$target" "${dirs[@]}" \
       >"$WORK/$target.log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^Done" \
      "$WORK/$target.log" | tr '\n' ' '
    echo
    echo "$target: no crash; corpus grew to $(ls "$WORK/$target" | wc -l) new inputs"
  else
    failed=1
    echo "FAILED: $target found a crash or a sanitizer report:"
    grep -m1 -B2 -A40 -E "ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|deadly signal|uncaught" \
      "$WORK/$target.log" | head -80 | grep . || tail -n 30 "$WORK/$target.log"
    ls "$BUILD"/artifacts/"$target"-* 2>/dev/null | sed "s|^|reproduce: $BUILD/$target |"
  fi
}
fuzz fuzz_deserialize "$FUZZ/corpus/deserialize" "$WORK/models" -- -max_len=16384
fuzz fuzz_options "$FUZZ/corpus/options" -- -max_len=4096 -dict="$FUZZ/options.dict"
[ "$failed" = 0 ]
