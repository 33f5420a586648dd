# wallet-entry vs the prototype's entrypoint; figures in docs/bench-entry.md.
bench-entry: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/entry-bench.sh

BENCH_TARGETS += bench-entry
.PHONY: bench-entry
