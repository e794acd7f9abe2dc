#!/bin/sh
# run-test.sh - automake log compiler: run one test program with its output
# going to the harness's .log, and echo Criterion's summary line to fd 9
# (the terminal) so that every run shows how many tests executed; the
# scripts and plain-C tests print a line 'N passed, N failed' instead.
# When the program fails, what says why (Criterion's failed assertions and
# their messages, the scripts' FAIL lines, sanitizer reports, each with
# the line before it) goes to the terminal too, so that a run whose logs
# are gone still shows it.
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
{
	printf '%s\n' "$out" | grep -E 'Synthesis:|^[0-9]+ passed, [0-9]+ failed'
	# 77: skipped, which says why in its own summary line.
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		printf '%s: exit %d; from its log:\n' "$1" "$rc"
		printf '%s\n' "$out" | grep -B 1 -E \
			'^\[----\]|^\[FAIL\]|FAIL|[Tt]imed out|[Cc]rash|Sanitizer:|runtime error:' |
			head -40 | sed 's/^/  | /'
	fi
} >&9 2>/dev/null
exit $rc
