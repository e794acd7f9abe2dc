#!/bin/sh
# sweep.sh - runs after every other hardening test: nothing they made may
# remain. A /dev/shm object or System V segment of theirs whose creating
# process is gone, a scratch directory in /tmp, or an orphaned test
# process is reported (and removed, so that one failure does not leak into
# the next run). Objects of a process still alive belong to a run still
# going (another build's `make check`) and are left alone.

failed=0
passed=0
note() {
	echo "sweep: $*" >&2
	failed=$((failed + 1))
}

alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# POSIX rings: /shmring-h-wake-PID-{a,b} (wakeup.c), /shmring-h-vg-PID-*
# (valgrind.sh). The Criterion programs' /shmring-t-PID-N (tests/testutil.h)
# are swept by tests/test_zleaks, which runs after every test program.
for f in /dev/shm/shmring-h-*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	pid=$(basename "$f" | sed -nE 's/^shmring-h-(wake-|vg-)?([0-9]+)-.*/\2/p')
	alive "$pid" && continue
	note "left in /dev/shm: $f"
	rm -f "$f"
done

# Scratch directories of the file: tests.
for d in /tmp/shmring-h-*; do
	[ -d "$d" ] || continue
	pid=$(basename "$d" | sed -n 's/^shmring-h-\([0-9]*\)$/\1/p')
	# mkdtemp names carry no pid: an empty leftover is removed quietly,
	# one with files is reported.
	if [ -z "$pid" ]; then
		if rmdir "$d" 2>/dev/null; then
			:
		elif ! find "$d" -newermt '-10 minutes' | grep -q .; then
			note "scratch directory left: $d"
			rm -rf "$d"
		fi
	fi
done

# System V segments: keys 0x5aPPPPNN (tu_sysv_name(), tests/testutil.h), left by a creator that
# is gone (ipcs -m -p names the creating pid).
if command -v ipcs >/dev/null 2>&1; then
	for id in $(ipcs -m 2>/dev/null | awk '$1 ~ /^0x5a/ { print $2 }'); do
		cpid=$(ipcs -m -p 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }')
		alive "$cpid" && continue
		note "System V segment left: id $id"
		ipcrm -m "$id" 2>/dev/null
	done
fi

# Orphaned test processes: a child whose test died is re-parented (to
# init or a subreaper) instead of dying with it.
orphans=$(ps -eo pid=,ppid=,comm= 2>/dev/null |
	awk '$3 ~ /^(test_hostile|test_signals|test_fullmem|test_perms|test_pidreuse|hardening-wakeu)/ && $2 == 1 { print $1 " " $3 }')
if [ -n "$orphans" ]; then
	note "orphaned test processes: $orphans"
fi

[ "$failed" -eq 0 ] && passed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
