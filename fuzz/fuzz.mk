# libFuzzer targets (fuzz/README.md). Included by the top-level Makefile, so
# CPPFLAGS, WARNINGS, LIB_SRC and LDLIBS come from there.
#
#   make fuzz                   build every target into build/fuzz/<target>
#   make fuzz-run [SECONDS=60]  fuzz each target SECONDS seconds (make -j2 runs
#                               two at a time); stops at the first crash
#   make fuzz-smoke             replay fuzz/regress/ and fuzz/corpus/, then
#                               fuzz each target briefly (part of make test)
#   make fuzz-coverage          scripts/fuzz-coverage.sh
#   make fuzz-corpus            scripts/gen-fuzz-corpus.py
#
# The sources the targets reach are compiled a third time, with clang and
# coverage instrumentation, into build/fuzz/obj/ and archived, so each target
# links only the objects it uses. Only the parsers' side of the tree is taken
# (codec, the server's connection, the case parser and what it needs), so work
# in progress in the CLI or the runner cannot break the fuzz build.

FUZZ_CC      := clang
FUZZ_TARGETS := frame_decoder frame_roundtrip frame_wslay_diff message utf8 \
                http_request http_response header_values case_parse \
                server_conn results_json inflate pmd_negotiate
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 $(WARNINGS) -MMD -MP -g -O1 -fno-omit-frame-pointer \
                $(FUZZ_SAN)
FUZZ_LIB_SRC := $(CODEC_SRC) server/conn.c \
                $(wildcard harness/util/arena.c harness/util/buf.c \
                  harness/case/case_names.c harness/case/case_derive.c \
                  harness/case/case_parse*.c harness/case/catalogue.c \
                  harness/case/payload.c harness/case/corpus.c \
                  harness/case/deflated.c harness/case/placeholders.c \
                  harness/util/prng.c reports/verdict.c \
                  reports/json*.c reports/results.c reports/atomic_file.c \
                  reports/utf8_text.c reports/wire_spill.c) \
                build/gen/builtin_cases.c bench/utf8_dfa.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_LIB     := build/fuzz/libwsprobe-fuzz.a
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/%)
# Only the differential target needs libwslay.
FUZZ_LDLIBS_frame_wslay_diff := -lwslay

SECONDS      ?= 60
FUZZ_RSS     := -rss_limit_mb=2048
# Smoke: every corpus input once, then a short bounded run per target.
FUZZ_SMOKE_RUNS := 20000
FUZZ_SMOKE_TIME := 3

# The [libfuzzer] lines of fuzz/<target>.options as -key=value flags. The dict
# line is left out (it names the file as OSS-Fuzz installs it, next to the
# binary); the targets below pass fuzz/<target>.dict themselves.
fuzz_options = $(shell sed -n -e 's/^[[:space:]]*\([a-z_]*\)[[:space:]]*=[[:space:]]*\([^[:space:]]*\)[[:space:]]*$$/-\1=\2/p' \
                 fuzz/$(1).options 2>/dev/null | grep -v '^-dict=')
fuzz_dict = $(if $(wildcard fuzz/$(1).dict),-dict=fuzz/$(1).dict)

.PHONY: fuzz fuzz-run fuzz-smoke fuzz-coverage fuzz-corpus \
        $(FUZZ_TARGETS:%=fuzz-run-%) $(FUZZ_TARGETS:%=fuzz-smoke-%)

fuzz: $(FUZZ_BINS)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	  -c $< -o $@

# The archive is rebuilt when the list of its objects changes, not only when an
# object is newer (a source added to the list may have an older object).
FUZZ_LIB_LIST := build/fuzz/libwsprobe-fuzz.list
ifneq ($(filter fuzz% build/fuzz/%,$(MAKECMDGOALS)),)
$(shell mkdir -p build/fuzz && echo '$(FUZZ_LIB_OBJ)' | cmp -s - $(FUZZ_LIB_LIST) \
  || echo '$(FUZZ_LIB_OBJ)' >$(FUZZ_LIB_LIST))
endif

$(FUZZ_LIB): $(FUZZ_LIB_OBJ) $(FUZZ_LIB_LIST)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $(FUZZ_LIB_OBJ)

build/fuzz/%: fuzz/%.c $(FUZZ_LIB)
	@mkdir -p build/fuzz
	@echo "  LD      $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer \
	  $< $(FUZZ_LIB) -o $@ $(FUZZ_LDLIBS_$*) $(LDLIBS)

# New inputs go to build/fuzz/new-corpus/<target>/ (the first directory
# libFuzzer is given); fuzz/corpus/<target>/ only changes on purpose (merge
# what you want to keep with -merge=1). Crashers go to build/fuzz/crashes/.
fuzz-run: $(FUZZ_TARGETS:%=fuzz-run-%)

$(FUZZ_TARGETS:%=fuzz-run-%): fuzz-run-%: build/fuzz/%
	@mkdir -p build/fuzz/new-corpus/$* fuzz/corpus/$* build/fuzz/crashes/$*
	@echo "  FUZZ    $* for $(SECONDS) s"
	@build/fuzz/$* $(call fuzz_options,$*) $(call fuzz_dict,$*) \
	  -max_total_time=$(SECONDS) $(FUZZ_RSS) -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/crashes/$*/ \
	  build/fuzz/new-corpus/$* fuzz/corpus/$* \
	  >build/fuzz/$*.log 2>&1 || { \
	  tail -n 60 build/fuzz/$*.log; \
	  echo "fuzz-run: $* failed; crasher: $$(ls -t build/fuzz/crashes/$*/* 2>/dev/null | head -n 1)"; \
	  echo "  reproduce: build/fuzz/$* <crasher>   log: build/fuzz/$*.log"; \
	  exit 1; }
	@grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	  build/fuzz/$*.log | sed 's/^/  $* /'

# Regression inputs are replayed one by one, exactly as stored (no max_len
# truncation); the corpus is replayed as a directory (-runs=0), then each
# target fuzzes briefly into a scratch directory.
fuzz-smoke: $(FUZZ_TARGETS:%=fuzz-smoke-%)
	@echo "fuzz-smoke: $(words $(FUZZ_TARGETS)) passed, 0 failed"

$(FUZZ_TARGETS:%=fuzz-smoke-%): fuzz-smoke-%: build/fuzz/%
	@rm -rf build/fuzz/smoke/$*
	@mkdir -p build/fuzz/smoke/$*/new build/fuzz/smoke/$*/crashes
	@set -e; log=build/fuzz/smoke/$*/log; \
	fail() { tail -n 40 $$log; echo "fuzz-smoke: $* failed ($$1); see $$log"; exit 1; }; \
	regress=$$(find fuzz/regress/$* -type f 2>/dev/null | sort); \
	if [ -n "$$regress" ]; then \
	  build/fuzz/$* $(FUZZ_RSS) -timeout=10 $$regress >$$log 2>&1 || fail regress; \
	fi; \
	if [ -d fuzz/corpus/$* ]; then \
	  build/fuzz/$* $(FUZZ_RSS) -timeout=10 -runs=0 fuzz/corpus/$* >>$$log 2>&1 || fail corpus; \
	fi; \
	build/fuzz/$* $(call fuzz_options,$*) $(call fuzz_dict,$*) $(FUZZ_RSS) \
	  -runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_TIME) \
	  -artifact_prefix=build/fuzz/smoke/$*/crashes/ \
	  build/fuzz/smoke/$*/new $(wildcard fuzz/corpus/$*) >>$$log 2>&1 || fail fuzz; \
	echo "  SMOKE   $* ok"

fuzz-coverage:
	@scripts/fuzz-coverage.sh

fuzz-corpus:
	@$(PYTHON) scripts/gen-fuzz-corpus.py
