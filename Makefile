# SPDX-License-Identifier: GPL-2.0-or-later
# stunmesh: one plain GNU Makefile. Packagers: override PREFIX, DESTDIR, CC, CFLAGS,
# LDFLAGS, PKG_CONFIG as usual.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/stunmesh
UNITDIR ?= $(PREFIX)/lib/systemd/system
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
# WITH_UPNP=0 leaves out port mapping's UPnP IGD part (and libminiupnpc); NAT-PMP and
# PCP stay.
WITH_CLOUDFLARE ?= 1
WITH_UPNP ?= 1
PKGS := libsodium yaml-0.1 libcjson libmnl
ifneq ($(WITH_CLOUDFLARE),0)
PKGS += libcurl
endif
ifneq ($(WITH_UPNP),0)
PKGS += miniupnpc
endif
# $(PKG_CONFIG) is only asked when a target needs the flags, so `make help` and
# `make deps` work before the -dev packages exist.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
# -lm: record.c calls floor(), which -O2 inlines but -Os leaves as a call
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
# 64-bit off_t, ino_t and time_t on 32-bit glibc targets (armhf, mipsel routers): without
# them stat() and readdir() fail with EOVERFLOW on filesystems with 64-bit inode numbers,
# and time_t ends in 2038. No-ops on 64-bit targets and on musl.
LFS_FLAGS := -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
SM_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(LFS_FLAGS) $(WARNINGS) -Isrc -DSTUNMESH_VERSION='"$(VERSION)"' \
	-DWITH_CLOUDFLARE=$(if $(filter 0,$(WITH_CLOUDFLARE)),0,1) \
	-DWITH_UPNP=$(if $(filter 0,$(WITH_UPNP)),0,1) $(PLATFORM_CFLAGS) $(PKG_CFLAGS)

# Sources live in folders by layer (docs/ARCHITECTURE.md): src/<layer>/<file>.c.
# Platform code is in files named *-<name>.c, chosen here and nowhere else:
#  PLATFORM, the OS (linux), builds *-$(PLATFORM).c and none of the other platforms';
#  LIBC (glibc or musl: asked of $(CC), or given) builds *-$(LIBC).c likewise; any
#    libc that is not glibc gets the portable code, so LIBC=musl also means "other";
#  *-posix.c files are the portable fallbacks: always built, so always tested.
# Backends with a default that follows from those (override e.g. `make RESOLVER=stub`):
#  SIGNALS=signalfd|selfpipe  how the loop hears signals (src/lib/signals.h)
#  RESOLVER=gai|stub          name lookup: glibc's getaddrinfo_a, or our own stub
#                             resolver over UDP (src/net/resolve.h)
PLATFORM ?= linux
PLATFORMS := linux
LIBCS := glibc musl
ifeq ($(origin LIBC),undefined)
LIBC := $(shell printf '\043include <limits.h>\n\043if defined(__GLIBC__) && !defined(__UCLIBC__)\nsm_libc_is_glibc\n\043endif\n' | \
	$(CC) -E -P -x c - 2>/dev/null | grep -q sm_libc_is_glibc && echo glibc || echo musl)
endif
SIGNALS ?= $(if $(filter linux,$(PLATFORM)),signalfd,selfpipe)
RESOLVER ?= $(if $(filter glibc,$(LIBC)),gai,stub)
ifeq ($(filter $(PLATFORM),$(PLATFORMS)),)
$(error PLATFORM=$(PLATFORM) is not one of: $(PLATFORMS))
endif
ifeq ($(filter $(LIBC),$(LIBCS)),)
$(error LIBC=$(LIBC) is not one of: $(LIBCS))
endif
ifeq ($(SIGNALS)$(filter linux,$(PLATFORM)),signalfd)
$(error SIGNALS=signalfd needs PLATFORM=linux)
endif
ifeq ($(RESOLVER)$(filter glibc,$(LIBC)),gai)
$(error RESOLVER=gai needs LIBC=glibc)
endif
ifeq ($(filter $(SIGNALS),signalfd selfpipe),)
$(error SIGNALS=$(SIGNALS) is not signalfd or selfpipe)
endif
ifeq ($(filter $(RESOLVER),gai stub),)
$(error RESOLVER=$(RESOLVER) is not gai or stub)
endif
flag01 = $(if $(filter $(1),$(2)),1,0)
PLATFORM_CFLAGS := -DSM_PLATFORM_LINUX=$(call flag01,linux,$(PLATFORM)) \
	-DSM_LIBC_GLIBC=$(call flag01,glibc,$(LIBC)) \
	-DSM_SIGNALS_SIGNALFD=$(call flag01,signalfd,$(SIGNALS)) \
	-DSM_RESOLVER_GAI=$(call flag01,gai,$(RESOLVER))
OTHER_PLATFORM_SRCS := $(foreach p,$(filter-out $(PLATFORM),$(PLATFORMS)),$(wildcard src/*/*-$(p).c)) \
	$(foreach c,$(filter-out $(LIBC),$(LIBCS)),$(wildcard src/*/*-$(c).c))
OPT_OUT_SRCS :=
OPT_OUT_TESTS :=
ifeq ($(WITH_CLOUDFLARE),0)
OPT_OUT_SRCS += src/store/store-cloudflare.c src/store/store-cloudflare-kind.c src/proto/cloudflare-reply.c
OPT_OUT_TESTS += tests/unit/test_store_cloudflare.c tests/fuzz/fuzz_cloudflare.c
endif
ifeq ($(WITH_UPNP),0)
OPT_OUT_TESTS += tests/unit/test_portmap_upnp.c tests/fuzz/fuzz_upnp_xml.c
endif
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
.PHONY: all deps check check-kernel unit demo bench fuzz install uninstall clean help \
	check-musl musl-objs print-musl-objs replay test-bins check-cross static deb
all: stunmesh

help:
	@echo "make            build ./stunmesh"
	@echo "make check      install test dependencies (as root), build, run every test"
	@echo "make check-kernel  run the kernel WireGuard tests in a qemu VM (as root)"
	@echo "make demo       run the two-site NAT lab demo (as root)"
	@echo "make bench      run the benchmarks, write bench/RESULTS.md (as root; BENCH_QUICK=1 for fewer runs)"
	@echo "                WITH_CLOUDFLARE=0 builds without the Cloudflare store (and libcurl)"
	@echo "                WITH_UPNP=0 without port mapping's UPnP part (and libminiupnpc)"
	@echo "make unit       build and run the unit tests only (plain and ASan/UBSan)"
	@echo "make fuzz       build the libFuzzer targets into build/fuzz/ (clang)"
	@echo "make check-musl every source compiles with musl-gcc (LIBC=musl); part of check"
	@echo "                PLATFORM=linux LIBC=glibc|musl pick the platform files (LIBC is"
	@echo "                asked of \$$(CC)); SIGNALS=signalfd|selfpipe, RESOLVER=gai|stub"
	@echo "make install    install to \$$(DESTDIR)\$$(PREFIX) (default /usr/local)"
	@echo "make check-cross  unit tests and fuzz corpora for armhf, arm64, mipsel, s390x under qemu-user (ARCH=... for some)"
	@echo "make static     a static musl binary in build/static/ (WITH_CLOUDFLARE=0 for the smaller one)"
	@echo "make deb        the Debian package in build/deb/"

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

# fuzz_upnp_xml: libminiupnpc's parsers compiled from Debian's source with the fuzzer's
# instrumentation when scripts/miniupnpc-src.sh has unpacked it, else the installed
# library (see the target's comment). The library's code keeps its own warnings (-w).
UPNPC_DIR := build/miniupnpc-src
UPNPC_HAVE := $(wildcard $(UPNPC_DIR)/minixml.c)
UPNPC_FUZZ_OBJS := $(if $(UPNPC_HAVE),$(addprefix build/fuzz/upnpc/,minixml.o igd_desc_parse.o \
	upnpreplyparse.o miniwget.o receivedata.o connecthostport.o portlistingparse.o))
UPNPC_DEFS := -D_DEFAULT_SOURCE -DMINIUPNPC_SET_SOCKET_TIMEOUT -DMINIUPNPC_GET_SRC_ADDR

build/fuzz/upnpc/%.o: $(UPNPC_DIR)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -w $(UPNPC_DEFS) -I$(UPNPC_DIR) \
		-I/usr/include/miniupnpc -c -o $@ $<

build/fuzz/fuzz_upnp_xml: tests/fuzz/fuzz_upnp_xml.c $(FUZZ_OBJS) $(UPNPC_FUZZ_OBJS) | build/fuzz
	$(FUZZ_CC) $(SM_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
		$(if $(UPNPC_HAVE),-DSM_MINIUPNPC_SRC $(UPNPC_DEFS) -I$(UPNPC_DIR) -I/usr/include/miniupnpc) \
		-o $@ $< $(UPNPC_FUZZ_OBJS) $(FUZZ_OBJS) $(PKG_LIBS)

# The fuzz targets as plain programs: tests/fuzz/replay.c feeds them the files named on
# the command line, so compilers without libFuzzer (gcc, the cross compilers) can replay
# the corpora, e.g. under qemu-user in `make check-cross`.
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/replay/%)

build/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIB_OBJS) | build/replay
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB_OBJS) $(PKG_LIBS)

build/test build/asan/test build/fuzz build/tools build/replay:
	mkdir -p $@

# `make check-musl` (scripts/check-musl.sh, also run by `make check`): every source a
# musl build takes compiles with musl-gcc against only the dependencies' headers, and
# needs nothing from the C library that musl lacks. The script calls the two targets
# below with CC=musl-gcc LIBC=musl and PKG_CFLAGS pointing at build/musl/include.
MUSL_OBJS := $(SRCS:src/%.c=build/musl/obj/%.o)

build/musl/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Werror $(DEPFLAGS) -c -o $@ $<

musl-objs: $(MUSL_OBJS)

print-musl-objs:
	@echo $(MUSL_OBJS)

check-musl:
	@sh scripts/check-musl.sh

unit: $(UNIT_BINS) $(ASAN_BINS)
	@sh tests/run.sh --unit-only

fuzz: $(FUZZ_BINS)

replay: $(REPLAY_BINS)

# What a cross build runs under qemu-user: the plain unit tests and the corpus replays.
test-bins: stunmesh $(UNIT_BINS) $(REPLAY_BINS)

# The unit tests and fuzz corpora built with Debian's cross compilers for armhf, arm64,
# mipsel and s390x (big-endian) into build/cross/ARCH/, run under qemu-user
# (scripts/cross.sh); ARCH="s390x armhf" picks some, the default is all four.
check-cross:
	@sh scripts/deps.sh cross
	@sh scripts/cross.sh $(ARCH)

# A statically linked musl binary, build/static/stunmesh (build/static/stunmesh-nocf
# with WITH_CLOUDFLARE=0), its libraries built once from Debian source packages into
# build/static-deps/ (scripts/static-deps.sh, scripts/static.sh).
static:
	@sh scripts/deps.sh static
	@WITH_CLOUDFLARE=$(WITH_CLOUDFLARE) sh scripts/static.sh

# The Debian package, from debian/ (dpkg-buildpackage), into build/deb/.
deb:
	@sh scripts/deps.sh deb
	@sh scripts/deb.sh

# check installs what it needs first (a fresh Debian 12 has none of it), then runs
# every unit test (plain and sanitized), each fuzz target over its corpus, and the
# integration tests. The last line is "N passed, N failed".
check:
	@sh scripts/deps.sh all
	@sh scripts/miniupnpc-src.sh >/dev/null 2>&1 || echo "miniupnpc's source not fetched: fuzz_upnp_xml uses the installed library"
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

# The systemd units name the installed binary; the example configuration goes with the
# docs (copy it to /etc/stunmesh/config.yaml).
install: stunmesh
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 stunmesh $(DESTDIR)$(SBINDIR)/stunmesh
	install -m 0644 docs/stunmesh.8 $(DESTDIR)$(MANDIR)/man8/stunmesh.8
	install -m 0644 README.md docs/configuration.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 packaging/config.yaml.example $(DESTDIR)$(DOCDIR)/examples/config.yaml
	for u in stunmesh.service stunmesh@.service; do \
		sed 's|/usr/sbin/stunmesh|$(SBINDIR)/stunmesh|g' packaging/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/stunmesh $(DESTDIR)$(MANDIR)/man8/stunmesh.8
	rm -f $(DESTDIR)$(UNITDIR)/stunmesh.service $(DESTDIR)$(UNITDIR)/stunmesh@.service
	rm -rf $(DESTDIR)$(DOCDIR)

-include $(shell find build/obj build/asan build/fuzz build/test build/tools build/replay build/musl/obj -type f -name "*.d" 2>/dev/null)

clean:
	rm -rf build stunmesh
