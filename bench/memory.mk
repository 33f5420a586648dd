# wallet serve's resident memory with 100,000 objects, after it signed their manifests;
# figures in docs/BENCHMARKS.md ("Memory with 100,000 objects").
bench-memory: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/serve-memory.sh

BENCH_TARGETS += bench-memory
.PHONY: bench-memory
