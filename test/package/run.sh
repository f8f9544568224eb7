#!/usr/bin/env bash
# The Debian package end to end: builds it out of tree (test/package/build.sh), checks what it
# holds (every sql/autorec--*.sql, the control file, a stripped autorec.so; the version agrees
# with autorec.control and META.json; being the portable build, no AVX outside the dispatched
# kernels and no compiler warning), installs it in place of the build's files and runs the
# regression suite (test/sql, expected/) on a fresh cluster, checking that the server maps the
# packaged autorec.so. Afterwards the package is removed and the files installed before (the
# build's) are put back, so later suites find the system as they left it.
# Where it installs: with AUTOREC_PGROOT, into that private root with dpkg-deb -x (the files
# dpkg would install); without, into the system with apt-get (CI: root on a throwaway machine).
# The build's files are removed first, so that a file missing from the package is missed.
# Usage: test/package/run.sh [DEB]   (DEB: test that package instead of building one)
# Env: AUTOREC_PACKAGE_PORT (else PGPORT + 100 or 5598), KEEP=1 keeps the work directory.
source "$(dirname "$0")/../../scripts/lib.sh"
PKG=postgresql-15-autorec
WORK=$(mktemp -d /tmp/autorec-package.XXXXXX)
chmod 755 "$WORK"  # the cluster below it runs as postgres when we are root
PORT=${AUTOREC_PACKAGE_PORT:-$(( ${PGPORT:-5498} + 100 ))}
PREFIX=${AUTOREC_PGROOT:-}
LIBDIR=$("$PG_CONFIG" --pkglibdir)
EXTDIR=$("$PG_CONFIG" --sharedir)/extension
sudo=""  # for installing into the system as another user than root
[ -n "$PREFIX" ] || [ "$(id -u)" = 0 ] || sudo="sudo"

deb=${1:-}
if [ -n "$deb" ]; then
  deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
  SRC=$ROOT
else
  bash "$ROOT/test/package/build.sh" "$WORK/out"
  deb=$(ls "$WORK"/out/${PKG}_*.deb)
  SRC=$(ls -d "$WORK"/out/src/autorec-*)  # the packaged sources (built and cleaned there)
fi
problems=()
problem() { problems+=("$*"); echo "PROBLEM: $*"; }

log "what $(basename "$deb") holds"
dpkg-deb -f "$deb" Package Version Architecture Depends
dpkg-deb -c "$deb" | awk '{ print $3, $6 }' | grep -v '/$' | sed 's/^/  /'
mkdir -p "$WORK/x"
dpkg-deb -x "$deb" "$WORK/x"
want=("${LIBDIR#/}/autorec.so" "${EXTDIR#/}/autorec.control")
for f in "$SRC"/sql/autorec--*.sql; do want+=("${EXTDIR#/}/$(basename "$f")"); done
for f in "${want[@]}"; do [ -f "$WORK/x/$f" ] || problem "the package lacks /$f"; done
so=$WORK/x/${LIBDIR#/}/autorec.so
if [ -f "$so" ]; then
  if readelf -S "$so" | grep -q '\.debug_info'; then problem "autorec.so is not stripped"; fi
  echo "autorec.so: $(stat -c %s "$so") bytes; package: $(stat -c %s "$deb") bytes"
fi
# The package is the portable build (make OPTFLAGS="", debian/rules): objdump of its library,
# no AVX (nor anything newer than x86-64) outside the dispatched kernels, and a quiet build.
if [ -f "$so" ]; then
  log "instructions in the packaged autorec.so"
  bash "$ROOT/test/portable/isa_count.sh" "$so" | tee "$WORK/isa_count.txt" ||
    problem "instructions beyond x86-64 outside the dispatched kernels (test/portable/isa_count.sh)"
  if [ "$(uname -m)" = x86_64 ] && ! grep -q '^autorec_text_x86_64_v4 ' "$WORK/isa_count.txt"; then
    problem "the dispatched kernels (section autorec_text_x86_64_v4) are missing from autorec.so"
  fi
fi
if [ -f "$WORK/out/build.log" ]; then
  warnings=$(grep -cE '\.(cpp|hpp|h):[0-9]+:[0-9]+: warning:' "$WORK/out/build.log" || true)
  echo "compiler warnings in the package build: $warnings"
  [ "$warnings" = 0 ] || problem "the package build printed $warnings compiler warnings"
fi
version=$(dpkg-deb -f "$deb" Version)
default=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$SRC/autorec.control")
meta=$(sed -n 's/^   "version": "\(.*\)",/\1/p' "$SRC/META.json")
[[ $version == "$default".* ]] || problem "package version $version is not of default_version $default"
[ "${version%-*}" = "$meta" ] || problem "package version $version, META.json says $meta"

# autorec's installed files below $PREFIX (the build's, from make install, or the package's).
installed_files() {
  local f
  for f in "$PREFIX$LIBDIR/autorec.so" "$PREFIX$LIBDIR/bitcode/autorec.index.bc" "$PREFIX$LIBDIR/bitcode/autorec" \
           "$PREFIX$EXTDIR"/autorec.control "$PREFIX$EXTDIR"/autorec--*.sql "$PREFIX/usr/share/doc/$PKG"; do
    [ -e "$f" ] && echo "${f#/}"
  done
  return 0
}
remove_installed() {
  if [ -z "$PREFIX" ] && dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'ok installed'; then
    $sudo dpkg --purge $PKG >/dev/null
  fi
  installed_files | (cd / && xargs -r $sudo rm -rf)
}
# What was installed before (normally the build's files) is put back at the end, exactly.
restore() {
  stop_cluster "$WORK/cluster"
  remove_installed
  if [ -s "$WORK/before.list" ]; then
    $sudo tar -C / -xf "$WORK/before.tar"
    echo "put back: $(tr '\n' ' ' <"$WORK/before.list")"
  fi
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

log "installing it ${PREFIX:+into $PREFIX }in place of the build's files"
if [ -z "$PREFIX" ] && dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'ok installed'; then
  $sudo dpkg --purge $PKG >/dev/null  # left by an earlier run
fi
installed_files >"$WORK/before.list"
if [ -s "$WORK/before.list" ] && ! tar -C / -cf "$WORK/before.tar" -T "$WORK/before.list"; then
  echo "could not save the installed files; nothing was changed"
  exit 1
fi
# Only now that they are saved: from here on, whatever happens, they are put back.
trap restore EXIT
remove_installed
if [ -n "$PREFIX" ]; then
  dpkg-deb -x "$deb" "$PREFIX"
else
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$deb" >/dev/null
  dpkg-query -W -f='${Package} ${Version} ${Status}\n' $PKG
fi
if [ -f "$so" ] && ! cmp -s "$so" "$PREFIX$LIBDIR/autorec.so"; then
  problem "$PREFIX$LIBDIR/autorec.so is not the packaged file"
fi

log "pg_regress against the installed package (sources: $SRC)"
start_cluster "$WORK/cluster" "$PORT" "shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
max_worker_processes = 16"
rm -f "$SRC/regression.diffs"
if ! make -C "$SRC" -s installcheck; then
  problem "pg_regress failed"
  echo "---- regression.diffs"; cat "$SRC/regression.diffs" 2>/dev/null || true
  echo "---- server log (last 50 lines)"; tail -n 50 "$WORK/cluster/server.log"
fi
# The library the server loaded (the backend's own memory map) must be the packaged file.
maps=$(psql -X -tA -d postgres -c "CREATE EXTENSION IF NOT EXISTS autorec" \
         -c "SELECT count(*) FROM autorec_algorithms()" -c "SELECT pg_read_file('/proc/self/maps')" 2>&1 |
       grep 'autorec\.so' | awk '{ print $6 ($7 == "" ? "" : " " $7) }' | sort -u || true)
echo "the server maps: ${maps:-no autorec.so}"
[ "$maps" = "$PREFIX$LIBDIR/autorec.so" ] || problem "the server did not load $PREFIX$LIBDIR/autorec.so"

if [ ${#problems[@]} -gt 0 ]; then
  echo "the package test failed: ${#problems[@]} problem(s)"; printf '  %s\n' "${problems[@]}"
  exit 1
fi
echo "package $(basename "$deb"): installed, regression suite passed on the packaged files"
