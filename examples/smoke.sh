#!/bin/sh
# examples/smoke.sh - run every example end to end and compare the output.
#
#   usage: sh examples/smoke.sh [BUILDDIR]     (default: .)
#
# Each program runs under `timeout 20`. Exits 0 when all is well, 1 on the
# first mismatch or failure. Whatever happens, the rings it made are
# removed from /dev/shm and its background processes are killed.

set -u

B=${1:-.}
PROD=$B/examples/shm_producer
CONS=$B/examples/shm_consumer
PING=$B/examples/pingpong
T="timeout 20"
TAG=shmring-smoke-$$
TMP=
PIDS=

for p in "$PROD" "$CONS" "$PING"; do
	if [ ! -x "$p" ]; then
		echo "smoke: $p not found or not executable (build first?)" >&2
		exit 1
	fi
done

cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -f /dev/shm/"$TAG"-*
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "smoke: FAIL: $*" >&2
	exit 1
}

TMP=$(mktemp -d) || fail "mktemp"

# numbered lines; 100000 of them overflow the default 1 MiB ring, so the
# producer has to wait for the consumer
awk 'BEGIN { for (i = 1; i <= 1000; i++) print "line " i }' >"$TMP/in1k"
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "message %d %s\n", i, \
	"with some padding to make it longer" }' >"$TMP/in100k"

# producer and consumer at the same time; either may open first
stream() { # name input
	$T "$PROD" "/$TAG-$1" <"$2" &
	ppid=$!
	PIDS="$PIDS $ppid"
	$T "$CONS" "/$TAG-$1" >"$TMP/out" || fail "$1: consumer exited $?"
	wait "$ppid" || fail "$1: producer exited $?"
	PIDS=
	cmp -s "$2" "$TMP/out" || {
		diff "$2" "$TMP/out" | head -5 >&2
		fail "$1: consumer output differs from producer input"
	}
	[ -e "/dev/shm/$TAG-$1" ] && fail "$1: consumer left its ring behind"
	echo "smoke: ok: $1"
}
stream concurrent-1k "$TMP/in1k"
stream concurrent-100k "$TMP/in100k"

# producer done and gone before the consumer starts: the data waits
$T "$PROD" "/$TAG-late" <"$TMP/in1k" || fail "late: producer exited $?"
$T "$CONS" "/$TAG-late" >"$TMP/out" || fail "late: consumer exited $?"
cmp -s "$TMP/in1k" "$TMP/out" || fail "late: output differs"
echo "smoke: ok: consumer after producer"

# empty input: an empty stream, not an error
$T "$PROD" "/$TAG-empty" </dev/null || fail "empty: producer exited $?"
$T "$CONS" "/$TAG-empty" >"$TMP/out" || fail "empty: consumer exited $?"
[ -s "$TMP/out" ] && fail "empty: consumer printed something"
echo "smoke: ok: empty stream"

# a line over the ring's 64 KiB limit: the producer must fail
awk 'BEGIN { s = "x"; while (length(s) < 70000) s = s s; print "short"; print s }' \
	>"$TMP/long"
$T "$PROD" "/$TAG-long" <"$TMP/long" 2>"$TMP/err" &&
	fail "long: producer accepted a line longer than max_msg"
grep -q 'longer than' "$TMP/err" || fail "long: no clear error message"
$T "$CONS" "/$TAG-long" >"$TMP/out" || fail "long: consumer exited $?"
[ "$(cat "$TMP/out")" = short ] || fail "long: consumer output wrong"
echo "smoke: ok: over-long line refused"

# pingpong: runs, reports, and removes its two rings. Its rings are named
# after its pid, which `timeout` hides: a shell notes its own pid, then
# execs pingpong under that same pid.
$T sh -c 'echo $$ >"$0"; exec "$@"' "$TMP/pid" "$PING" -n 2000 -s 64 \
	>"$TMP/out"
rc=$?
ppid=$(cat "$TMP/pid" 2>/dev/null)
[ -n "$ppid" ] && rm -f /dev/shm/pingpong-"$ppid"-*
[ "$rc" -eq 0 ] || fail "pingpong exited $rc"
grep -q '^2000 round trips of 64 bytes: min [0-9]* ns, median [0-9]* ns, p99 [0-9]* ns$' \
	"$TMP/out" || fail "pingpong: unexpected output: $(cat "$TMP/out")"
echo "smoke: ok: pingpong ($(cat "$TMP/out"))"

leftover=$(ls /dev/shm | grep -e "^$TAG-" -e "^pingpong-$ppid-")
[ -z "$leftover" ] || fail "left in /dev/shm: $leftover"
echo "smoke: all examples passed"
