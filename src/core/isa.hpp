// Instruction-set levels of the hot kernels. A portable x86-64 build (make OPTFLAGS="", see
// buildflags.mk) compiles the families with hot kernels (autorec, ease, ials, knn, svd: all
// their code, ISA_SOURCE_DIRS), the optimisers and the list of families once more for each of
// x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512), each copy with all its symbols made local but
// its entry point (scripts/isa_variant.sh), so that the copies cannot borrow each other's code
// (Eigen's templates have the same names in every copy). The level is chosen once, when the
// first model is created: the best one the CPU supports, or the one the environment variable
// AUTOREC_ISA names (for tests). A build for one CPU (-march=native, the default) has one
// level, "default".
#pragma once

#include <string>
#include <vector>

#include "core/registry.hpp"

namespace autorec {

// The families as compiled for the level in use (what registry.cpp's families() returns).
const std::vector<Family>& isa_families();

// The level in use: "default" (the whole library's flags, OPTFLAGS), "x86-64-v3" or "x86-64-v4".
// Chooses it on first use: AUTOREC_ISA when set (an error if this build or this CPU lacks that
// level), else the best level both have.
std::string isa_level();

// The levels compiled into this library that this CPU can run, best first ("default" last).
std::vector<std::string> isa_levels();

// Switches to `level` (one of isa_levels(); throws Error otherwise). For tests and benchmarks,
// which compare the levels in one process; models already created keep their code.
void set_isa_level(const std::string& level);

}  // namespace autorec
