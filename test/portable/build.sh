#!/usr/bin/env bash
# The portable package build: `make OPTFLAGS=""` in a copy of the source tree (the other suites'
# native objects stay as they are), then test/portable/isa_count.sh on its autorec.so: nothing
# outside the dispatched kernels may need more than the x86-64 baseline, and the kernels must be
# there (AVX code in autorec_text_x86_64_v3/_v4). AUTOREC_PORTABLE_DIR keeps the copy (for reuse).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dir=${AUTOREC_PORTABLE_DIR:-$(mktemp -d /tmp/autorec-portable.XXXXXX)}
[ -n "${AUTOREC_PORTABLE_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"
# The sources only (no objects, no build directories).
(cd "$ROOT" && tar -cf - --exclude='*.o' --exclude='*.d' --exclude='*.so' --exclude='*.bc' \
   Makefile buildflags.mk autorec.control sql src scripts/isa_variant.sh) | tar -xf - -C "$dir"
start=$(date +%s)
make -C "$dir" -s -j"$(nproc)" OPTFLAGS="" 2>&1 | tee "$dir/build.log"
echo "portable build: $(($(date +%s) - start)) s, $(grep -c 'warning:' "$dir/build.log" || true) warnings"
status=0
bash "$ROOT/test/portable/isa_count.sh" "$dir/autorec.so" | tee "$dir/isa_count.txt" || status=1
if [ "$(uname -m)" = x86_64 ] && ! grep -q '^autorec_text_x86_64_v4 ' "$dir/isa_count.txt"; then
  echo "the dispatched kernels (section autorec_text_x86_64_v4) are missing from autorec.so"
  status=1
fi
if grep -q 'warning:' "$dir/build.log"; then
  echo "the portable build printed warnings"
  status=1
fi
exit $status
