#!/usr/bin/env bash
# The README's option reference equals what autorec_options() says for every algorithm
# (scripts/option_reference.sh --check), and the check catches drift: a changed default, a
# missing option, an option that no longer exists.
# Usage: option_reference.sh (with PGHOST/PGPORT/PGUSER set by scripts/test.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DB=autorec_option_reference
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "CREATE EXTENSION autorec"
export AUTOREC_OPTIONS_DB=$DB
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

bash "$ROOT/scripts/option_reference.sh" --check "$ROOT/README.md"
echo "README.md's option reference matches autorec_options()"

# A README that drifted must fail the check.
drifted() {  # drifted WHAT SED-SCRIPT
  sed "$2" "$ROOT/README.md" >"$tmp"
  if cmp -s "$tmp" "$ROOT/README.md"; then echo "FAIL: the edit '$1' changed nothing" >&2; exit 1; fi
  if bash "$ROOT/scripts/option_reference.sh" --check "$tmp" 2>/dev/null; then
    echo "FAIL: the check passed with $1" >&2
    exit 1
  fi
  echo "caught: $1"
}
drifted "a changed default (ials factors)" '/^#### `ials`/,/^####/ s/^| `factors` | integer | `64` |/| `factors` | integer | `32` |/'
drifted "a missing option (svd cg_steps)" '/^#### `svd`/,/^####/ {/^| `cg_steps` |/d}'
drifted "an option that does not exist" '/^#### `baseline`/a | `no_such_option` | number | `1` | | | a stale option |'

# --update writes exactly what --check expects.
sed '/^#### `ease`/,/^####/ {/^| `prune_to` |/d}' "$ROOT/README.md" >"$tmp"
bash "$ROOT/scripts/option_reference.sh" --update "$tmp"
bash "$ROOT/scripts/option_reference.sh" --check "$tmp"
cmp "$tmp" "$ROOT/README.md"
echo "--update restores the section"
psql -X -q -d postgres -c "DROP DATABASE $DB"
