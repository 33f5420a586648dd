# Every spec/unit/test_*.c is one cmocka suite.
UNIT_TESTS := $(patsubst spec/unit/%.c,$(O)/test/%,$(wildcard spec/unit/test_*.c))
$(O)/obj/spec/unit/test_vectors.o: ALL_CFLAGS += $(patsubst %/wc_internal.h,-I%,$(wildcard client/wc_internal.h client/*/wc_internal.h))
