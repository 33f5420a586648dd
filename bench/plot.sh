#!/bin/bash
# Draws the benchmarks' figures (gnuplot) from the tables they leave in $O/bench/ into
# docs/bench/*.png, next to the tables of docs/BENCHMARKS.md and docs/bench-entry.md. A table
# that is missing (its benchmark did not run) leaves its figure as it was.
# Usage: O=build bench/plot.sh [OUTDIR]   (make bench runs it last)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
case "$O" in /*) B=$O/bench ;; *) B=$ROOT/$O/bench ;; esac
DOCS=${1:-$ROOT/docs/bench}
command -v gnuplot >/dev/null || { echo "plot: gnuplot is not installed (scripts/deps.sh bench)" >&2; exit 1; }
mkdir -p "$DOCS"
TMP=$(mktemp -d /tmp/cwplot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
STYLE='set terminal pngcairo size 900,480 font "sans,11"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key below
set yrange [0:*]'

# wallet-entry against the prototype: wall and CPU medians, 1 and 10 secrets
if [ -s "$B/entry.tsv" ]; then
	awk -F'\t' 'NR > 1 && $2 == 1 {print $1, $3, $4}' "$B/entry.tsv" >"$TMP/e1"
	awk -F'\t' 'NR > 1 && $2 == 10 {print $1, $3, $4}' "$B/entry.tsv" >"$TMP/e10"
	join "$TMP/e1" "$TMP/e10" | sed -e 's/^proto /prototype /' -e 's/^entry /wallet-entry /' \
		-e 's/^entry_sk /--signer-key /' -e 's/^entry_gnupg /--openpgp_gnupg /' \
		-e 's/^before /before /' >"$TMP/entry.dat"
	gnuplot <<-EOF
	$STYLE
	set output "$DOCS/entry.png"
	set title "Start to exec of PROGRAM, median (ms; lower is better)"
	set ylabel "ms"
	set xtics noenhanced
	plot "$TMP/entry.dat" using 2:xtic(1) title "1 secret, wall", \
	     "" using 3 title "1 secret, CPU", \
	     "" using 4 title "10 secrets, wall", \
	     "" using 5 title "10 secrets, CPU"
	EOF
	echo "plot: $DOCS/entry.png"
fi

# instructions (callgrind): --help and one secret, before and now, and the prototype
if [ -s "$B/entry-static.tsv" ]; then
	awk -F'\t' 'NR > 1 {h = ($5 == "-") ? 0 : $5 / 1e6; print $1, h, $6 / 1e6}' \
		"$B/entry-static.tsv" >"$TMP/static.dat"
	gnuplot <<-EOF
	$STYLE
	set output "$DOCS/entry-instructions.png"
	set title "Instructions of a run, callgrind (millions; lower is better)"
	set ylabel "million instructions"
	plot "$TMP/static.dat" using 2:xtic(1) title "--help", \
	     "" using 3 title "fetch 1 secret (every process)"
	EOF
	echo "plot: $DOCS/entry-instructions.png"
fi

# wallet serve against nginx: requests/s by concurrency, kept-alive and a handshake each
if [ -s "$B/server.tsv" ]; then
	for mode in keepalive handshake; do
		awk -F'\t' -v m="$mode" 'NR > 1 && $1 == m {print $2, $3, $4, $5}' "$B/server.tsv" |
			awk '{r[$1" "$2] = $3; c[$1" "$2] = $4; l[$1] = 1; s[$2] = 1}
			END {for (x in l) {printf "%s", x; split("nginx wallet civetweb", S, " ");
				for (i = 1; i <= 3; i++) printf " %s %s", (x" "S[i] in r) ? r[x" "S[i]] : "0",
					(x" "S[i] in c) ? c[x" "S[i]] : "0"; print ""}}' | sort -n >"$TMP/$mode.dat"
	done
	for mode in handshake keepalive; do
		title="Kept-alive connections (median)"
		[ "$mode" = handshake ] && title="A new mutual-TLS handshake per request (median)"
		gnuplot <<-EOF
		$STYLE
		set output "$DOCS/server-$mode.png"
		set multiplot layout 1,2 title "$title"
		set xlabel "concurrent connections"
		set title "requests/s (higher is better)"
		plot "$TMP/$mode.dat" using 2:xtic(1) title "nginx (prototype config)", "" using 4 title "wallet serve"
		set title "server CPU per request, us (lower is better)"
		plot "$TMP/$mode.dat" using 3:xtic(1) title "nginx (prototype config)", "" using 5 title "wallet serve"
		unset multiplot
		EOF
	done
	echo "plot: $DOCS/server-handshake.png $DOCS/server-keepalive.png"
fi

# the fleet: 200 entrypoints at once
if [ -s "$B/fleet.tsv" ]; then
	n=$(awk -F'\t' 'NR == 2 {print $2}' "$B/fleet.tsv")
	awk -F'\t' 'NR > 1 {print $1, $4 / 1000, $5 / 1000, $6 / 1000}' "$B/fleet.tsv" |
		sed -e 's/^proto /prototype+nginx /' -e 's/^entry /wallet-entry+serve /' \
			-e 's/^replicas /wallet-entry+3_replicas /' >"$TMP/fleet.dat"
	gnuplot <<-EOF
	$STYLE
	set output "$DOCS/fleet.png"
	set title "$n entrypoints started at once (median, s; lower is better)"
	set ylabel "seconds"
	set xtics noenhanced
	plot "$TMP/fleet.dat" using 2:xtic(1) title "until all had exec'd", \
	     "" using 3 title "until half had", \
	     "" using 4 title "CPU time, all together"
	EOF
	echo "plot: $DOCS/fleet.png"
fi
