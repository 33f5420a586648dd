# bench/: the server benchmark and its mutual-TLS load generator. Not part of
# `make check`: `make bench` builds what it needs and runs every benchmark in BENCH_TARGETS
# (a few minutes, loopback only). docs/BENCHMARKS.md records the figures.
LOADGEN := $(O)/bin/cw-loadgen
BENCH_CIVETWEB := $(O)/bin/cw-bench-civetweb

$(LOADGEN): $(O)/obj/bench/loadgen.o
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $< $(OPENSSL_LIBS) $(CJSON_LIBS) -lpthread -lm

# The plain-civetweb baseline needs the libssl shim that wallet/module.mk builds.
$(BENCH_CIVETWEB): $(O)/obj/bench/civetweb-mtls.o $(SSLSHIM)
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib/containerwallet' -o $@ $< \
	  -Wl,--no-as-needed $(SSLSHIM) -Wl,--as-needed $(CIVETWEB_LIBS) -lpthread

# Starts a fleet of processes at one instant and times their execs (bench/fleet-bench.sh).
FLEET := $(O)/bin/cw-fleet
$(FLEET): $(O)/obj/bench/fleet.o
	@mkdir -p $(@D)
	$(CC) $(EXE_LDFLAGS) -o $@ $<

BENCH_BINS := $(LOADGEN) $(BENCH_CIVETWEB) $(FLEET)
BINS += $(BENCH_BINS)

# wallet serve vs nginx (prototype configuration) vs plain civetweb.
bench-server: $(BINS) $(LIBS_BUILT)
	@scripts/deps.sh bench
	@O=$(O) bench/server-bench.sh

# Other benchmarks add their target to BENCH_TARGETS in their own bench/*.mk fragment.
BENCH_TARGETS := bench-server
include bench/entry.mk
include bench/manifest.mk
include bench/watch.mk
include bench/fleet.mk
include bench/memory.mk
# Every benchmark, then their figures (docs/bench/*.png, from the tables in $(O)/bench/).
bench: $(BENCH_TARGETS)
	@O=$(O) bench/plot.sh
bench-plot:
	@scripts/deps.sh bench
	@O=$(O) bench/plot.sh
.PHONY: bench-server bench-plot
