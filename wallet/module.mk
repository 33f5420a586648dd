# wallet: the admin CLI and server, one binary. Every wallet/*.c but main.c goes into
# libwalletcore.a so that unit tests can link it.
WALLET_SRCS := $(wildcard wallet/*.c)
WALLET_OBJS := $(WALLET_SRCS:%.c=$(O)/obj/%.o)
WALLET_CORE_OBJS := $(filter-out $(O)/obj/wallet/main.o,$(WALLET_OBJS))

# The libssl shim (docs/DESIGN.md, "Platform notes"): SONAME libssl.so, so that civetweb's
# dlopen("libssl.so") returns it; installed in a private directory reached through RUNPATH.
SSLSHIM := $(O)/lib/containerwallet/libssl.so
$(SSLSHIM): $(O)/obj/common/sslshim/sslshim.o
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -Wl,-soname,libssl.so -o $@ $< -Wl,--no-as-needed -l:libssl.so.3 -l:libcrypto.so.3

# Same for civetweb's dlopen("libcrypto.so") (only libssl-dev ships that name).
CRYPTOSHIM := $(O)/lib/containerwallet/libcrypto.so
$(CRYPTOSHIM): $(O)/obj/common/sslshim/cryptoshim.o
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -Wl,-soname,libcrypto.so -o $@ $< -Wl,--no-as-needed -l:libcrypto.so.3
SHIMS := $(SSLSHIM) $(CRYPTOSHIM)

$(O)/lib/libwalletcore.a: $(WALLET_CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/wallet: $(O)/obj/wallet/main.o $(O)/lib/libwalletcore.a $(O)/lib/libcwcommon.a $(SHIMS)
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib/containerwallet' -o $@ \
	  $(O)/obj/wallet/main.o $(O)/lib/libwalletcore.a $(O)/lib/libcwcommon.a \
	  -Wl,--no-as-needed $(SHIMS) -Wl,--as-needed \
	  $(GPGME_LIBS) $(CJSON_LIBS) $(CIVETWEB_LIBS) $(OPENSSL_LIBS) -lpthread

ifneq ($(wildcard wallet/main.c),)
BINS += $(O)/bin/wallet
UNIT_LINK += $(O)/lib/libwalletcore.a
endif
ifneq ($(wildcard common/sslshim/sslshim.c),)
LIBS_BUILT += $(SHIMS)
endif
MANPAGES += wallet/wallet.1

install-wallet: $(O)/bin/wallet $(SHIMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PRIVLIBDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(O)/bin/wallet $(DESTDIR)$(BINDIR)/wallet
	install -m 0644 $(SSLSHIM) $(DESTDIR)$(PRIVLIBDIR)/libssl.so
	install -m 0644 $(CRYPTOSHIM) $(DESTDIR)$(PRIVLIBDIR)/libcrypto.so
	install -m 0644 wallet/wallet.1 $(DESTDIR)$(MANDIR)/man1/wallet.1
INSTALL_TARGETS += install-wallet
.PHONY: install-wallet
