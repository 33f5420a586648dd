# containerwallet — top-level Makefile.
# Each directory adds its own rules in module.mk; this file holds the flags, the shared
# pattern rules and the user-facing targets (see `make help`).

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
PRIVLIBDIR = $(LIBDIR)/containerwallet

# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/.
SAN ?= 0
ifeq ($(SAN),1)
O ?= build-asan
else
O ?= build
endif

CC      ?= cc
PKG_CONFIG ?= pkg-config

OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wvla -Wstrict-prototypes \
            -Wmissing-prototypes -Wnull-dereference -Wimplicit-fallthrough
HARDEN   := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIC
HARDEN_LD := -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
ifeq ($(SAN),1)
OPT      := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else
HARDEN   += -D_FORTIFY_SOURCE=2
SANFLAGS :=
endif

# Flags from pkg-config where the package ships a .pc file; Debian's mbedtls 2.28 and
# civetweb 1.15 ship none. Recursive variables, so pkg-config runs only when a rule needs
# them (after `make deps`).
GPGME_CFLAGS   = $(shell $(PKG_CONFIG) --cflags gpgme)
GPGME_LIBS     = $(shell $(PKG_CONFIG) --libs gpgme)
CURL_CFLAGS    = $(shell $(PKG_CONFIG) --cflags libcurl)
CURL_LIBS      = $(shell $(PKG_CONFIG) --libs libcurl)
CJSON_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libcjson)
CJSON_LIBS     = $(shell $(PKG_CONFIG) --libs libcjson)
OPENSSL_CFLAGS = $(shell $(PKG_CONFIG) --cflags openssl)
OPENSSL_LIBS   = $(shell $(PKG_CONFIG) --libs openssl)
RNP_CFLAGS     = $(shell $(PKG_CONFIG) --cflags librnp)
RNP_LIBS       = $(shell $(PKG_CONFIG) --libs librnp)
CMOCKA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS    = $(shell $(PKG_CONFIG) --libs cmocka)
MBEDTLS_LIBS   = -lmbedx509 -lmbedtls -lmbedcrypto
CIVETWEB_LIBS  = -lcivetweb

DEP_CFLAGS = $(GPGME_CFLAGS) $(RNP_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(OPENSSL_CFLAGS)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fvisibility=hidden \
             $(WARN) $(HARDEN) $(OPT) $(SANFLAGS) -Icommon -I$(O)/gen $(DEP_CFLAGS) $(CFLAGS)
EXE_LDFLAGS = -pie $(HARDEN_LD) $(SANFLAGS) $(LDFLAGS)
SO_LDFLAGS  = -shared $(HARDEN_LD) $(SANFLAGS) $(LDFLAGS)

# One version for the whole project, from the file VERSION: the programs' --version
# (cw_version.h), the public header's version macros, walletclient.pc and every man page.
CW_VERSION := $(shell cat VERSION)

# Filled in by the module.mk files. INSTALL_FILES holds MODE,SOURCE,DEST entries (DEST under
# DESTDIR; MODE "link" makes DEST a symbolic link to SOURCE): install and uninstall both read it.
BINS :=
LIBS_BUILT :=
UNIT_TESTS :=
UNIT_LINK :=
UNIT_INC :=
MANPAGES :=
GEN_BUILT :=
INSTALL_FILES :=

all: build

include common/module.mk
include keygen/module.mk
include wallet/module.mk
include client/module.mk
include spec/module.mk
include bench/module.mk
include spec/fuzz/fuzz.mk

# Static libraries link dependents first: common comes last.
UNIT_LINK += $(O)/lib/libcwcommon.a

# Man pages: MANPAGES lists the sources, whose .TH line says "containerwallet @VERSION@";
# the copies in $(O)/man/ say the version and are the ones installed and tested.
MAN_BUILT := $(addprefix $(O)/man/,$(notdir $(MANPAGES)))
GEN_BUILT += $(MAN_BUILT)
define man_rule
$(O)/man/$(notdir $(1)): $(1) VERSION
	@mkdir -p $$(@D)
	@grep -q '^\.TH .*"containerwallet @VERSION@"' $(1) || \
	  { echo '$(1): the .TH line must say "containerwallet @VERSION@"' >&2; exit 1; }
	sed 's/@VERSION@/$$(CW_VERSION)/g' $(1) >$$@
endef
$(foreach m,$(MANPAGES),$(eval $(call man_rule,$(m))))

build: $(BINS) $(LIBS_BUILT) $(GEN_BUILT)

# cw_version.h (CW_VERSION) is rewritten only when the version changes, so that a build does
# not redo everything.
$(O)/gen/cw_version.h: VERSION
	@mkdir -p $(@D)
	@printf '/* Generated from VERSION by the Makefile. */\n#define CW_VERSION "%s"\n' "$(CW_VERSION)" >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# Every object waits for the generated headers (order-only: the .d files track real use).
$(O)/obj/%.o: %.c | $(O)/gen/cw_version.h $(O)/include/walletclient.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Every unit test links the internal libraries of all modules and every external library;
# --as-needed drops what a test does not use.
EXT_LIBS = $(GPGME_LIBS) $(RNP_LIBS) $(CURL_LIBS) $(CJSON_LIBS) $(OPENSSL_LIBS) $(MBEDTLS_LIBS) $(CIVETWEB_LIBS) -lpthread
# The libssl and libcrypto shims go into every test too (civetweb's dlopen must find it already loaded).
$(O)/test/%: $(O)/obj/spec/unit/%.o $(UNIT_LINK) $(SHIMS)
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib/containerwallet' -o $@ $< $(UNIT_LINK) \
	  -Wl,--no-as-needed $(SHIMS) -Wl,--as-needed $(CMOCKA_LIBS) $(EXT_LIBS)

$(O)/obj/spec/unit/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -Wno-missing-prototypes $(UNIT_INC)

.SECONDARY:

FORCE:
.PHONY: FORCE all build deps check check-asan check-docker unit system demo docker-demo install \
        uninstall clean format format-check lint help bench

deps:
	@scripts/deps.sh

# The one test command: dependencies, build, every suite, one summary line.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$(JOBS) build tests O=$(O) SAN=$(SAN)
	@O=$(O) spec/run

check-asan:
	@$(MAKE) --no-print-directory check SAN=1 O=build-asan

check-docker:
	@scripts/deps.sh docker
	@$(MAKE) --no-print-directory -j$(JOBS) build O=$(O)
	@O=$(O) spec/run docker

tests: $(UNIT_TESTS)

demo:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$(JOBS) build O=$(O)
	@O=$(O) scripts/demo.sh

docker-demo:
	@scripts/deps.sh docker
	@scripts/docker-demo.sh

# $(call install_files,LIST): installs each MODE,SOURCE,DEST entry of LIST.
install_files = @set -e; for f in $(1); do \
	  mode=$${f%%,*}; rest=$${f\#*,}; src=$${rest%%,*}; dest=$(DESTDIR)$${rest\#*,}; \
	  install -d "$$(dirname "$$dest")"; \
	  if [ "$$mode" = link ]; then ln -sfn "$$src" "$$dest"; else install -m "$$mode" "$$src" "$$dest"; fi; \
	  echo "installed $$dest"; \
	done

install: build $(O)/install/walletclient.pc
	$(call install_files,$(INSTALL_FILES))

# Removes exactly what install puts in place (same PREFIX/DESTDIR), then the private directory.
uninstall:
	@for f in $(INSTALL_FILES); do rm -f "$(DESTDIR)$${f##*,}"; done
	-@rmdir $(DESTDIR)$(PRIVLIBDIR) 2>/dev/null || true

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@scripts/deps.sh lint
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') && echo "format-check: clean"

lint:
	@scripts/deps.sh lint
	cppcheck --error-exitcode=1 --enable=warning,portability,performance --inline-suppr \
	  --suppress=missingIncludeSystem -q -Icommon $$(git ls-files '*.c') && echo "lint: cppcheck clean"

clean:
	rm -rf build build-asan build-fuzz

help:
	@echo "make deps | make | make check | make check-asan | make check-docker | make demo | make docker-demo"
	@echo "make install [PREFIX=/usr/local] [DESTDIR=] | make clean | make format | make lint | make bench"
	@echo "make fuzz [FUZZ_SECONDS=30] | make fuzz-smoke"

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
