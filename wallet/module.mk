# wallet: the admin CLI and server, one binary, in three rooms. The include paths make the
# dependency direction a build rule: store/ sees only itself and common/; server/ sees the
# store; cmd/ sees both.
WALLET_STORE_SRCS := wallet/store/objstore.c wallet/store/objlist.c wallet/store/objwrite.c \
  wallet/store/keyring.c wallet/store/seal.c wallet/store/manifest.c wallet/store/export.c \
  wallet/store/client.c wallet/store/keyexpiry.c
WALLET_SERVER_SRCS := wallet/server/server.c wallet/server/httpreq.c wallet/server/audit.c \
  wallet/server/metrics.c wallet/server/config.c wallet/server/objcache.c \
  wallet/server/clientcache.c wallet/server/https.c wallet/server/log.c \
  wallet/server/certid.c wallet/server/tlsctx.c wallet/server/tlstune.c \
  wallet/server/sesscache.c
WALLET_SERVER_SRCS += wallet/server/mfcache.c
WALLET_CMD_SRCS := wallet/cmd/cli.c wallet/cmd/cmd_init.c wallet/cmd/cmd_importkey.c \
  wallet/cmd/cmd_store.c wallet/cmd/cmd_list.c wallet/cmd/cmd_rm.c wallet/cmd/cmd_keys.c \
  wallet/cmd/cmd_revoke.c wallet/cmd/cmd_removekey.c wallet/cmd/cmd_signing_key.c wallet/cmd/cmd_checkintegrity.c \
  wallet/cmd/cmd_serve.c wallet/cmd/cmd_refresh.c wallet/cmd/cmd_export.c \
  wallet/cmd/cmd_rotate_signing_key.c
WALLET_CORE_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(WALLET_STORE_SRCS) $(WALLET_SERVER_SRCS) \
  $(WALLET_CMD_SRCS))
WALLET_INC_STORE := -Iwallet/store
WALLET_INC_SERVER := $(WALLET_INC_STORE) -Iwallet/server
WALLET_INC_CMD := $(WALLET_INC_SERVER) -Iwallet/cmd

$(O)/obj/wallet/store/%.o: ALL_CFLAGS += $(WALLET_INC_STORE)
$(O)/obj/wallet/server/%.o: ALL_CFLAGS += $(WALLET_INC_SERVER)
$(O)/obj/wallet/cmd/%.o: ALL_CFLAGS += $(WALLET_INC_CMD)

# The libssl shim (docs/DESIGN.md, platform notes): SONAME libssl.so, so that civetweb's
# dlopen("libssl.so") returns it; installed in a private directory reached through RUNPATH.
SSLSHIM := $(O)/lib/containerwallet/libssl.so
$(SSLSHIM): $(O)/obj/wallet/server/sslshim/sslshim.o
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -Wl,-soname,libssl.so -o $@ $< -Wl,--no-as-needed -l:libssl.so.3 -l:libcrypto.so.3

# Same for civetweb's dlopen("libcrypto.so") (only libssl-dev ships that name).
CRYPTOSHIM := $(O)/lib/containerwallet/libcrypto.so
$(CRYPTOSHIM): $(O)/obj/wallet/server/sslshim/cryptoshim.o
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -Wl,-soname,libcrypto.so -o $@ $< -Wl,--no-as-needed -l:libcrypto.so.3
SHIMS := $(SSLSHIM) $(CRYPTOSHIM)

$(O)/lib/libwalletcore.a: $(WALLET_CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/wallet: $(O)/obj/wallet/cmd/main.o $(O)/lib/libwalletcore.a $(O)/lib/libcwcommon.a $(SHIMS)
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib/containerwallet' -o $@ \
	  $(O)/obj/wallet/cmd/main.o $(O)/lib/libwalletcore.a $(O)/lib/libcwcommon.a \
	  -Wl,--no-as-needed $(SHIMS) -Wl,--as-needed \
	  $(GPGME_LIBS) $(CJSON_LIBS) $(CIVETWEB_LIBS) $(OPENSSL_LIBS) -lpthread

BINS += $(O)/bin/wallet
LIBS_BUILT += $(SHIMS)
UNIT_LINK += $(O)/lib/libwalletcore.a
UNIT_INC += $(WALLET_INC_CMD)
MANPAGES += wallet/wallet.1

INSTALL_FILES += 0755,$(O)/bin/wallet,$(BINDIR)/wallet \
  0644,$(SSLSHIM),$(PRIVLIBDIR)/libssl.so \
  0644,$(CRYPTOSHIM),$(PRIVLIBDIR)/libcrypto.so \
  0644,$(O)/man/wallet.1,$(MANDIR)/man1/wallet.1
