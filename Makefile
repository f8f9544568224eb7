# PGXS build of the autorec extension (C++17 core + PostgreSQL glue).
EXTENSION = autorec
DATA = $(wildcard sql/autorec--*.sql)
MODULE_big = autorec
OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp src/core/*/*.cpp src/core/*/*/*.cpp src/pg/*.cpp)))

REGRESS = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test

PG_CPPFLAGS = -I$(srcdir)/src -isystem /usr/include/eigen3
OPTFLAGS ?= -march=native
PG_CXXFLAGS += -std=c++17 -O2 $(OPTFLAGS) -Wno-register -Wno-missing-field-initializers
SHLIB_LINK += -lstdc++ -lpthread
PG_CXXFLAGS += -MMD -MP

# JIT inlining of our code buys nothing and doubles the build time.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Header dependencies (PGXS does not track them for C++).
-include $(wildcard $(OBJS:.o=.d))
EXTRA_CLEAN = $(OBJS:.o=.d)

# The benchmark report (bench/report.md and plots); see bench/run.sh.
.PHONY: bench
bench:
	bash bench/run.sh
