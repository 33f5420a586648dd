# wallet-keygen: one program, one cmd_NAME.c per command; all but main.c go into
# libkeygencore.a for unit tests.
KEYGEN_CORE_SRCS := keygen/args.c keygen/cli.c keygen/cmd_ca.c keygen/cmd_client.c \
  keygen/cmd_gpg.c keygen/cmd_init.c keygen/cmd_server.c keygen/gpgkey.c keygen/leaf.c \
  keygen/material.c keygen/outfiles.c keygen/san.c keygen/x509.c keygen/cmd_renew.c \
  keygen/cmd_sign.c keygen/reissue.c
KEYGEN_CORE_OBJS := $(KEYGEN_CORE_SRCS:%.c=$(O)/obj/%.o)

$(O)/obj/keygen/%.o: ALL_CFLAGS += -Ikeygen

$(O)/lib/libkeygencore.a: $(KEYGEN_CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/wallet-keygen: $(O)/obj/keygen/main.o $(O)/lib/libkeygencore.a $(O)/lib/libcwcommon.a
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $^ $(MBEDTLS_LIBS) $(GPGME_LIBS) $(CJSON_LIBS) -lpthread

BINS += $(O)/bin/wallet-keygen
UNIT_LINK += $(O)/lib/libkeygencore.a

MANPAGES += keygen/wallet-keygen.1

INSTALL_FILES += 0755,$(O)/bin/wallet-keygen,$(BINDIR)/wallet-keygen \
  0644,$(O)/man/wallet-keygen.1,$(MANDIR)/man1/wallet-keygen.1
