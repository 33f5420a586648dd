# A rolling deploy in miniature: 200 entrypoints started at once, the prototype's against
# nginx, wallet-entry against one wallet serve and against 3 replicas; docs/BENCHMARKS.md.
bench-fleet: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/fleet-bench.sh

BENCH_TARGETS += bench-fleet
.PHONY: bench-fleet
