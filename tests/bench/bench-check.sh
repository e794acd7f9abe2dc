#!/bin/sh
# bench-check.sh - the benchmark harness's share of `make check`: every
# transport moves messages correctly (--verify checks each sequence
# number and payload), the table, CSV and JSON writers produce what they
# promise, a tiny --quick pass runs so that the suite never rots, and the
# watchdog and the signal handler leave nothing behind. Each run has a
# hard time limit; the whole takes well under a minute on two cores.
#
# Usage: bench-check.sh [PATH-TO-shmring-bench]

here=$(dirname "$0")
BENCH=${1:-${top_builddir:-$here/../..}/bench/shmring-bench}
if [ ! -x "$BENCH" ]; then
	echo "bench-check.sh: no program at $BENCH" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

# Sanitized builds run several times slower: give them more time.
limit=60
info=$("$BENCH" --build-info)
case $info in
*sanitizers=none*) ;;
*) limit=300 ;;
esac
echo "== $info"

# run NAME SECS ARGS...: the program under a hard limit, output in $tmp/NAME
run() {
	name=$1 secs=$2
	shift 2
	echo "== $name: shmring-bench $*"
	timeout -k 5 "$secs" "$BENCH" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	tail -n 3 "$tmp/$name.err"
	return $rc
}

# Names the benchmark makes: "shmring-bench-<pid>-<n>" in /dev/shm (rings,
# Boost queues), /tmp (FIFOs, ZeroMQ sockets, RouDi's configuration),
# /dev/mqueue; System V queues, counted; RouDi and its names. A snapshot, to compare with after a run was stopped.
names() {
	for f in /dev/shm/shmring-bench-* /tmp/shmring-bench-* \
		/dev/mqueue/shmring-bench-*; do
		[ -e "$f" ] && echo "$f"
	done
	echo "sysv-queues $(($(wc -l </proc/sysvipc/msg 2>/dev/null || echo 1) - 1))"
	# iceoryx: the RouDi a run starts, and what that RouDi makes
	for f in /dev/shm/iceoryx_mgmt /tmp/roudi /tmp/roudi.lock \
		/tmp/iox-unique-roudi.lock; do
		[ -e "$f" ] && echo "$f"
	done
	echo "roudi $(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^iox-roudi$')"
}

# 1. Usage and option errors: exit 0 for --help, 2 for an unknown option,
#    1 and a one-line message for a bad value.
run help 10 --help && grep -q '^usage: shmring-bench' "$tmp/help.out" &&
	pass "--help" || fail "--help"
run badopt 10 --no-such-option
[ $? = 2 ] && pass "unknown option exits 2" || fail "unknown option exits 2"
run badval 10 --size 3
[ $? = 1 ] && [ "$(wc -l <"$tmp/badval.err")" = 1 ] &&
	grep -q -- '--size' "$tmp/badval.err" &&
	pass "bad value: one line, exit 1" || fail "bad value: one line, exit 1"

# 2. The list names every transport of the suite, each once per kind.
run list 10 --list
missing=
for t in shmring shmring-burst shmring-zc shmring-block mpmc-1p1c mpmc-2p2c \
	mpmc-4p4c dgram-2p2c raw-ring raw-line memcpy pipe fifo unix-stream \
	unix-dgram tcp posix-mq sysv-mq eventfd-shm boost-mq zmq-ipc urcu-wfcq \
	dpdk-spsc dpdk-spsc-burst dpdk-mpmc-2p2c dpdk-mpmc-2p2c-rts ck-spsc \
	iceoryx; do
	grep -q " $t " "$tmp/list.out" || missing="$missing $t"
done
[ -z "$missing" ] && pass "--list has every transport" ||
	fail "--list lacks:$missing"
# built or not as --build-info says
ok=1
case $info in *boost=no*) want=not-built ;; *) want=built ;; esac
grep -q "^streaming  boost-mq  *$want " "$tmp/list.out" || ok=0
case $info in *zmq=no*) want=not-built ;; *) want=built ;; esac
grep -q "^streaming  zmq-ipc  *$want " "$tmp/list.out" || ok=0
for peer in dpdk:dpdk-spsc ck:ck-spsc iceoryx:iceoryx; do
	case $info in *" ${peer%%:*}=no"*) want=not-built ;; *) want=built ;; esac
	grep -q "^streaming  ${peer#*:}  *$want " "$tmp/list.out" || ok=0
done
[ $ok = 1 ] && pass "--list agrees with --build-info" ||
	fail "--list agrees with --build-info"

# 3. Every transport moves 1000 messages (and 1000 round trips) with every
#    sequence number and payload checked.
run selftest "$limit" --selftest --no-progress
rc=$?
last=$(tail -n 1 "$tmp/selftest.out")
if [ $rc = 0 ] && echo "$last" | grep -q '^[0-9]* passed, 0 failed$' &&
	! grep -q FAILED "$tmp/selftest.out"; then
	pass "--selftest at 64 B: $last"
else
	cat "$tmp/selftest.out"
	fail "--selftest at 64 B (exit $rc): $last"
fi
ntransports=$(grep -c '^verify ' "$tmp/selftest.out")
nlisted=$(wc -l <"$tmp/list.out")
[ "$ntransports" = "$nlisted" ] && pass "--selftest covers all $nlisted" ||
	fail "--selftest ran $ntransports of $nlisted"

# ... and at the smallest and the largest sizes, and one that is not a
# multiple of 8 (records are padded).
run sizes "$limit" --verify --sizes 8,100,65536 --messages 300 \
	--round-trips 300 --no-progress
rc=$?
last=$(tail -n 1 "$tmp/sizes.out")
if [ $rc = 0 ] && echo "$last" | grep -q ' 0 failed$'; then
	pass "--verify at 8, 100, 65536 B: $last"
else
	grep -v ': ok' "$tmp/sizes.out"
	fail "--verify at 8, 100, 65536 B (exit $rc)"
fi

# 4. A tiny --quick pass: the table on stdout, CSV and JSON in files.
run quick "$limit" --quick --no-progress --csv-out "$tmp/q.csv" \
	--json-out "$tmp/q.json"
rc=$?
[ $rc = 0 ] && pass "--quick runs" || fail "--quick runs (exit $rc)"
grep -q 'x pipe' "$tmp/quick.out" && grep -q '== 64-byte messages: streaming' \
	"$tmp/quick.out" && grep -q 'round trip, ns' "$tmp/quick.out" &&
	pass "table has its sections and the x pipe column" ||
	fail "table has its sections and the x pipe column"
# one SUMMARY line per transport, each transport once
nsum=$(grep -c '^SUMMARY transport=' "$tmp/quick.out")
nuniq=$(awk '{print $2}' "$tmp/list.out" | sort -u | wc -l)
ndup=$(grep '^SUMMARY transport=' "$tmp/quick.out" | awk '{print $2}' |
	sort | uniq -d | wc -l)
[ "$nsum" = "$nuniq" ] && [ "$ndup" = 0 ] &&
	pass "one SUMMARY line per transport ($nsum)" ||
	fail "SUMMARY lines: $nsum for $nuniq transports, $ndup repeated"
grep -q '^target: ' "$tmp/quick.out" && pass "targets are printed" ||
	fail "targets are printed"
# paired trials: with DPDK and Concurrency Kit, all eight pairs ran (each
# a SUMMARY line with a ratio, and the section); without, those with raw
# floors only (three)
case $info in
*dpdk=yes*ck=yes*) want=8 ;;
*) want=3 ;;
esac
npaired=$(grep -c '^SUMMARY paired=.* ratio=[0-9]' "$tmp/quick.out")
[ "$npaired" = "$want" ] && grep -q '^== paired trials' "$tmp/quick.out" &&
	pass "paired trials: $npaired pairs" ||
	fail "paired trials: $npaired pairs, want $want"

# The JSON parses, and holds what it should (python3 checks it).
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: JSON checks (no python3)"
elif python3 -m json.tool "$tmp/q.json" >/dev/null 2>"$tmp/json.err"; then
	pass "JSON parses (python3 -m json.tool)"
else
	cat "$tmp/json.err"
	fail "JSON parses (python3 -m json.tool)"
fi
if command -v python3 >/dev/null 2>&1; then
python3 - "$tmp/q.json" <<'EOF' && pass "JSON fields" || fail "JSON fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["config"]["sizes"] == [64], d["config"]
assert d["machine"]["cpus_usable"] >= 1
tp = {r["transport"]: r for r in d["throughput"]}
rt = {r["transport"]: r for r in d["rtt"]}
for t in ("shmring", "pipe", "raw-ring", "mpmc-2p2c", "dgram-2p2c"):
    assert tp[t]["status"] == "ok" and tp[t]["msgs_per_s"] > 0, t
    assert tp[t]["cpu_s_per_M"] >= 0, t
for t in ("shmring", "pipe", "raw-line", "eventfd-shm"):
    r = rt[t]
    assert r["status"] == "ok", t
    assert r["min_ns"] <= r["p50_ns"] <= r["p90_ns"] <= r["p99_ns"] \
        <= r["p999_ns"] <= r["max_ns"], r
    assert r["samples"] > 0, r
assert tp["pipe"]["x_pipe"] == 1.0
for r in d["throughput"] + d["rtt"]:
    assert r["status"] in ("ok", "not-built", "n/a"), r
    if r["status"] != "ok":
        assert r["reason"], r
assert len(d["targets"]) == 14
for p in d["paired"]:
    assert p["rounds"] == len(p["round_ratios"]) == len(p["probe_ns"]), p
    assert p["fast"] + p["slow"] == p["rounds"], p
    assert p["ratio_min"] <= p["ratio"] <= p["ratio_max"], p
EOF
fi

# The CSV: the header, 20 columns on every row, a row per transport.
header='kind,transport,size,count,msgs_per_s,msgs_per_s_min,msgs_per_s_max,mb_per_s,rtt_min_ns,rtt_p50_ns,rtt_p99_ns,rtt_p999_ns,rtt_max_ns,x_pipe,rtt_p90_ns,rtt_p50_min_ns,rtt_p50_max_ns,cpu_s_per_M,status,pinned'
[ "$(head -n 1 "$tmp/q.csv")" = "$header" ] && pass "CSV header" ||
	fail "CSV header: $(head -n 1 "$tmp/q.csv")"
bad=$(awk -F, 'NR > 1 && NF != 20' "$tmp/q.csv" | wc -l)
rows=$(($(wc -l <"$tmp/q.csv") - 1))
[ "$bad" = 0 ] && [ "$rows" = "$nlisted" ] &&
	pass "CSV: $rows rows of 20 columns" ||
	fail "CSV: $bad rows not of 20 columns, $rows rows for $nlisted"
awk -F, '$1 == "throughput" && $2 == "pipe" && $19 == "ok" && $5 > 0' \
	"$tmp/q.csv" | grep -q . && pass "CSV pipe row" || fail "CSV pipe row"

# --json and --csv on stdout too
run json "$limit" --quick --transports 'shmring,pipe' --json --no-progress &&
	{ ! command -v python3 >/dev/null 2>&1 ||
	  python3 -m json.tool "$tmp/json.out" >/dev/null; } &&
	pass "--json on stdout" || fail "--json on stdout"
run csv "$limit" --quick --transports 'shmring,pipe' --csv --no-progress &&
	[ "$(head -n 1 "$tmp/csv.out")" = "$header" ] &&
	[ "$(wc -l <"$tmp/csv.out")" = 5 ] &&
	pass "--csv on stdout" || fail "--csv on stdout"

# 5. Every exit path cleans up: the watchdog (a run far longer than its
#    limit), and SIGINT, each in the middle of runs with names in
#    /dev/shm, /tmp and the message queue file system. (iceoryx: checked
#    that without the removal of RouDi's names after it is stopped,
#    /dev/shm/iceoryx_mgmt and /tmp/roudi* stay behind and this fails.)
names >"$tmp/before"
"$BENCH" --transports shmring --messages 2000000000 --timeout 1 \
	--no-progress >"$tmp/wd.out" 2>"$tmp/wd.err"
rc=$?
names >"$tmp/after"
[ $rc = 1 ] && grep -q 'time limit' "$tmp/wd.err" &&
	cmp -s "$tmp/before" "$tmp/after" &&
	pass "watchdog: exit 1, nothing left" ||
	fail "watchdog: exit $rc, $(cat "$tmp/wd.err"), left: $(diff "$tmp/before" "$tmp/after")"
stoppable="shmring mpmc-2p2c fifo posix-mq sysv-mq"
case $info in *zmq=yes*) stoppable="$stoppable zmq-ipc" ;; esac
case $info in *boost=yes*) stoppable="$stoppable boost-mq" ;; esac
# iceoryx only where its RouDi could run here (the selftest says ok; a
# small /dev/shm, or another RouDi, makes its rows n/a)
grep -q '^verify streaming  iceoryx .*: ok' "$tmp/selftest.out" &&
	stoppable="$stoppable iceoryx"
for t in $stoppable; do
	names >"$tmp/before"
	timeout -s INT 1 "$BENCH" --transports "$t" --messages 2000000000 \
		--timeout 30 --no-progress >"$tmp/int.out" 2>"$tmp/int.err"
	rc=$?
	names >"$tmp/after"
	# timeout(1) returns 124 when it had to send the signal
	[ $rc = 124 ] && grep -q 'interrupted; cleaned up' "$tmp/int.err" &&
		cmp -s "$tmp/before" "$tmp/after" &&
		pass "SIGINT during $t: nothing left" ||
		fail "SIGINT during $t: exit $rc, $(cat "$tmp/int.err"), left: $(diff "$tmp/before" "$tmp/after")"
done

# 6. "counters: cost": the two static builds beside the program say
#    whether their library counts, a tiny pass prints the section with
#    its four figures, and two programs that do not differ so are refused
#    (checked: with check_counts() in bench/cost.c made a no-op, the
#    swapped pair runs and prints figures, and this test fails).
static=$(dirname "$BENCH")/shmring-bench-static
nocount=$(dirname "$BENCH")/shmring-bench-nocount
if [ -x "$static" ] && [ -x "$nocount" ]; then
	"$static" --build-info | grep -q ' counters=yes$' &&
		"$nocount" --build-info | grep -q ' counters=no$' &&
		pass "--build-info: counters=yes, and no without them" ||
		fail "--build-info: $("$static" --build-info), $("$nocount" --build-info)"
	run cost "$limit" --quick --transports shmring --trials 2 \
		--counters-on "$static" --counters-off "$nocount" --no-progress
	rc=$?
	[ $rc = 0 ] && grep -q '^== counters: cost, 64-byte messages ==' \
		"$tmp/cost.out" &&
		[ "$(grep -c '^SUMMARY counters=.* ratio=[0-9]' "$tmp/cost.out")" = 4 ] &&
		pass "counters: cost, four figures" ||
		fail "counters: cost (exit $rc): $(cat "$tmp/cost.err")"
	run swapped "$limit" --quick --transports shmring --trials 1 \
		--counters-on "$nocount" --counters-off "$static" --no-progress
	rc=$?
	[ $rc = 1 ] && grep -q 'should count' "$tmp/swapped.err" &&
		pass "counters: cost refuses a library that does not count" ||
		fail "counters: cost with the programs swapped: exit $rc"
else
	fail "no $static or $nocount"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
