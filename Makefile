# SPDX-License-Identifier: GPL-2.0-or-later
# stunmesh: one plain GNU Makefile. Packagers: override PREFIX, DESTDIR, CC, CFLAGS,
# LDFLAGS, PKG_CONFIG as usual.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/stunmesh
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CC ?= cc
FUZZ_CC ?= clang
CFLAGS ?= -O2 -g
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

WARNINGS := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
# Optional parts: WITH_<FEATURE>=0 leaves the feature out (smaller binary, fewer
# libraries); the default build has everything. A store left out is reported by
# `stunmesh` as "not built into this stunmesh" when a config names it.
WITH_CLOUDFLARE ?= 1
PKGS := libsodium yaml-0.1 libcjson libmnl
ifneq ($(WITH_CLOUDFLARE),0)
PKGS += libcurl
endif
# $(PKG_CONFIG) is only asked when a target needs the flags, so `make help` and
# `make deps` work before the -dev packages exist.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
# -lm: record.c calls floor(), which -O2 inlines but -Os leaves as a call
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
SM_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -Isrc -DSTUNMESH_VERSION='"$(VERSION)"' \
	-DWITH_CLOUDFLARE=$(if $(filter 0,$(WITH_CLOUDFLARE)),0,1) $(PKG_CFLAGS)

# Sources live in folders by layer (docs/ARCHITECTURE.md): src/<layer>/<file>.c.
# Platform code is in files named *-<platform>.c; PLATFORM picks which of them are
# built (only linux exists today), in this one place.
PLATFORM ?= linux
PLATFORMS := linux
OPT_OUT_SRCS :=
OPT_OUT_TESTS :=
ifeq ($(WITH_CLOUDFLARE),0)
OPT_OUT_SRCS += src/store/store-cloudflare.c src/proto/cloudflare-reply.c
OPT_OUT_TESTS += tests/unit/test_store_cloudflare.c tests/fuzz/fuzz_cloudflare.c
endif
OTHER_PLATFORM_SRCS := $(foreach p,$(filter-out $(PLATFORM),$(PLATFORMS)),$(wildcard src/*/*-$(p).c))
SRCS := $(filter-out $(OPT_OUT_SRCS) $(OTHER_PLATFORM_SRCS),$(wildcard src/*/*.c))
OBJS := $(SRCS:src/%.c=build/obj/%.o)
LIB_OBJS := $(filter-out build/obj/cmd/main.o,$(OBJS))
ASAN_OBJS := $(LIB_OBJS:build/obj/%=build/asan/obj/%)
UNIT_SRCS := $(filter-out $(OPT_OUT_TESTS),$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/test/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/test/%)
FUZZ_SRCS := $(filter-out $(OPT_OUT_TESTS),$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
# Helpers that integration tests run (never installed).
TOOL_SRCS := $(wildcard tests/integration/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/integration/%.c=build/tools/%)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Header dependencies come from the compiler (-MMD), read back below.
DEPFLAGS = -MMD -MP

.SECONDARY:
.PHONY: all deps check check-kernel unit demo bench fuzz install uninstall clean help
all: stunmesh

help:
	@echo "make            build ./stunmesh"
	@echo "make check      install test dependencies (as root), build, run every test"
	@echo "make check-kernel  run the kernel WireGuard tests in a qemu VM (as root)"
	@echo "make demo       run the two-site NAT lab demo (as root)"
	@echo "make bench      run the benchmarks, write bench/RESULTS.md (as root; BENCH_QUICK=1 for fewer runs)"
	@echo "                WITH_CLOUDFLARE=0 builds without the Cloudflare store (and libcurl)"
	@echo "make unit       build and run the unit tests only (plain and ASan/UBSan)"
	@echo "make fuzz       build the libFuzzer targets into build/fuzz/ (clang)"
	@echo "make install    install to \$$(DESTDIR)\$$(PREFIX) (default /usr/local)"

deps:
	@sh scripts/deps.sh all

stunmesh: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) -O1 -g $(SANITIZE) $(DEPFLAGS) -c -o $@ $<

build/test/%: tests/unit/%.c $(LIB_OBJS) | build/test
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(PKG_LIBS) -lcmocka

build/asan/test/%: tests/unit/%.c $(ASAN_OBJS) | build/asan/test
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) -O1 -g $(SANITIZE) $(DEPFLAGS) -Itests/unit -o $@ $< $(ASAN_OBJS) $(PKG_LIBS) -lcmocka

# The engine's tests run on test doubles (tests/unit/fake_*.c) and wrap the allocator,
# so a test can fail one allocation at a chosen point (tests/unit/fake_alloc.h).
FAKE_SRCS := $(wildcard tests/unit/fake_*.c)
FAKE_OBJS := $(FAKE_SRCS:tests/unit/%.c=build/test/fake/%.o)
ASAN_FAKE_OBJS := $(FAKE_SRCS:tests/unit/%.c=build/asan/test/fake/%.o)
WRAP_ALLOC := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

$(FAKE_OBJS): build/test/fake/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/unit -c -o $@ $<

$(ASAN_FAKE_OBJS): build/asan/test/fake/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) -O1 -g $(SANITIZE) $(DEPFLAGS) -Itests/unit -c -o $@ $<

build/test/test_engine_%: tests/unit/test_engine_%.c $(FAKE_OBJS) $(LIB_OBJS) | build/test
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/unit -o $@ $< $(FAKE_OBJS) $(LIB_OBJS) $(PKG_LIBS) -lcmocka $(WRAP_ALLOC)

build/asan/test/test_engine_%: tests/unit/test_engine_%.c $(ASAN_FAKE_OBJS) $(ASAN_OBJS) | build/asan/test
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) -O1 -g $(SANITIZE) $(DEPFLAGS) -Itests/unit -o $@ $< $(ASAN_FAKE_OBJS) $(ASAN_OBJS) $(PKG_LIBS) -lcmocka $(WRAP_ALLOC)

build/tools/%: tests/integration/%.c $(LIB_OBJS) | build/tools
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

# The fuzz targets share one set of objects built for libFuzzer (compiling every
# source once per target made `make check` spend minutes in clang).
FUZZ_OBJS := $(LIB_OBJS:build/obj/%=build/fuzz/obj/%)
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SM_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) | build/fuzz
	$(FUZZ_CC) $(SM_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

build/test build/asan/test build/fuzz build/tools:
	mkdir -p $@

unit: $(UNIT_BINS) $(ASAN_BINS)
	@sh tests/run.sh --unit-only

fuzz: $(FUZZ_BINS)

# check installs what it needs first (a fresh Debian 12 has none of it), then runs
# every unit test (plain and sanitized), each fuzz target over its corpus, and the
# integration tests. The last line is "N passed, N failed".
check:
	@sh scripts/deps.sh all
	@echo "building (compiler output in build/check-build.log)"
	@mkdir -p build && $(MAKE) --no-print-directory stunmesh $(UNIT_BINS) $(ASAN_BINS) $(FUZZ_BINS) $(TOOL_BINS) >build/check-build.log 2>&1 || { tail -n 40 build/check-build.log; exit 1; }
	@sh tests/run.sh

# Debian's kernel under qemu (software emulation), for the kernel WireGuard module this
# machine's kernel lacks; `make check` runs the same through tests/integration/kernel.sh.
check-kernel:
	@sh scripts/deps.sh kernel
	@$(MAKE) --no-print-directory stunmesh $(TOOL_BINS)
	@sh tests/kernel/run-vm.sh tests/kernel/wg_kernel.sh

demo:
	@sh scripts/deps.sh lab
	@$(MAKE) --no-print-directory stunmesh
	@sh tests/lab/demo.sh

# Convergence, healing, scale and footprint in the NAT lab; writes bench/RESULTS.md.
bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory stunmesh
	@sh bench/run.sh

install: stunmesh
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	install -m 0755 stunmesh $(DESTDIR)$(SBINDIR)/stunmesh
	install -m 0644 docs/stunmesh.8 $(DESTDIR)$(MANDIR)/man8/stunmesh.8
	install -m 0644 README.md docs/configuration.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/stunmesh $(DESTDIR)$(MANDIR)/man8/stunmesh.8
	rm -rf $(DESTDIR)$(DOCDIR)

-include $(shell find build/obj build/asan build/fuzz build/test build/tools -type f -name "*.d" 2>/dev/null)

clean:
	rm -rf build stunmesh
