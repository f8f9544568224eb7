#!/bin/sh
# isa_variant.sh OUT SUFFIX OBJECT...: joins one instruction-set level's copy of the model
# families (OBJECTs compiled with -march=<level> -DAUTOREC_ISA_SUFFIX=SUFFIX) into one object
# OUT for the library, used by both builds (Makefile, CMakeLists.txt). See src/core/isa.hpp.
#  - ld -r joins them, dissolving COMDAT groups (--force-group-allocation): the final link
#    would otherwise keep one copy of each Eigen template for all levels, possibly this
#    level's AVX-512 code for the baseline's calls.
#  - objcopy makes every symbol local but the entry point autorec::families_SUFFIX(), so that
#    nothing outside calls into this copy but through it. It cannot make GNU_UNIQUE symbols
#    local (function-local statics of inline functions, e.g. Eigen's cache sizes): those are
#    renamed NAME.SUFFIX instead, one copy per level.
#  - the code goes into its own section, autorec_text_SUFFIX, so that a disassembly can tell
#    it from the rest (scripts/test.sh, the portable build's suite).
#  - a copy must not run code before its level is chosen: no static constructors.
set -eu
out=$1
suffix=$2
shift 2
name="families_$suffix"
entry="_ZN7autorec${#name}${name}Ev"
printf 'SECTIONS { autorec_text_%s : { *(.text .text.* .gnu.linkonce.t.*) } }\n' "$suffix" >"$out.ld"
${LD:-ld} -r --force-group-allocation -T "$out.ld" -o "$out.tmp" "$@"
if ${OBJDUMP:-objdump} -h "$out.tmp" | grep -qE '[.](init_array|ctors)'; then
  echo "isa_variant.sh: $out has static constructors (they would run before the level is chosen):" >&2
  ${NM:-nm} -C "$out.tmp" | grep -i 'GLOBAL__sub_I' >&2 || true
  rm -f "$out.tmp"
  exit 1
fi
if ! ${NM:-nm} "$out.tmp" | grep -q " T $entry\$"; then
  echo "isa_variant.sh: $out does not define $entry" >&2
  rm -f "$out.tmp"
  exit 1
fi
${NM:-nm} "$out.tmp" | awk -v s="$suffix" '$2 == "u" { print $3, $3 "." s }' >"$out.syms"
${OBJCOPY:-objcopy} --keep-global-symbol="$entry" --redefine-syms="$out.syms" "$out.tmp" "$out"
rm -f "$out.tmp" "$out.ld" "$out.syms"
