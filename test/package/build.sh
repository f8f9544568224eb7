#!/usr/bin/env bash
# Builds the Debian package from debian/ out of tree: the checkout's files (tracked and untracked,
# not the ignored build products) are copied to OUTDIR/src and dpkg-buildpackage runs there, so
# the working tree's objects are untouched. The .debs land in OUTDIR.
# Usage: test/package/build.sh OUTDIR
source "$(dirname "$0")/../../scripts/lib.sh"
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
src="$out/src/autorec-${version%-*}"
rm -rf "$out/src"
mkdir -p "$src"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
    (cd "$ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src"
else
  tar -C "$ROOT" --exclude-vcs --exclude=build --exclude='*.o' --exclude='*.so' --exclude='*.d' \
    --exclude=.run -cf - . | tar -xf - -C "$src"
fi
log "dpkg-buildpackage in $src (log: $out/build.log)"
start=$(date +%s)
if ! (cd "$src" && nice dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1; then
  tail -n 60 "$out/build.log"
  echo "dpkg-buildpackage failed (full log: $out/build.log)"
  exit 1
fi
mv "$out/src"/*.deb "$out/"
echo "built in $(( $(date +%s) - start )) s:"
ls -l "$out"/*.deb
