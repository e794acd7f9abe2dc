#!/bin/sh
# valgrind.sh - memcheck over the examples and the shmring command: no
# leak, no invalid access, no uninitialised read (--error-exitcode=99).
# Skipped (77) without valgrind, or in a sanitized build (ASan and TSan
# binaries do not run under valgrind).
#
#   usage: valgrind.sh [BUILDDIR]   (default: $top_builddir, else .)

B=${1:-${top_builddir:-.}}
TAG=shmring-h-vg-$$
TMP=
passed=0
failed=0
skip() {
	echo "valgrind: skipped: $*"
	echo "0 passed, 0 failed"
	exit 77
}

command -v valgrind >/dev/null 2>&1 || skip "valgrind not installed"
for f in "$B"/lib/.libs/libshmring.so "$B"/lib/.libs/libshmring.a; do
	if [ -e "$f" ] && grep -qa -e __asan_init -e __tsan_init "$f"; then
		skip "sanitized build"
	fi
done
[ -x "$B/libtool" ] || skip "no libtool script in $B"

cleanup() {
	rm -f /dev/shm/"$TAG"-* /dev/shm/pingpong-"$vgpid"-*
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
TMP=$(mktemp -d) || exit 1

VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --trace-children=no"

# judge WHAT RC ERR [EXPECT]: a memcheck error (exit status 99, or a
# "==PID==" line in ERR) fails WHAT; so does an exit status other than
# EXPECT (default $EXPECT, else 0), unless EXPECT is "any": where a
# command's own status is judged by its own tests, only memcheck's
# verdict counts here.
judge() {
	expect=${4:-${EXPECT:-0}}
	if [ "$2" -eq 99 ] || grep -q '^==[0-9]*== ' "$3"; then
		failed=$((failed + 1))
		echo "valgrind: FAIL: $1" >&2
		sed 's/^/  /' "$3" | head -40 >&2
	elif [ "$expect" != any ] && [ "$2" -ne "$expect" ]; then
		failed=$((failed + 1))
		echo "valgrind: FAIL: $1 exited $2, expected $expect" >&2
		sed 's/^/  /' "$3" | head -10 >&2
	else
		passed=$((passed + 1))
		echo "valgrind: ok: $1"
	fi
}

# run WHAT PROGRAM ARGS...: under valgrind, through libtool (the programs
# in the build tree are wrapper scripts), judged as above.
run() {
	what=$1
	shift
	timeout 120 "$B/libtool" --mode=execute $VG "$@" \
		<"${STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
	judge "$what" $? "$TMP/err"
}

awk 'BEGIN { for (i = 1; i <= 2000; i++) print "line " i }' >"$TMP/in"

if [ -x "$B/examples/shm_producer" ] && [ -x "$B/examples/shm_consumer" ]; then
	# Producer first, alone: the data waits in the ring; then the consumer.
	STDIN=$TMP/in run "shm_producer" "$B/examples/shm_producer" "/$TAG-1"
	run "shm_consumer" "$B/examples/shm_consumer" "/$TAG-1"
	cmp -s "$TMP/in" "$TMP/out" || {
		failed=$((failed + 1))
		echo "valgrind: FAIL: consumer output differs from the input" >&2
	}
	# Both at once, the consumer under valgrind too.
	timeout 120 "$B/libtool" --mode=execute $VG "$B/examples/shm_consumer" \
		"/$TAG-2" >"$TMP/out2" 2>"$TMP/err2" &
	cpid=$!
	STDIN=$TMP/in run "shm_producer, concurrent" "$B/examples/shm_producer" "/$TAG-2"
	wait "$cpid"
	judge "shm_consumer, concurrent" $? "$TMP/err2"
else
	echo "valgrind: examples/shm_producer not built: skipped" >&2
fi

if [ -x "$B/examples/pingpong" ]; then
	# pingpong forks (no exec): valgrind follows the child too. Its rings
	# are named after its pid, known here only once it runs: a shell
	# notes its own pid and execs the program under it.
	timeout 120 sh -c 'echo $$ >"$0"; exec "$@"' "$TMP/pid" \
		"$B/libtool" --mode=execute $VG "$B/examples/pingpong" -n 300 -s 64 \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	vgpid=$(cat "$TMP/pid" 2>/dev/null)
	judge pingpong $rc "$TMP/err"
fi

# The command-line tool, when it is built: its commands on one ring of
# each backend. A command's own exit status is shown, not judged here (the
# CLI's tests do that); memcheck errors are.
T=$B/tools/shmring
if [ -x "$T" ]; then
	printf 'one\ntwo\nthree\n' >"$TMP/lines"
	for ring in "" "/$TAG-cli" "file:$TMP/$TAG-file"; do
		cmds="create $ring --capacity 4096 --mode 0640|info $ring|info $ring --json|send $ring --timeout 1|stat $ring -n 1|recv $ring -n 3 --timeout 1|create $ring|rm $ring|info $ring"
		[ -z "$ring" ] && cmds="--help|ls|ls --json|limits|limits --json"
		IFS='|'
		set -f
		# shellcheck disable=SC2086
		set -- $cmds
		set +f
		unset IFS
		for args in "$@"; do
			# shellcheck disable=SC2086
			timeout 120 "$B/libtool" --mode=execute $VG "$T" $args \
				<"$TMP/lines" >"$TMP/out" 2>"$TMP/err"
			rc=$?
			judge "shmring $args (exit $rc)" $rc "$TMP/err" any
		done
	done
	timeout 120 "$B/libtool" --mode=execute $VG "$T" rm --stale \
		--prefix "/$TAG" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	judge "shmring rm --stale (exit $rc)" $rc "$TMP/err" any
else
	echo "valgrind: tools/shmring not built: skipped"
fi

leftover=$(ls /dev/shm 2>/dev/null | grep -e "^$TAG-")
if [ -n "$leftover" ]; then
	failed=$((failed + 1))
	echo "valgrind: FAIL: left in /dev/shm: $leftover" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
