#!/bin/sh
# run.sh BACKEND PROGRAM - run a ring test suite (a Criterion program that
# names its rings through tests/testutil.h) with its rings on BACKEND:
# file, sysv, anon or memfd (posix, the default, is the plain run). File
# rings go to a directory of this run, which must be empty when the
# program ends and is removed however it ended; the SysV segments and
# /dev/shm objects a crashed test leaves are swept by tests/test_zleaks.
# The program's exit status is the script's (77, a skip, included).
backend=$1
prog=$2
if [ -z "$backend" ] || [ -z "$prog" ]; then
	echo "usage: $0 BACKEND PROGRAM" >&2
	exit 99
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/shmring-test.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM HUP

echo "backend: $backend"
SHMRING_TEST_BACKEND=$backend SHMRING_TEST_DIR=$dir "$prog"
rc=$?
left=$(ls -A "$dir")
if [ -n "$left" ]; then
	echo "left behind in $dir:" $left
	[ "$rc" -eq 0 ] && rc=1
fi
exit $rc
