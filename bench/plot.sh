#!/bin/sh
# plot.sh - draw the benchmark's PNG charts from its CSV with gnuplot
# (Debian: gnuplot-nox): throughput and bandwidth against message size,
# round-trip percentiles per transport, throughput of every transport at
# one size, median round trip against size. The CSV is what
# `shmring-bench --csv` or `--csv-out FILE` writes (`make bench` does).
#
# Usage: plot.sh CSV OUTDIR [SIZE]     (SIZE: the per-transport charts'
#                                       message size, default 64)
set -eu

if [ $# -lt 2 ]; then
	echo "usage: plot.sh CSV OUTDIR [SIZE]" >&2
	exit 2
fi
csv=$1 out=$2 size=${3:-64}
here=$(dirname "$0")
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
fi
if [ ! -r "$csv" ]; then
	echo "plot.sh: cannot read $csv" >&2
	exit 1
fi
head -n 1 "$csv" | grep -q '^kind,transport,size,count,msgs_per_s,' || {
	echo "plot.sh: $csv is not shmring-bench CSV" >&2
	exit 1
}
mkdir -p "$out"
dat=$(mktemp -d "${TMPDIR:-/tmp}/shmring-plot.XXXXXX")
trap 'rm -rf "$dat"' EXIT

# One data file per transport, sorted by size; only rows that ran.
# Columns (see the header): 1 kind 2 transport 3 size 5 msgs/s 8 MB/s
# 9 min 10 p50 11 p99 12 p99.9 13 max 15 p90 19 status.
awk -F, -v dat="$dat" '
NR > 1 && $19 == "ok" {
	if ($1 == "throughput")
		print $3, $5, $8 > (dat "/tput-" $2 ".dat")
	else
		print $3, $10, $11 > (dat "/rtt-" $2 ".dat")
}' "$csv"
for f in "$dat"/*.dat; do
	[ -e "$f" ] || continue
	sort -n -o "$f" "$f"
done

# Transports measured at two sizes or more get a line on the sweeps.
multi() {
	for f in "$dat"/"$1"-*.dat; do
		[ -e "$f" ] || continue
		[ "$(wc -l <"$f")" -ge 2 ] || continue
		n=${f##*/"$1"-}
		printf '%s ' "${n%.dat}"
	done
}
tputs=$(multi tput)
rtts=$(multi rtt)

# Per transport at one size, in the CSV's order.
awk -F, -v s="$size" 'NR > 1 && $19 == "ok" && $3 == s && $1 == "rtt" {
	print $2, $9, $10, $15, $11, $12, $13 }' "$csv" >"$dat/lat.dat"
awk -F, -v s="$size" 'NR > 1 && $19 == "ok" && $3 == s &&
	$1 == "throughput" { print $2, $5 }' "$csv" >"$dat/tput-one.dat"

gnuplot -e "dat='$dat'; out='$out'; tputs='$tputs'; rtts='$rtts'; size='$size'" \
	"$here/plot.gp"
for p in throughput-vs-size bandwidth-vs-size latency-vs-size \
	"latency-${size}B" "throughput-${size}B"; do
	[ -s "$out/$p.png" ] && echo "plot.sh: wrote $out/$p.png"
done
