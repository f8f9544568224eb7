# The compiler flags of both builds, defined once: the Makefile (PGXS) includes this file and
# CMakeLists.txt reads it (so keep to lines `NAME ?= value` / `NAME = value`, no make functions).
#
# OPTFLAGS, the instruction set (pgvector's convention): `make` builds for the CPU it runs on
# (-march=native); `make OPTFLAGS=""` is the portable package build: the compiler's default
# target, which for Debian's x86-64 gcc is the x86-64 baseline (SSE2, no AVX): the library runs
# on every x86-64 CPU. In that build the hot kernels (ISA_SOURCE_DIRS) are compiled a second and
# third time, for each level of ISA_VARIANTS, and the best level the CPU
# supports is chosen when the first model is created (src/core/isa.cpp; README, Portability).
OPTFLAGS ?= -march=native
# Levels (gcc -march names) of the dispatched kernels in a portable x86-64 build; known to
# src/core/isa.cpp: x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512). Empty: no variants.
ISA_VARIANTS ?= x86-64-v3 x86-64-v4
# The dispatched code: the families whose training and scoring kernels are hot, each folder whole
# (a family's code is reached through its factory in src/core/models/families.cpp, which every
# level also compiles), and the optimisers. The other families (baseline, popularity, itemknn,
# content) run the library's baseline code at every level.
ISA_SOURCE_DIRS = src/core/models/autorec src/core/models/ease src/core/models/ials src/core/models/knn src/core/models/svd src/core/optim
# Every C++ file of ours. NDEBUG: Eigen's internal assertions off (our code has none; an Eigen
# assertion would abort the server process). Eigen's alignment is fixed to 64 bytes in every variant so that memory
# allocated by one level's code and freed by another's uses the same allocator path, and a
# class with fixed-size Eigen members has the same layout everywhere.
AUTOREC_CXXFLAGS = -std=c++17 -O2 -DNDEBUG -DEIGEN_MAX_ALIGN_BYTES=64 -DEIGEN_MAX_STATIC_ALIGN_BYTES=64
# Warnings of the core (src/core, no PostgreSQL header). Eigen is included as a system header and
# through src/core/eigen.hpp. The glue (src/pg) gets PostgreSQL's warning flags (its headers are
# not -Wextra clean) and PG_GLUE_WARNFLAGS.
AUTOREC_WARNFLAGS = -Wall -Wextra
PG_GLUE_WARNFLAGS = -Wno-register -Wno-missing-field-initializers
