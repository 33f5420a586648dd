# wallet-keygen: every keygen/*.c but main.c goes into libkeygencore.a for unit tests.
KEYGEN_SRCS := $(wildcard keygen/*.c)
KEYGEN_OBJS := $(KEYGEN_SRCS:%.c=$(O)/obj/%.o)
KEYGEN_CORE_OBJS := $(filter-out $(O)/obj/keygen/main.o,$(KEYGEN_OBJS))

$(O)/lib/libkeygencore.a: $(KEYGEN_CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/wallet-keygen: $(O)/obj/keygen/main.o $(O)/lib/libkeygencore.a $(O)/lib/libcwcommon.a
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $^ $(MBEDTLS_LIBS) $(GPGME_LIBS) $(CJSON_LIBS) -lpthread

ifneq ($(wildcard keygen/main.c),)
BINS += $(O)/bin/wallet-keygen
UNIT_LINK += $(O)/lib/libkeygencore.a
endif

install-keygen: $(O)/bin/wallet-keygen
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(O)/bin/wallet-keygen $(DESTDIR)$(BINDIR)/wallet-keygen
	install -m 0644 keygen/wallet-keygen.1 $(DESTDIR)$(MANDIR)/man1/wallet-keygen.1
INSTALL_TARGETS += install-keygen
.PHONY: install-keygen
