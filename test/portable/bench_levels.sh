#!/usr/bin/env bash
# bench_levels.sh NATIVE_BUILD PORTABLE_BUILD [ROUNDS]: the core benchmarks of the hot kernels,
# a -march=native build (cmake -DOPTFLAGS=-march=native) against a portable one (-DOPTFLAGS=)
# at each of its instruction-set levels (AUTOREC_ISA=default: the x86-64 baseline; x86-64-v3;
# x86-64-v4), run back to back ROUNDS times (default 2) so that the machine's load hits all
# alike; compare the minimum of each figure. Prints `uptime` before each round. Raw outputs go
# to $OUT (default /tmp/autorec-bench-levels). Data: AUTOREC_ML100K, AUTOREC_ML1M
# (default /work/shared/data/ml-100k and ml-1m). V2_BUILD: also a build with
# -DOPTFLAGS=-march=x86-64-v2 (no dispatch), as the level "v2build".
set -euo pipefail
native=$1 portable=$2 rounds=${3:-2}
ml100k=${AUTOREC_ML100K:-/work/shared/data/ml-100k}
ml1m=${AUTOREC_ML1M:-/work/shared/data/ml-1m}
out=${OUT:-/tmp/autorec-bench-levels}
mkdir -p "$out"
benches=(
  "autorec|bench_autorec --opts {} --folds 1 --threads 2 $ml100k"
  "svd|bench_svd --folds 1 $ml100k"
  "knn|bench_knn --score $ml100k"
  "ease|bench_ease --one ease {} $ml100k $ml1m/ratings.dat"
  "ials|bench_ials --options {} $ml100k $ml1m/ratings.dat"
)
for round in $(seq 1 "$rounds"); do
  for b in "${benches[@]}"; do
    name=${b%%|*} cmd=${b#*|}
    for level in native ${V2_BUILD:+v2build} default x86-64-v3 x86-64-v4; do
      case $level in
        native) dir=$native env=() ;;
        v2build) dir=$V2_BUILD env=() ;;
        *) dir=$portable env=(AUTOREC_ISA=$level) ;;
      esac
      f="$out/$name.$level.$round.txt"
      { echo "# $(uptime)"; echo "# $level: $dir/$cmd"; } >"$f"
      # shellcheck disable=SC2086
      env "${env[@]}" "$dir"/$cmd >>"$f" 2>&1 || echo "# exit $?" >>"$f"
      echo "$name $level round $round: $(head -1 "$f")"
    done
  done
done
