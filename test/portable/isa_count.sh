#!/usr/bin/env bash
# isa_count.sh LIBRARY: counts the instructions of LIBRARY (objdump -d) beyond the x86-64
# baseline, per section: "avx" (VEX/EVEX-encoded instructions, ymm/zmm/mask registers) and
# "newer" (SSE3 to SSE4.2, POPCNT, BMI1/2, LZCNT, MOVBE). The dispatched kernels live in the
# sections autorec_text_<level> (scripts/isa_variant.sh); everything else must run on any x86-64
# CPU. Prints a table and exits 1 when anything outside those sections is beyond the baseline.
set -euo pipefail
lib=$1
objdump -d --no-show-raw-insn "$lib" | awk '
  BEGIN {
    n = split("addsubps addsubpd haddps haddpd hsubps hsubpd lddqu movddup movshdup movsldup fisttp " \
              "pabsb pabsw pabsd palignr phaddw phaddd phaddsw phsubw phsubd phsubsw pmaddubsw " \
              "pmulhrsw pshufb psignb psignw psignd blendpd blendps blendvpd blendvps dppd dpps " \
              "extractps insertps movntdqa mpsadbw packusdw pblendvb pblendw pcmpeqq pextrb pextrd " \
              "pextrq phminposuw pinsrb pinsrd pinsrq pmaxsb pmaxsd pmaxud pmaxuw pminsb pminsd " \
              "pminud pminuw pmovsxbw pmovsxbd pmovsxbq pmovsxwd pmovsxwq pmovsxdq pmovzxbw " \
              "pmovzxbd pmovzxbq pmovzxwd pmovzxwq pmovzxdq pmuldq pmulld ptest roundps roundpd " \
              "roundss roundsd crc32 pcmpestri pcmpestrm pcmpistri pcmpistrm pcmpgtq popcnt andn " \
              "bextr blsi blsmsk blsr bzhi lzcnt tzcnt movbe mulx pdep pext rorx sarx shlx shrx", m, " ")
    for (i = 1; i <= n; i++) newer[m[i]] = 1
  }
  /^Disassembly of section / { sec = $4; sub(/:$/, "", sec); sections[sec] = 1; next }
  /^ *[0-9a-f]+:\t/ {
    split($0, parts, "\t"); ins = parts[2]
    # drop prefixes, keep the mnemonic and the operands
    while (ins ~ /^(lock|rep|repz|repnz|repe|repne|bnd|notrack|data16|cs|ds|es|fs|gs|ss|addr32) /) sub(/^[a-z0-9]+ +/, "", ins)
    mn = ins; sub(/ .*/, "", mn); sub(/[lqwb]$/, "", mn)
    full = ins; sub(/ .*/, "", full)
    total[sec]++
    if ((full ~ /^v/ && full !~ /^verr|^verw/) || ins ~ /%[yz]mm|%k[0-7]/) avx[sec]++
    else if ((full in newer) || (mn in newer)) nw[sec]++
  }
  END {
    printf "%-28s %12s %10s %10s\n", "section", "instructions", "avx", "newer"
    for (s in sections) {
      printf "%-28s %12d %10d %10d\n", s, total[s], avx[s], nw[s]
      if (s ~ /^autorec_text_/) { kin += total[s]; kavx += avx[s] } else { out += avx[s] + nw[s] }
    }
    printf "beyond x86-64 outside the dispatched kernels: %d\n", out
    printf "avx inside the dispatched kernels (autorec_text_*): %d of %d\n", kavx, kin
    exit (out > 0)
  }'
