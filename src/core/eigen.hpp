// Eigen, included through this header by every file of ours that uses it, so that GCC 12's
// false positives in its own AVX-512 intrinsics header (-Wmaybe-uninitialized on the
// _mm512_undefined operands of the extract intrinsics, GCC bug 105593, fixed in GCC 13) stay out
// of the build log without silencing those warnings for our code: the pragmas cover only the
// intrinsics headers' lines. They must come first, hence this header before any Eigen include.
#pragma once

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

#include <Eigen/Core>
