#!/bin/sh
# wakeup-long.sh - `make stress-hardening`: 1e7 sleep/wake hand-offs on a
# tiny SPSC ring, then 1e7 on a tiny MPMC ring, then 1e6 messages to 3
# subscribers of a tiny broadcast ring (3e6 hand-offs), nobody spinning;
# the result lines go to OUT (tests/hardening/last-long-run.txt), with
# the date and the machine, for the README.
#
#   usage: wakeup-long.sh PROGRAM OUT     (about 10 to 20 minutes)

prog=$1
out=$2
n=${SHMRING_WAKEUP_HANDOFFS:-10000000}
passed=0
failed=0
tmp=$out.tmp

if [ -z "$prog" ] || [ -z "$out" ] || [ ! -x "$prog" ]; then
	echo "usage: wakeup-long.sh PROGRAM OUT" >&2
	exit 2
fi
{
	echo "# make stress-hardening, $(date -u '+%Y-%m-%d %H:%M UTC')," \
		"$(uname -sr), $(nproc) CPUs"
} >"$tmp"
for kind in spsc mpmc bcast; do
	count=$n
	[ "$kind" = bcast ] && count=$((n / 10))
	if res=$(timeout 7200 "$prog" -n "$count" -k "$kind" -v); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	line=$(printf '%s\n' "$res" | grep '^wakeup:')
	[ -n "$line" ] || line="wakeup: $kind: no result (exit status $?)"
	echo "$line"
	echo "$line" >>"$tmp"
done
echo "$passed passed, $failed failed" | tee -a "$tmp"
mv "$tmp" "$out"
[ "$failed" -eq 0 ]
