# PGXS build of the autorec extension (C++17 core + PostgreSQL glue).
# Compiler flags: buildflags.mk (shared with CMakeLists.txt). `make` builds for this CPU;
# `make OPTFLAGS=""` builds a portable library (README, Portability).
EXTENSION = autorec
DATA = $(wildcard sql/autorec--*.sql)
MODULE_big = autorec
OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp src/core/*/*.cpp src/core/*/*/*.cpp src/pg/*.cpp)))

REGRESS = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test

include $(dir $(lastword $(MAKEFILE_LIST)))buildflags.mk
PG_CPPFLAGS = -I$(srcdir)/src -isystem /usr/include/eigen3
PG_CXXFLAGS += $(AUTOREC_CXXFLAGS) $(OPTFLAGS) $(PG_GLUE_WARNFLAGS)
src/core/%.o: CPPFLAGS += $(AUTOREC_WARNFLAGS)
SHLIB_LINK += -lstdc++ -lpthread
PG_CXXFLAGS += -MMD -MP

# Portable x86-64 build: the hot kernels (ISA_SOURCE_DIRS) once more per level of ISA_VARIANTS,
# each copy partially linked into one object with only its entry point global
# (scripts/isa_variant.sh; src/core/isa.hpp says why).
ifeq ($(strip $(OPTFLAGS)),)
ifeq ($(shell uname -m),x86_64)
ISA_LEVELS = $(ISA_VARIANTS)
endif
endif
ISA_SOURCES = src/core/models/families.cpp $(sort $(foreach d,$(ISA_SOURCE_DIRS),$(wildcard $(d)/*.cpp)))
ISA_OBJS = $(foreach l,$(ISA_LEVELS),src/core/isa_$(subst -,_,$(l)).o)
ISA_PART_OBJS = $(foreach l,$(ISA_LEVELS),$(ISA_SOURCES:.cpp=.$(subst -,_,$(l)).o))
OBJS += $(ISA_OBJS)
src/core/isa.o: CPPFLAGS += $(foreach l,$(ISA_LEVELS),-DAUTOREC_ISA_$(subst -,_,$(l)))

# JIT inlining of our code buys nothing and doubles the build time.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The instruction-set levels' objects (after PGXS, whose first target is the default).
define isa_level_rules
%.$(1).o: %.cpp
	$$(COMPILE.cc) -march=$(2) -DAUTOREC_ISA_SUFFIX=$(1) -o $$@ $$<
src/core/isa_$(1).o: $(ISA_SOURCES:.cpp=.$(1).o) $(srcdir)/scripts/isa_variant.sh
	sh $(srcdir)/scripts/isa_variant.sh $$@ $(1) $(ISA_SOURCES:.cpp=.$(1).o)
endef
$(foreach l,$(ISA_LEVELS),$(eval $(call isa_level_rules,$(subst -,_,$(l)),$(l))))

# Header dependencies (PGXS does not track them for C++).
-include $(wildcard $(OBJS:.o=.d) $(ISA_PART_OBJS:.o=.d))
EXTRA_CLEAN = $(OBJS:.o=.d) $(wildcard src/core/*/*.*_v[0-9].[od] src/core/*/*/*.*_v[0-9].[od] src/core/isa_*.o src/core/isa_*.o.ld)

# The benchmark report (bench/report.md and plots); see bench/run.sh.
.PHONY: bench
bench:
	bash bench/run.sh
