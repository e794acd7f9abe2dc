#!/bin/sh
# plot.sh - draw the benchmark's PNG charts from its CSV with gnuplot
# (Debian: gnuplot-nox): throughput and bandwidth against message size,
# round-trip percentiles per transport, throughput of every transport at
# one size, median round trip against size, and a two-panel summary at
# one size for the README (docs/bench-64B.png is one, committed), and
# the paired trials' round-by-round ratios (from the JSON). The CSV
# is what `shmring-bench --csv` or `--csv-out FILE` writes (`make bench`
# does; the summary's caption names the machine from the JSON beside it).
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

# The summary for the README: the transports an application would pick
# between (no floors, no in-process queue, none unpinned on a small
# machine; the rings of DPDK, Concurrency Kit and iceoryx included), best first; shmring's rows marked (third column 1).
pick=" shmring shmring-burst shmring-zc shmring-try shmring-block mpmc-1p1c
	pipe fifo unix-stream unix-dgram tcp posix-mq sysv-mq eventfd-shm
	boost-mq zmq-ipc dpdk-spsc dpdk-spsc-burst ck-spsc iceoryx "
awk -F, -v s="$size" -v pick="$pick" -v dat="$dat" '
BEGIN { gsub(/[\t\n]/, " ", pick) }
NR > 1 && $19 == "ok" && $3 == s && index(pick, " " $2 " ") {
	hi = $2 ~ /^(shmring|mpmc)/ ? 1 : 0
	if ($1 == "throughput")
		print $2, $5, hi > (dat "/sum-tput.unsorted")
	else
		print $2, $10, hi, $11 > (dat "/sum-rtt.unsorted")
}' "$csv"
: >"$dat/sum-tput.dat"
: >"$dat/sum-rtt.dat"
[ -e "$dat/sum-tput.unsorted" ] &&
	sort -k2,2gr "$dat/sum-tput.unsorted" >"$dat/sum-tput.dat"
[ -e "$dat/sum-rtt.unsorted" ] &&
	sort -k2,2g "$dat/sum-rtt.unsorted" >"$dat/sum-rtt.dat"

# Its caption: the machine and the day of the run, from the JSON `make
# bench` writes beside the CSV (else the day the CSV was written).
json=${csv%.csv}.json
machine="this machine"
if [ -r "$json" ]; then
	cpu=$(sed -n 's/.*"cpu": "\([^"]*\)".*/\1/p' "$json" | head -n 1)
	ncpu=$(sed -n 's/.*"cpus_online": \([0-9]*\).*/\1/p' "$json" | head -n 1)
	kernel=$(sed -n 's/.*"kernel": "\([^"]*\)".*/\1/p' "$json" | head -n 1)
	arch=$(sed -n 's/.*"arch": "\([^"]*\)".*/\1/p' "$json" | head -n 1)
	[ -n "$cpu" ] && machine="$cpu, $ncpu CPUs, $kernel ($arch)"
fi
day=
[ -r "$json" ] && day=$(sed -n 's/^ *"date": "\([0-9-]*\)T.*/\1/p' "$json" | head -n 1)
[ -n "$day" ] || day=$(date -u -r "$csv" +%Y-%m-%d)
caption=$(printf '%s; median of the trials of make bench, %s' \
	"$machine" "$day" | tr -d "'\"")

# Paired trials (64-byte messages), from the JSON: one line per round,
# "pair-index ratio slow label" (python3 reads the JSON; without it,
# or without pairs, no chart).
: >"$dat/paired.dat"
if [ -r "$json" ] && command -v python3 >/dev/null 2>&1; then
	python3 - "$json" >"$dat/paired.dat" <<'EOF' || : >"$dat/paired.dat"
import json, sys
d = json.load(open(sys.argv[1]))
for i, p in enumerate(d.get("paired", [])):
    what = "msgs/s" if p["kind"] == "throughput" else "RTT"
    label = "%s / %s, %s" % (p["a"], p["b"], what)
    for x, slow in zip(p["round_ratios"], p["round_slow"]):
        print(i, x, 1 if slow else 0, '"%s"' % label)
EOF
fi
npaired=$(wc -l <"$dat/paired.dat")

nsumt=$(wc -l <"$dat/sum-tput.dat")
nsumr=$(wc -l <"$dat/sum-rtt.dat")

gnuplot -e "dat='$dat'; out='$out'; tputs='$tputs'; rtts='$rtts'; size='$size'" \
	-e "caption='$caption'; nsumt=$nsumt; nsumr=$nsumr" \
	-e "npaired=$npaired; pcaption='$(printf '%s; paired trials, %s' \
		"$machine" "$day" | tr -d "'\"")'" "$here/plot.gp"
for p in throughput-vs-size bandwidth-vs-size latency-vs-size \
	"latency-${size}B" "throughput-${size}B" "summary-${size}B" \
	paired-64B; do
	[ -s "$out/$p.png" ] && echo "plot.sh: wrote $out/$p.png"
done
