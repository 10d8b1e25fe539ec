# wsprobe: flat Makefile. Two builds of the same sources:
#   build/rel/   optimised, for the wsprobe binary, the demo and benchmarks
#   build/asan/  ASan+UBSan, for unit and integration tests
# Every source directory is globbed, so a new file needs no Makefile edit.

CC       ?= cc
PYTHON   := /usr/bin/python3
# How many things `make test` does at once: compilers, unit binaries, pytest
# workers, fuzz smoke runs. Default: the number of cores.
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
# Includes name their folder: "codec/frame.h" from the top, "engine/session.h"
# from harness/ (scripts/check-layers.py checks the arrows between them).
CPPFLAGS := -D_GNU_SOURCE -DWSPROBE_VERSION='"$(VERSION)"' -I. -Iharness
BASEFLAGS:= -std=c11 $(WARNINGS) -MMD -MP
REL_CFLAGS  := $(BASEFLAGS) -O2 -g
ASAN_CFLAGS := $(BASEFLAGS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all
LDLIBS   := -lssl -lcrypto -lz

CODEC_SRC   := $(wildcard codec/*.c)
SERVER_SRC  := $(wildcard server/*.c)
HARNESS_SRC := $(filter-out harness/cli/main.c,$(wildcard harness/*/*.c))
REPORTS_SRC := $(wildcard reports/*.c)
CASE_FILES  := $(shell find cases -name '*.case' 2>/dev/null | sort)
ASSET_FILES := $(sort $(wildcard reports/assets/*))
SERVE_PAGE  := harness/cli/serve_page.html
GEN_SRC     := build/gen/builtin_cases.c build/gen/report_assets.c \
               build/gen/serve_page.c
LIB_SRC     := $(CODEC_SRC) $(SERVER_SRC) $(HARNESS_SRC) $(REPORTS_SRC) $(GEN_SRC)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_HELPER := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c)) bench/utf8_dfa.c
BENCH_SRC   := $(wildcard bench/*.c)

REL_OBJ  := $(LIB_SRC:%.c=build/rel/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
UNIT_HELPER_OBJ := $(UNIT_HELPER:%.c=build/asan/%.o)

SOURCES_TO_FORMAT := $(shell find codec server harness reports tests/unit tests/faulty bench fuzz \
                       -name '*.[ch]' 2>/dev/null)

.PHONY: all deps demo test unit integration bench format format-check layer-check clean

all: build/wsprobe

# The catalogue and the report assets travel inside the binary.
build/gen/builtin_cases.c: scripts/embed_files.py $(CASE_FILES)
	@echo "  GEN     $@"
	@$(PYTHON) scripts/embed_files.py $@ case/catalogue.h ws_builtin_case_file \
	  ws_builtin_case_files $(CASE_FILES)

build/gen/report_assets.c: scripts/embed_files.py $(ASSET_FILES)
	@echo "  GEN     $@"
	@$(PYTHON) scripts/embed_files.py $@ reports/assets.h ws_asset \
	  ws_report_assets $(ASSET_FILES)

# The browser driver page of `wsprobe serve` (GET /).
build/gen/serve_page.c: scripts/embed_files.py $(SERVE_PAGE)
	@echo "  GEN     $@"
	@$(PYTHON) scripts/embed_files.py $@ cli/serve_page.h ws_serve_page_file \
	  ws_serve_page_files $(SERVE_PAGE)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(REL_CFLAGS) -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(ASAN_CFLAGS) -c $< -o $@

build/wsprobe: build/rel/harness/cli/main.o $(REL_OBJ)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) $^ -o $@ $(LDLIBS)

build/asan/wsprobe: build/asan/harness/cli/main.o $(ASAN_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ASAN_CFLAGS) $^ -o $@ $(LDLIBS)

build/asan/tests/%: tests/unit/%.c $(ASAN_OBJ) $(UNIT_HELPER_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(ASAN_CFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcriterion

build/bench/bench: $(BENCH_SRC) $(REL_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(REL_CFLAGS) -O3 $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lwslay

deps:
	@scripts/install-deps.sh

demo: deps build/wsprobe
	@scripts/demo.sh

unit: $(UNIT_BIN)
	@UNIT_JOBS=$(JOBS) scripts/run-unit.sh $(UNIT_BIN)

# pytest-xdist: JOBS workers; the tests that share a module fixture stay on
# one worker (tests/integration/conftest.py).
integration: build/asan/wsprobe build/wsprobe
	$(PYTHON) -m pytest -q -n $(JOBS) --dist loadgroup --durations=15 tests/integration

# Everything the steps below need is built first, JOBS compilers at once (the
# steps themselves then build nothing), so a build error shows before any test.
test: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory layer-check
	@$(MAKE) --no-print-directory -j$(JOBS) $(UNIT_BIN) build/asan/wsprobe build/wsprobe fuzz
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target fuzz-smoke

bench: deps build/bench/bench build/wsprobe
	build/bench/bench

format:
	clang-format -i $(SOURCES_TO_FORMAT)

# The arrows between layers (scripts/check-layers.py explains them).
layer-check:
	@$(PYTHON) scripts/check-layers.py

format-check:
	@clang-format --dry-run --Werror $(SOURCES_TO_FORMAT) && echo "format-check: clean"

clean:
	rm -rf build

# Fuzzing: targets, corpora, runs and coverage (fuzz/fuzz.mk).
-include fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
