# lib.sh - what the tests of the shmring command share: where the program
# is, a bound on time, unique ring names, checks and their tally, and the
# cleanup of rings and background processes on every way out.
# Sourced first thing by each tests/cli/*.sh.

# The whole script runs under timeout(1), which also ends its background
# processes if it hangs; the EXIT trap below still removes the rings.
if [ -z "$SHMRING_CLI_BOUNDED" ]; then
	SHMRING_CLI_BOUNDED=1 exec timeout -k 5 ${SHMRING_CLI_LIMIT:-120} \
		/bin/sh "$0" "$@"
fi

top_builddir=${top_builddir:-.}
SHMRING=$top_builddir/tools/shmring
# Each command alone is bounded too, so that a hang names its command.
T="timeout -k 10 30"
# Test rings are /shmring-t-<pid>-...: the leak sweep of `make check`
# (tests/test_zleaks.c) reads the pid there and leaves a live test's alone.
PFX=/shmring-t-$$-cli
SHM_PFX=/dev/shm/shmring-t-$$-

pass=0
fail=0
bg_pids=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmring-cli.XXXXXX") || exit 1

cleanup() {
	for p in $bg_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $bg_pids; do
		wait "$p" 2>/dev/null
	done
	rm -f "$SHM_PFX"*
	rm -rf "$tmp"
}
trap cleanup EXIT
# Killed (by the time limit, say): still one summary line, counting this.
trap 'nok "killed by a signal: time limit reached?"; finish' HUP INT TERM

ok() {
	pass=$((pass + 1))
	echo "ok: $*"
}

nok() {
	fail=$((fail + 1))
	echo "FAIL: $*"
	# What the last command said, to see why.
	[ -s "$tmp/out" ] && sed 's/^/  stdout: /' "$tmp/out" | head -20
	[ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -20
	return 0
}

# check DESCRIPTION COMMAND...: one check, counted.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

# run COMMAND...: bounded; stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	$T "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# bg IN OUT COMMAND...: start in the background, reading file IN and
# writing OUT (stdout and stderr); its pid in $bg, and in those the
# cleanup kills. (The shell gives a background command /dev/null for
# input unless told otherwise.)
bg() {
	bg_in=$1
	bg_out=$2
	shift 2
	"$@" <"$bg_in" >"$bg_out" 2>&1 &
	bg=$!
	bg_pids="$bg_pids $bg"
}

# The status of the last run was $1.
rc_is() {
	[ "$rc" -eq "$1" ]
}

# The last run failed with status $1 and exactly one line on stderr,
# starting with $2.
fails_with() {
	[ "$rc" -eq "$1" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q "^$2" "$tmp/err"
}

# wait_for COMMAND...: poll a condition until it holds, at most 10 s.
wait_for() {
	n=0
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -ge 200 ] && return 1
		sleep 0.05
	done
}

# JSON checks need python3; without it they are skipped, and said so.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	have_python=1
else
	have_python=
fi

# json_check DESCRIPTION FILE [PYTHON-ASSERTION]: FILE holds one JSON
# document (or, with JSONL=1, one per line: the list of them is `docs`),
# and the assertion holds for each document `d`.
json_check() {
	if [ -z "$have_python" ]; then
		echo "skip: $1 (no python3 to validate JSON)"
		return 0
	fi
	check "$1" python3 -c '
import json, sys
text = open(sys.argv[1]).read()
if sys.argv[3] == "1":
    docs = [json.loads(l) for l in text.splitlines()]
    assert docs, "no JSON lines"
else:
    docs = [json.loads(text)]
for d in docs:
    assert eval(sys.argv[2]), sys.argv[2]
' "$2" "${3:-True}" "${JSONL:-0}"
}

# Ring $1 has $2 (e.g. '"consumers": 1') in its info.
info_has() {
	$T "$SHMRING" info --json "$1" 2>/dev/null | grep -q "$2"
}

finish() {
	trap - HUP INT TERM
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
