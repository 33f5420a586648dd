# Every spec/unit/test_*.c is one cmocka suite.
UNIT_TESTS := $(patsubst spec/unit/%.c,$(O)/test/%,$(wildcard spec/unit/test_*.c))
