# What the manifest step costs: wallet-entry with and without it; figures in
# docs/BENCHMARKS.md.
bench-manifest: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/manifest-bench.sh

BENCH_TARGETS += bench-manifest
.PHONY: bench-manifest
