# gomaptrace — see README.md.  `make demo` and `make test` are the two entry points.
#
# Everything is built under build/.  Fixture binaries of the Go test matrix
# are cached under build/fixtures/ and rebuilt only when their inputs change.

BUILD      ?= build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
FUZZ_SECONDS ?= 60
# Seconds each fuzz target runs inside `make test` (a smoke, not a campaign).
FUZZ_SMOKE_SECONDS ?= 15
# Executions per fuzz target in `make fuzz-campaign` (docs/fuzzing.md).
FUZZ_CAMPAIGN_RUNS ?= 10000000

ARCH       := x86
WARNINGS   := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS     ?= -O2 -g
# `make test` (so CI) builds with WERROR=-Werror: a new warning fails it.
WERROR     ?=
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) $(WERROR) $(CFLAGS) -Iinclude -Iuser -I$(BUILD)
# Each object records the headers it includes (foo.d beside foo.o).
DEPFLAGS    = -MMD -MP
LDLIBS     := -lpthread -lbpf -lelf -lz -lcapstone -lmicrohttpd -lncursesw -lm
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

USER_SRCS  := $(sort $(wildcard user/*.c))
LIB_SRCS   := $(filter-out user/main.c,$(USER_SRCS))
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
SAN_OBJS   := $(patsubst user/%.c,$(BUILD)/san/%.o,$(LIB_SRCS))
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
SAN_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/unit-san/%,$(UNIT_SRCS))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

# Release: `make static` links every library Debian ships an archive of;
# `make install` puts the binary and its man page under DESTDIR/PREFIX.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
# What --version and gomaptrace_build_info say: the tree's `git describe`,
# taken at build time (`make GM_VERSION=x` for a tree without .git).
GM_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
# Static archives of the LDLIBS above and of what they need (libmicrohttpd:
# gnutls and its crypto and string libraries; ncursesw: tinfo).  Debian ships
# no libp11-kit.a (gnutls needs it, and it loads its own modules with
# dlopen), so p11-kit stays a shared library, and with it glibc; those are
# the only NEEDED entries left (tests/e2e/test_release.sh checks).
STATIC_LDLIBS := -Wl,--gc-sections -Wl,-Bstatic -lbpf -lelf -lz -lcapstone \
	-lmicrohttpd -lgnutls -lhogweed -lnettle -lgmp -ltasn1 -lidn2 -lunistring \
	-lncursesw -ltinfo -Wl,-Bdynamic -lp11-kit -lpthread -lm

.PHONY: all deps demo test unit unit-bins fuzz fuzz-campaign fuzz-smoke fixtures e2e vmlinux clean bench \
	static rootfs man install FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/gomaptrace

# Idempotent: installs missing Debian packages and Go toolchains.
deps:
	@scripts/install-deps.sh

# The skeleton is generated: every object waits for it (only the ones that
# include it rebuild when it changes, through their .d files).
$(BUILD)/obj/%.o: user/%.c | $(SKELS) $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/san/%.o: user/%.c | $(SKELS) $(BUILD)/san
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

# Rewritten only when the version changes, so only version.o rebuilds.
$(BUILD)/gm_version.h: FORCE | $(BUILD)
	@new='#define GM_VERSION "$(or $(GM_VERSION),unknown)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$new" ] || echo "$$new" >$@
$(BUILD)/obj/version.o $(BUILD)/san/version.o $(BUILD)/fuzzobj/version.o: $(BUILD)/gm_version.h

$(BUILD)/libgomaptrace.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/gomaptrace: $(BUILD)/obj/main.o $(BUILD)/libgomaptrace.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/static/gomaptrace: $(BUILD)/obj/main.o $(BUILD)/libgomaptrace.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $^ $(STATIC_LDLIBS) -o $@

static: $(BUILD)/static/gomaptrace

# A root filesystem holding the static binary and the shared objects it
# still needs (glibc's and p11-kit's, found by the loader itself): the
# whole content of the FROM-scratch image (deploy/Dockerfile).
rootfs: $(BUILD)/static/gomaptrace
	@scripts/make-rootfs.sh $< $(BUILD)/rootfs

# The man page is generated from the binary's own --help texts.
$(BUILD)/gomaptrace.8: $(BUILD)/gomaptrace scripts/gen-man.sh
	scripts/gen-man.sh $< >$@

man: $(BUILD)/gomaptrace.8

install: $(BUILD)/gomaptrace $(BUILD)/gomaptrace.8
	install -D -m 0755 $(BUILD)/gomaptrace $(DESTDIR)$(BINDIR)/gomaptrace
	install -D -m 0644 $(BUILD)/gomaptrace.8 $(DESTDIR)$(MANDIR)/man8/gomaptrace.8

# BPF: one object for every binary; the skeleton embeds it.
$(BUILD)/%.bpf.o: bpf/%.bpf.c include/gomaptrace.h vmlinux/vmlinux.h | $(BUILD)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

# Checked in; regenerate on a kernel with BTF when the BPF side needs newer types.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

$(BUILD) $(BUILD)/obj $(BUILD)/san $(BUILD)/unit $(BUILD)/unit-san $(BUILD)/fuzz $(BUILD)/fuzzobj:
	mkdir -p $@

# The Go test matrix for the unit tests, from the one list in tests/matrix.sh.
$(BUILD)/matrix.h: tests/matrix.sh | $(BUILD)
	bash tests/matrix.sh c-header > $@

# The newest tested release, for user/gobin.c, from the same list.
$(BUILD)/gm_tested.h: tests/matrix.sh | $(BUILD)
	bash tests/matrix.sh tested-header > $@
$(BUILD)/obj/gobin.o $(BUILD)/san/gobin.o $(BUILD)/fuzzobj/gobin.o: $(BUILD)/gm_tested.h

# Unit tests: cmocka, once plain and once under ASan+UBSan.
$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libgomaptrace.a $(BUILD)/matrix.h | $(BUILD)/unit
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MT $@ -MF $@.d $< $(BUILD)/libgomaptrace.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/unit-san/%: tests/unit/%.c $(SAN_OBJS) $(BUILD)/matrix.h | $(BUILD)/unit-san
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -MT $@ -MF $@.d $< $(SAN_OBJS) $(LDLIBS) -lcmocka -o $@

# libFuzzer targets: the library compiled once with clang's coverage and
# sanitizers, then linked into each target.
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS  := $(patsubst user/%.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))

$(BUILD)/fuzzobj/%.o: user/%.c | $(SKELS) $(BUILD)/fuzzobj
	$(CLANG) $(ALL_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) | $(BUILD)/fuzz
	$(CLANG) $(ALL_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -MT $@ -MF $@.d -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@

# the headers each object, unit test and fuzz target included when last built
-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/san/*.d $(BUILD)/fuzzobj/*.d \
	$(BUILD)/unit/*.d $(BUILD)/unit-san/*.d $(BUILD)/fuzz/*.d)

fixtures:
	@tests/build-fixtures.sh

# `make unit` builds and runs the unit tests (plain and sanitized);
# unit-bins only builds them.
unit-bins: $(UNIT_BINS) $(SAN_BINS)

unit: unit-bins
	@FUZZ_SMOKE_SECONDS=0 tests/run.sh unit/ unit-san/

fuzz: $(FUZZ_BINS) fixtures
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_BINS)

# Every target until FUZZ_CAMPAIGN_RUNS executions each (FUZZ_JOBS targets
# at once, default all CPUs); figures per target in the last lines.
fuzz-campaign: $(FUZZ_BINS) fixtures
	@FUZZ_RUNS=$(FUZZ_CAMPAIGN_RUNS) tests/fuzz/run.sh $(FUZZ_BINS)

test: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all unit-bins $(FUZZ_BINS) fixtures static rootfs man
	@FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all fixtures
	@tests/demo.sh

# A real single-node Kubernetes, reproducibly from this tree: Kubernetes
# K8S_VERSION built from source (cached in build/k8s and the Go build cache),
# etcd, containerd, runc and the CNI plugins from Debian
# (scripts/install-k8s-deps.sh), deploy/ applied as shipped, a leaky workload
# as a Deployment and a static pod (tests/k8s/run.sh; README.md, "Kubernetes
# node test").  Needs root.  Not part of `make test`.
K8S_VERSION ?= v1.33.13
.PHONY: test-k8s
test-k8s: deps
	@scripts/install-k8s-deps.sh
	@$(MAKE) --no-print-directory static rootfs
	@K8S_VERSION=$(K8S_VERSION) tests/k8s/run.sh

# Benchmarks are not tests: they print ratios against an untraced run of the
# same session and write docs/performance.md.  Needs root.
bench: deps
	@$(MAKE) --no-print-directory all fixtures
	@bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)/obj $(BUILD)/san $(BUILD)/unit $(BUILD)/unit-san $(BUILD)/fuzz $(BUILD)/fuzzobj \
		$(BUILD)/*.o $(BUILD)/*.a $(BUILD)/*.skel.h $(BUILD)/gomaptrace \
		$(BUILD)/gm_version.h $(BUILD)/gomaptrace.8 $(BUILD)/static $(BUILD)/rootfs
