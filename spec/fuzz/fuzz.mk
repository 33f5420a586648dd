# spec/fuzz/: libFuzzer targets for every parser that takes outside input (README.md here).
# They are built with clang into $(FUZZ_O), apart from the normal build, and are not tests:
#   make fuzz [FUZZ_SECONDS=30] [FUZZ_TARGETS="name httpreq"]   each target for that long
#   make fuzz-smoke                                              each target for 3 s
# The project's sources they need are compiled again with the fuzzer's instrumentation into
# one archive; each target links from it only what its parser uses.

FUZZ_O       := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= name httpreq httpresp serve_config entry_spec meta manifest keygen_args keygen_san \
  template entry_json keygen_csr entry_specfile entry_envjson client certid etag

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
               -fno-omit-frame-pointer $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
               -Icommon -I$(FUZZ_O)/gen $(DEP_CFLAGS)
FUZZ_GEN    := $(FUZZ_O)/gen/cw_version.h $(FUZZ_O)/include/walletclient.h

FUZZ_DEP_SRCS := $(COMMON_SRCS) $(WALLET_STORE_SRCS) wallet/server/httpreq.c \
  wallet/server/config.c wallet/server/certid.c \
  $(CLIENT_LIB_SRCS) client/entry/dest.c client/entry/run.c keygen/args.c keygen/san.c \
  client/entry/options.c client/entry/specfile.c client/entry/json.c client/entry/template.c \
  client/entry/templates.c client/entry/watch.c \
  keygen/reissue.c keygen/x509.c
FUZZ_DEP_OBJS := $(FUZZ_DEP_SRCS:%.c=$(FUZZ_O)/fobj/%.o)
FUZZ_BINS     := $(addprefix $(FUZZ_O)/bin/fuzz_,$(FUZZ_TARGETS))

# The include paths of each room, as in its module.mk; the targets see every room but cmd/.
$(FUZZ_O)/fobj/wallet/store/%.o: FUZZ_INC := -Iwallet/store
$(FUZZ_O)/fobj/wallet/server/%.o: FUZZ_INC := -Iwallet/store -Iwallet/server
$(FUZZ_O)/fobj/client/lib/%.o: FUZZ_INC := -I$(FUZZ_O)/include -Iclient/lib \
  -Iclient/lib/openpgp -DWALLET_BUILDING_LIBRARY
$(FUZZ_O)/fobj/client/entry/%.o: FUZZ_INC := -I$(FUZZ_O)/include -Iclient/entry
$(FUZZ_O)/fobj/keygen/%.o: FUZZ_INC := -Ikeygen
$(FUZZ_O)/fobj/spec/fuzz/%.o: FUZZ_INC := -Iwallet/store -Iwallet/server -I$(FUZZ_O)/include \
  -Iclient/lib -Iclient/lib/openpgp -Iclient/entry -Ikeygen -Ispec/fuzz

# The generated headers come from the Makefile's own rules, run for O=$(FUZZ_O).
ifneq ($(O),$(FUZZ_O))
$(FUZZ_GEN): FORCE
	@$(MAKE) --no-print-directory -s O=$(FUZZ_O) $@
endif

$(FUZZ_O)/fobj/%.o: %.c | $(FUZZ_GEN)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -MMD -MP -c -o $@ $<

$(FUZZ_O)/lib/libfuzzdeps.a: $(FUZZ_DEP_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcsP $@ $^ # P: members by path (client/lib/watch.o, client/entry/watch.o)

$(FUZZ_O)/bin/fuzz_%: $(FUZZ_O)/fobj/spec/fuzz/fuzz_%.o $(FUZZ_O)/lib/libfuzzdeps.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -Wl,--as-needed $(EXT_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz:
	@scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-build
	@spec/fuzz/run.sh $(FUZZ_O) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke:
	@scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-build
	@spec/fuzz/run.sh $(FUZZ_O) 3 $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build fuzz-smoke

-include $(shell find $(FUZZ_O)/fobj -name '*.d' 2>/dev/null)
