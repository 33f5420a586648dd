# common/: what two or more programs use. Every program links libcwcommon.a last.
COMMON_SRCS := common/status.c common/name.c common/secmem.c common/fsutil.c common/cliout.c \
  common/strv.c common/gpgutil.c common/cmdtab.c
COMMON_SRCS += common/etag.c common/ecdecode.c
COMMON_OBJS := $(COMMON_SRCS:%.c=$(O)/obj/%.o)

$(O)/lib/libcwcommon.a: $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

LIBS_BUILT += $(O)/lib/libcwcommon.a
