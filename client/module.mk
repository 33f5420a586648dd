# libwalletclient (shared and static) and wallet-entry.
# Library: every client/*.c but entry_*.c. wallet-entry: client/entry_*.c, linked statically
# with the library (a fast start matters for an ENTRYPOINT). libclientcore.a holds both but
# entry_main.o, for unit tests.
CLIENT_LIB_SRCS := $(filter-out client/entry_%,$(wildcard client/*.c))
CLIENT_LIB_OBJS := $(CLIENT_LIB_SRCS:%.c=$(O)/obj/%.o)
ENTRY_SRCS := $(wildcard client/entry_*.c)
ENTRY_OBJS := $(ENTRY_SRCS:%.c=$(O)/obj/%.o)
ENTRY_CORE_OBJS := $(filter-out $(O)/obj/client/entry_main.o,$(ENTRY_OBJS))
CLIENT_SONAME := libwalletclient.so.1
CLIENT_EXT_LIBS = $(CURL_LIBS) $(GPGME_LIBS) $(RNP_LIBS) $(CJSON_LIBS) $(OPENSSL_LIBS) -lpthread

$(O)/obj/client/%.o: ALL_CFLAGS += -Iclient -DWALLET_BUILDING_LIBRARY
$(O)/obj/spec/unit/test_client%.o: ALL_CFLAGS += -Iclient
$(O)/obj/spec/unit/test_entry%.o: ALL_CFLAGS += -Iclient

$(O)/lib/$(CLIENT_SONAME): $(CLIENT_LIB_OBJS) $(O)/lib/libcwcommon.a
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -Wl,-soname,$(CLIENT_SONAME) -Wl,--no-undefined -o $@ \
	  $(CLIENT_LIB_OBJS) $(O)/lib/libcwcommon.a $(CLIENT_EXT_LIBS)

$(O)/lib/libwalletclient.so: $(O)/lib/$(CLIENT_SONAME)
	ln -sf $(CLIENT_SONAME) $@

# The installable static library carries the common objects it needs.
$(O)/lib/libwalletclient.a: $(CLIENT_LIB_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/lib/libclientcore.a: $(CLIENT_LIB_OBJS) $(ENTRY_CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/wallet-entry: $(O)/obj/client/entry_main.o $(O)/lib/libclientcore.a $(O)/lib/libcwcommon.a
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $^ $(CLIENT_EXT_LIBS)

# pkg-config file for the install locations (PREFIX, LIBDIR, INCDIR as given to make).
# install-client writes it afresh, so that another PREFIX than the build's is never stale.
CLIENT_PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
  -e "s|@VERSION@|$$(sed -n 's/^\#define WALLET_CLIENT_VERSION_STRING "\(.*\)"/\1/p' client/walletclient.h)|g" \
  client/walletclient.pc.in
$(O)/lib/pkgconfig/walletclient.pc: client/walletclient.pc.in client/walletclient.h
	@mkdir -p $(@D)
	$(CLIENT_PC_SED) > $@

ifneq ($(wildcard client/entry_main.c),)
BINS += $(O)/bin/wallet-entry
endif
LIBS_BUILT += $(O)/lib/$(CLIENT_SONAME) $(O)/lib/libwalletclient.so $(O)/lib/libwalletclient.a \
  $(O)/lib/pkgconfig/walletclient.pc
UNIT_LINK += $(O)/lib/libclientcore.a
MANPAGES += client/wallet-entry.1

install-client: $(O)/bin/wallet-entry $(O)/lib/$(CLIENT_SONAME) $(O)/lib/libwalletclient.a \
  $(O)/lib/pkgconfig/walletclient.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(O)/bin/wallet-entry $(DESTDIR)$(BINDIR)/wallet-entry
	install -m 0755 $(O)/lib/$(CLIENT_SONAME) $(DESTDIR)$(LIBDIR)/$(CLIENT_SONAME)
	ln -sf $(CLIENT_SONAME) $(DESTDIR)$(LIBDIR)/libwalletclient.so
	install -m 0644 $(O)/lib/libwalletclient.a $(DESTDIR)$(LIBDIR)/libwalletclient.a
	$(CLIENT_PC_SED) > $(DESTDIR)$(LIBDIR)/pkgconfig/walletclient.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/walletclient.pc
	install -m 0644 client/walletclient.h $(DESTDIR)$(INCDIR)/walletclient.h
	install -m 0644 client/wallet-entry.1 $(DESTDIR)$(MANDIR)/man1/wallet-entry.1
INSTALL_TARGETS += install-client
.PHONY: install-client
