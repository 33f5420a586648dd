# Watchers: propagation of a new version and the server's CPU for polling watchers;
# figures in docs/BENCHMARKS.md.
WATCHERS_BIN := $(O)/bin/cw-watchers

$(WATCHERS_BIN): $(O)/obj/bench/watchers.o
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $< $(CURL_LIBS)

BINS += $(WATCHERS_BIN)

bench-watch: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/watch-bench.sh

BENCH_TARGETS += bench-watch
.PHONY: bench-watch
