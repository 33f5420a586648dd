# client/: libwalletclient (lib/, with the OpenPGP engines in lib/openpgp/; never prints nor
# exits), its public header (include/walletclient.h.in, made into $(O)/include/walletclient.h
# with the status list of common/status.def and the version of VERSION), and the wallet-entry
# program (entry/), which uses only the public API. wallet-entry links the library statically (a fast start matters for an
# ENTRYPOINT). libclientcore.a holds the library and the program but its main, for unit tests.
CLIENT_LIB_SRCS := client/lib/client.c client/lib/config.c client/lib/http.c client/lib/httpmsg.c \
  client/lib/conn.c client/lib/keys.c client/lib/batch.c client/lib/manifest.c client/lib/openpgp/open.c client/lib/openpgp/gnupg.c \
  client/lib/openpgp/rnp.c client/lib/openpgp/rnpload.c
CLIENT_LIB_SRCS += client/lib/watch.c
CLIENT_LIB_OBJS := $(CLIENT_LIB_SRCS:%.c=$(O)/obj/%.o)
ENTRY_CORE_SRCS := client/entry/run.c client/entry/dest.c client/entry/options.c
# the spec file (--spec) and the JSON reader under it, env-json and the templates
ENTRY_CORE_SRCS += client/entry/specfile.c client/entry/json.c
# --template: the options of a run (templates.c) and the template language (template.c)
ENTRY_CORE_SRCS += client/entry/template.c client/entry/templates.c
ENTRY_CORE_SRCS += client/entry/watch.c
ENTRY_CORE_OBJS := $(ENTRY_CORE_SRCS:%.c=$(O)/obj/%.o)
CLIENT_SONAME := libwalletclient.so.1
CLIENT_EXT_LIBS = $(GPGME_LIBS) $(CJSON_LIBS) $(OPENSSL_LIBS) -lpthread
CLIENT_PUBLIC_H := $(O)/include/walletclient.h
CLIENT_INC_LIB := -I$(O)/include -Iclient/lib -Iclient/lib/openpgp
CLIENT_INC_ENTRY := -I$(O)/include -Iclient/entry

# The public header must stand alone once installed: the status enum and the version macros
# are written into it here, not included from common/.
$(CLIENT_PUBLIC_H): client/include/walletclient.h.in client/include/walletclient.awk \
  common/status.def VERSION
	@mkdir -p $(@D)
	awk -v version='$(CW_VERSION)' -f client/include/walletclient.awk common/status.def $< >$@.tmp
	@mv $@.tmp $@

$(O)/obj/client/lib/%.o: ALL_CFLAGS += $(CLIENT_INC_LIB) -DWALLET_BUILDING_LIBRARY
$(O)/obj/client/entry/%.o: ALL_CFLAGS += $(CLIENT_INC_ENTRY)

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

$(O)/bin/wallet-entry: $(O)/obj/client/entry/main.o $(O)/lib/libclientcore.a $(O)/lib/libcwcommon.a
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $^ $(CLIENT_EXT_LIBS)

# pkg-config file for given install locations. The build's copy uses the build's PREFIX;
# install writes one for its own PREFIX (a stale copy would break pkg-config users).
CLIENT_PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
  -e 's|@VERSION@|$(CW_VERSION)|g' client/lib/walletclient.pc.in
$(O)/lib/pkgconfig/walletclient.pc: client/lib/walletclient.pc.in VERSION
	@mkdir -p $(@D)
	$(CLIENT_PC_SED) > $@
$(O)/install/walletclient.pc: FORCE
	@mkdir -p $(@D)
	$(CLIENT_PC_SED) > $@

BINS += $(O)/bin/wallet-entry
LIBS_BUILT += $(O)/lib/$(CLIENT_SONAME) $(O)/lib/libwalletclient.so $(O)/lib/libwalletclient.a \
  $(O)/lib/pkgconfig/walletclient.pc
UNIT_LINK += $(O)/lib/libclientcore.a
UNIT_INC := -I$(O)/include $(UNIT_INC) $(CLIENT_INC_LIB) $(CLIENT_INC_ENTRY)
MANPAGES += client/entry/wallet-entry.1 client/lib/walletclient.3
GEN_BUILT += $(CLIENT_PUBLIC_H)

CLIENT_INSTALL_FILES := 0755,$(O)/bin/wallet-entry,$(BINDIR)/wallet-entry \
  0755,$(O)/lib/$(CLIENT_SONAME),$(LIBDIR)/$(CLIENT_SONAME) \
  link,$(CLIENT_SONAME),$(LIBDIR)/libwalletclient.so \
  0644,$(O)/lib/libwalletclient.a,$(LIBDIR)/libwalletclient.a \
  0644,$(O)/install/walletclient.pc,$(LIBDIR)/pkgconfig/walletclient.pc \
  0644,$(CLIENT_PUBLIC_H),$(INCDIR)/walletclient.h \
  0644,$(O)/man/wallet-entry.1,$(MANDIR)/man1/wallet-entry.1 \
  0644,$(O)/man/walletclient.3,$(MANDIR)/man3/walletclient.3
INSTALL_FILES += $(CLIENT_INSTALL_FILES)

# Only the client's part (what an application image needs).
install-client: $(O)/bin/wallet-entry $(O)/lib/$(CLIENT_SONAME) $(O)/lib/libwalletclient.a \
  $(O)/install/walletclient.pc $(CLIENT_PUBLIC_H) $(O)/man/wallet-entry.1 $(O)/man/walletclient.3
	$(call install_files,$(CLIENT_INSTALL_FILES))
.PHONY: install-client
