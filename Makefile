# aifb: build, run and test. `make demo` brings the stack up and shows where it answers;
# `make test` runs every suite against the real components and ends with "N passed, N failed".
# Plain GNU make; library flags come from pkg-config, asked when a compile or link first needs them,
# so that on a fresh machine `make demo` and `make test` install the -dev packages (deps) first.

BUILD ?= build
SAN ?=
CC ?= cc

PKGS := jansson libpq fcgi libcrypto libssh2 libcurl
SCHEMA_HEAD := $(shell ls sql/[0-9][0-9][0-9][0-9]_*.sql 2>/dev/null | sed 's|sql/0*\([0-9][0-9]*\)_.*|\1|' | sort -n | tail -n 1)

include lib/lib.mk
# pkg-config's flags, asked once, when first used: PKG_CFLAGS and PKG_LIBS keep the answer from
# then on. A missing library stops the build with what to do. (In a define called with $(call),
# write $$(LDLIBS): a single $ would ask while the Makefile is read.)
pkg_missing = $(shell pkg-config --exists $(1) 2>/dev/null || echo y)
pkg_check = $(if $(call pkg_missing,$(1)),$(error missing libraries (pkg-config $(1)): run `make deps` first))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkg_check,$(PKGS))$$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CPPFLAGS = -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DAIFB_SCHEMA_HEAD=$(SCHEMA_HEAD) -Ifcgi-apps/common -Ilib $(PKG_CFLAGS)
OPT := -O2 -g
ifneq ($(SAN),)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
endif
CFLAGS ?= $(OPT)
ALL_CFLAGS = $(WARN) $(CFLAGS)
LDLIBS = $(PKG_LIBS) -lm
ALL_LDFLAGS = $(CFLAGS) $(LDFLAGS)

APPS := server client monitoring logs
COMMON_SRC := $(wildcard fcgi-apps/common/*.c) $(LIB_SRC)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
COMMON_LIB := $(BUILD)/lib/libaifb-common.a
APP_BINS := $(APPS:%=$(BUILD)/bin/aifb-%)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_LDLIBS = $(eval UNIT_LDLIBS := $$(call pkg_check,check)$$(shell pkg-config --libs check))$(UNIT_LDLIBS)

# The cluster-side programs (remote-agent/) build with their own Makefile, here into $(BUILD).
RA_PROGS := $(patsubst remote-agent/%/main.c,%,$(wildcard remote-agent/*/main.c))
RA_LIBS := $(RA_PROGS:%=$(BUILD)/lib/libaifb-%.a) $(BUILD)/lib/libaifb-ra-common.a

# Tests of the database layer against the stack's PostgreSQL (tests/db/*.c, run by 15_db.sh).
DB_TEST_BINS := $(patsubst tests/db/%.c,$(BUILD)/tests/db/%,$(wildcard tests/db/test_*.c))

# Test tools (tests/tools/*.c): small clients the suites drive, linked with libcurl and jansson.
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))

.PHONY: ra agent all apps deps up down status demo test check unit san bench fuzz fuzz-build format clean
.DEFAULT_GOAL := all

all: apps ra $(UNIT_BINS) $(DB_TEST_BINS) $(TOOL_BINS)
apps: $(APP_BINS)

V ?=
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# Each app links its own folder's objects and the common library (fcgi-apps/common/ and lib/).
define app_rule
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard fcgi-apps/$(1)/*.c))
$(BUILD)/bin/aifb-$(1): $$($(1)_OBJ) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	@$(if $(V),,echo "  LD $$@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $$@ $$($(1)_OBJ) $(COMMON_LIB) $$(LDLIBS)
endef
$(foreach a,$(APPS),$(eval $(call app_rule,$(a))))

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(COMMON_LIB) $(LDLIBS) $(UNIT_LDLIBS)

$(BUILD)/tests/db/%: $(BUILD)/obj/tests/db/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(COMMON_LIB) $(LDLIBS) $(UNIT_LDLIBS)

# Unit tests of aifb-logs's modules (test_logs_*.c) link its objects but main.o. Placed after the
# app rules, which define logs_OBJ; its longer fixed prefix makes make prefer it to the rule above.
$(BUILD)/tests/unit/test_logs_%: $(BUILD)/obj/tests/unit/test_logs_%.o $(filter-out %/main.o,$(logs_OBJ)) \
		$(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(UNIT_LDLIBS)

ra:
	@$(MAKE) --no-print-directory -C remote-agent BUILD=$(abspath $(BUILD)) OPT="$(CFLAGS)" CC="$(CC)" V="$(V)"
$(RA_LIBS): ra ;

# Unit tests of a cluster-side program are named test_<program>_*.c and link its library (-ldl: the GPU
# exporter's NVML source uses dlopen).
define ra_test_rule
$(BUILD)/tests/unit/test_$(1)_%: $(BUILD)/obj/tests/unit/test_$(1)_%.o $(BUILD)/lib/libaifb-$(1).a \
		$(BUILD)/lib/libaifb-ra-common.a
	@mkdir -p $$(dir $$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lm -ldl $$(UNIT_LDLIBS)
endef
$(foreach p,$(RA_PROGS),$(eval $(call ra_test_rule,$(p))))

# The NVML stand-in of the GPU exporter's unit tests (a shared library the binding dlopens).
$(BUILD)/tests/unit/nvml_recorded.so: tests/unit/nvml_recorded.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -fPIC -O1 -o $@ $<
$(BUILD)/tests/unit/test_gpu-exporter_nvml: | $(BUILD)/tests/unit/nvml_recorded.so

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/lib/libaifb-ra-common.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl jansson) -lm

# The object of a migration changes meaning when a new one lands.
$(BUILD)/obj/fcgi-apps/common/app.o: $(wildcard sql/*.sql)

# libFuzzer harnesses on the parsers of untrusted bytes (tests/fuzz/); `make test` runs each briefly.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
FUZZ_COMMON := $(LIB_SRC)
FUZZ_SECONDS ?= 30

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) $(LIB_HDR)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ $@")
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-Ilib $(shell pkg-config --cflags jansson) -o $@ $< $(FUZZ_COMMON) \
		$(shell pkg-config --libs jansson)

# Harnesses of a cluster-side program (fuzz_<program>_*.c) link that program's modules too.
define ra_fuzz_rule
build/fuzz/fuzz_$(1)_%: tests/fuzz/fuzz_$(1)_%.c $(FUZZ_COMMON) $$(filter-out %/main.c,$$(wildcard remote-agent/$(1)/*.c))
	@mkdir -p $$(dir $$@)
	@$$(if $(V),,echo "  FUZZ $$@")
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-Ilib $$(shell pkg-config --cflags jansson) -o $$@ $$< $(FUZZ_COMMON) \
		$$(filter-out %/main.c,$$(wildcard remote-agent/$(1)/*.c)) $$(shell pkg-config --libs jansson libcurl) -lm -ldl
endef
$(foreach p,$(RA_PROGS),$(eval $(call ra_fuzz_rule,$(p))))

# Harnesses of aifb-logs (fuzz_logs_*.c) link its parsers: the listing and the categories.
LOGS_FUZZ_SRC := fcgi-apps/logs/categorize.c fcgi-apps/logs/listing.c
build/fuzz/fuzz_logs_%: tests/fuzz/fuzz_logs_%.c $(FUZZ_COMMON) $(LOGS_FUZZ_SRC)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ $@")
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-Ilib $(shell pkg-config --cflags jansson) -o $@ $< $(FUZZ_COMMON) $(LOGS_FUZZ_SRC) \
		$(shell pkg-config --libs jansson)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@AIFB_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

deps:
	@scripts/install-deps

# Targets that install what is missing build in a second make, which reads the libraries' flags
# only once they are there (and keeps `make -j` from compiling before the install).
up: deps
	@$(MAKE) --no-print-directory apps
	@AIFB_BIN=$(abspath $(BUILD)/bin) scripts/stack up

down:
	@scripts/stack down

status:
	@scripts/stack status

# The cluster-side programs go onto the login node over SSH and are built there, as on MeluXina.
agent: deps
	@scripts/stack up cluster
	@scripts/agent-install

demo: deps
	@$(MAKE) --no-print-directory apps
	@$(MAKE) --no-print-directory agent
	@AIFB_BIN=$(abspath $(BUILD)/bin) scripts/demo

test: deps
	@$(MAKE) --no-print-directory all fuzz-build
	@$(MAKE) --no-print-directory agent
	@AIFB_BUILD=$(abspath $(BUILD)) tests/run

san: deps
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 all
	@$(MAKE) --no-print-directory fuzz-build
	@$(MAKE) --no-print-directory agent
	@AIFB_BUILD=$(abspath build/san) tests/run

bench: deps
	@$(MAKE) --no-print-directory apps
	@AIFB_BIN=$(abspath $(BUILD)/bin) tests/bench/http.sh
	@$(MAKE) --no-print-directory ra $(TOOL_BINS)
	@AIFB_BIN=$(abspath $(BUILD)/bin) tests/bench/loadgen.sh
	@AIFB_BIN=$(abspath $(BUILD)/bin) tests/bench/gpu_exporter.sh
	@tests/bench/logs.sh

# The code keeps its own rules: format, banned calls, headers alone, shellcheck (scripts/check).
# `make test` runs it first, as its first suite.
check: deps
	@scripts/check

format:
	clang-format -i $(shell git ls-files -co --exclude-standard -- 'fcgi-apps/*.[ch]' 'lib/*.[ch]' 'remote-agent/*.[ch]' 'tests/*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
