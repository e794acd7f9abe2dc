#!/bin/sh
# bcast-quick.sh - the broadcast benchmark (bench/shmring-bcast-bench) runs
# a small pass to the end, every row there: each transport at 1, 2 and 4
# subscribers (ZeroMQ and iceoryx may say "not built", iceoryx "n/a" where
# another RouDi runs), the three round trips, the four target lines and
# the SUMMARY line; and every subscriber of a lossless row took every
# message: the program checks each number and exits 1 on a missing or
# misplaced one, and those rows' lost column says 0. Figures are not
# judged here (see bench/). Then a run stopped while iceoryx runs leaves
# nothing behind. Each run has a hard time limit; whatever the path,
# RouDi, its names, the ipc sockets and the runtimes' files a run made
# are removed (trap).
#
# Checked: without the ZeroMQ publisher's hand-shake (it sent before the
# subscriptions arrived), or with its high-water marks left at ZeroMQ's
# 1000 (-n 200000), or with the iceoryx subscriber queue set to discard,
# the program exits 1 ("subscriber 0 of 1: ... messages") and this fails;
# without the program's SIGTERM cleanup (on_signal), RouDi's names and
# the runtimes' files stay behind and the last check fails.

BENCH=${top_builddir:-.}/bench/shmring-bcast-bench
limit=300 # sanitized builds run several times slower
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bcast-quick.XXXXXX") || exit 1

# What a run makes: its folder and the iceoryx runtimes' files in /tmp,
# RouDi's names; /dev/shm objects of shmring-bcast-*. A snapshot.
names() {
	for f in /tmp/shmring-bcast-* /dev/shm/shmring-bcast-* \
		/dev/shm/iceoryx_mgmt "/dev/shm/$(id -un)" /tmp/roudi \
		/tmp/roudi.lock /tmp/iox-unique-roudi.lock; do
		[ -e "$f" ] && echo "$f"
	done
}
names >"$tmp/before"

# On every exit: a RouDi that a run here started (its configuration is in
# the run's folder) is stopped, by its pid; then what appeared since the
# start and is still there goes, RouDi's names only where no RouDi runs.
cleanup() {
	names >"$tmp/now"
	for d in $(comm -13 "$tmp/before" "$tmp/now" | grep '^/tmp/shmring-bcast-'); do
		for p in $(pgrep -f "^iox-roudi -c $d/roudi.toml"); do
			kill -KILL "$p"
			i=0
			while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
				i=$((i + 1))
				sleep 0.1
			done
		done
	done
	pgrep -x iox-roudi >/dev/null 2>&1 && roudi=1 || roudi=0
	comm -13 "$tmp/before" "$tmp/now" | while read -r f; do
		case $f in
		/tmp/shmring-bcast-*) rm -rf "$f" ;;
		*) [ "$roudi" = 0 ] && rm -f "$f" ;;
		esac
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
fail() {
	echo "FAIL: $*"
	n=$((n + 1))
}

timeout -k 5 "$limit" "$BENCH" -n 2000 -r 1 -t 200 >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ "$rc" -eq 0 ] || fail "exit status $rc"

for s in 1 2 4; do
	for t in bcast bcast-overwrite "spsc x N" "dgram x N" zmq-pubsub \
		iceoryx-pubsub; do
		row=$(awk -v t="$t" -v s="$s" 'substr($0, 1, 17) == sprintf("%-16s ", t) {
			r = substr($0, 18)
			sub(/^ +/, "", r)
			split(r, f, " ")
			if (f[1] == s) print r }' "$tmp/out")
		case $t:$row in
		*:"$s "*"not built: needs "*) echo "note: $t: $row" ;;
		iceoryx-pubsub:"$s "*"n/a: "*) echo "note: $t: $row" ;;
		bcast-overwrite:*[0-9]*) ;;
		*:*[0-9]*)
			lost=$(echo "$row" | awk '{ print $7 }')
			[ "$lost" = 0 ] || fail "$t to $s: lost $lost" ;;
		*) fail "no row: $t to $s" ;;
		esac
	done
done
for t in bcast-rt bcast-overwrite-rt spsc-rt; do
	grep -q "^$t  *[0-9][0-9]*  *[0-9]" "$tmp/out" || fail "no row: $t"
done
[ "$(grep -c '^target: ' "$tmp/out")" -eq 4 ] || fail "not four targets"
grep -q '^SUMMARY bcast_vs_spsc_1=' "$tmp/out" || fail "no SUMMARY"

# Stopped (SIGTERM) while iceoryx runs: nothing left. Where iceoryx did
# not run above, there is nothing of it to stop.
if grep -q '^iceoryx-pubsub  *1  *[0-9]' "$tmp/out"; then
	names >"$tmp/before-stop"
	timeout -k 5 "$limit" "$BENCH" -k iceoryx-pubsub -n 100000000 -r 1 \
		>/dev/null 2>&1 &
	pid=$!
	i=0
	until ls /tmp/shmring-bcast-*-0.lock >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $((limit * 10)) ] || break
		sleep 0.1
	done
	# A run that ended by itself (RouDi could not start: "n/a") was not
	# stopped; what it made must be gone all the same.
	if kill -0 "$pid" 2>/dev/null; then
		echo "stopping a run of iceoryx-pubsub"
		kill -TERM "$pid" # timeout(1) passes it on to the program
	else
		echo "note: the iceoryx run ended before it could be stopped"
	fi
	wait "$pid"
	names >"$tmp/after-stop"
	# New names only: one that was there before may have gone meanwhile
	# (a RouDi of an earlier run removing its own).
	left=$(comm -13 "$tmp/before-stop" "$tmp/after-stop" | tr '\n' ' ')
	[ -z "$left" ] || fail "left after SIGTERM: $left"
fi

echo "$((n == 0)) passed, $((n != 0)) failed"
[ "$n" -eq 0 ]
