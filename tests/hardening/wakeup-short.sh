#!/bin/sh
# wakeup-short.sh - `make check`'s form of the lost wake-up test: 2e4
# sleep/wake hand-offs on a tiny SPSC ring, 2e4 on a tiny MPMC ring, and
# 2e4 messages from one publisher to 3 subscribers on a tiny broadcast
# ring, nobody spinning (see wakeup.c). The 1e7 run is wakeup-long.sh.
#
#   usage: wakeup-short.sh [PROGRAM]   (default: $top_builddir/tests/hardening/hardening-wakeup)

prog=${1:-${top_builddir:-.}/tests/hardening/hardening-wakeup}
n=${SHMRING_WAKEUP_HANDOFFS:-20000}
passed=0
failed=0

if [ ! -x "$prog" ]; then
	echo "wakeup-short: $prog not built" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
for kind in spsc mpmc bcast; do
	# timeout: the program has its own watchdog; this one catches a
	# program that hangs outside a receive.
	if out=$(timeout 300 "$prog" -n "$n" -k "$kind" 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "wakeup-short: FAIL ($kind)" >&2
	fi
	printf '%s\n' "$out" | grep '^wakeup:'
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
