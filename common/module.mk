COMMON_SRCS := common/status.c common/name.c common/secmem.c common/log.c common/fsutil.c common/cliout.c common/strv.c \
  $(filter-out common/sslshim/%,$(wildcard common/gpgutil.c common/https.c common/b64.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(O)/obj/%.o)

$(O)/lib/libcwcommon.a: $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

LIBS_BUILT += $(O)/lib/libcwcommon.a

