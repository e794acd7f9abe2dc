# common.sh - sourced by check-short.sh and long.sh: run one stress
# configuration under a hard time limit, keep its SUMMARY line, count it.
#
# Callers set STRESS (the shmring-stress program) and may set OUT (a file
# that collects the SUMMARY lines). Each configuration is
#   run_config NAME EXPECT LIMIT_SECS ARGS...
# where EXPECT is the exit status that counts as a pass: 0 for a real run,
# 1 or 2 for a verifier self-test that must fail (violation, hang); as
# RC:FIELD=VALUE, the SUMMARY line must also show FIELD=VALUE.

passed=0
failed=0
skipped=0

# Sanitized builds run several times slower, and a fork costs far more:
# scale message counts down and the intervals between kills up.
scale=1
case $("$STRESS" --build-info 2>/dev/null) in
*sanitizers=none*) ;;
*sanitizers=*) scale=10 ;;
esac

# n COUNT: COUNT divided by the build's scale.
n() {
	echo $(( $1 / scale ))
}

# k MS: an interval between kills, multiplied by the build's scale.
k() {
	echo $(( $1 * scale ))
}

run_config() {
	name=$1 expect=${2%%:*} limit=$3 field=
	case $2 in *:*) field=${2#*:} ;; esac
	shift 3
	echo "== $name: shmring-stress $*"
	# -k: a harness that ignores SIGTERM for 10 s more is SIGKILLed.
	line=$(timeout -k 10 "$limit" "$STRESS" --quiet "$@")
	rc=$?
	printf '%s\n' "$line"
	if [ -n "$OUT" ]; then
		printf '%s\n' "$line" | grep '^SUMMARY' >>"$OUT"
	fi
	if [ "$rc" = 77 ]; then
		echo "SKIP: $name (ring kind not supported by the library)"
		skipped=$((skipped + 1))
	elif [ "$rc" = "$expect" ] && { [ -z "$field" ] ||
		printf '%s\n' "$line" | grep -q "^SUMMARY.* $field "; }; then
		echo "PASS: $name"
		passed=$((passed + 1))
	else
		case $rc in
		124|137) why="killed by timeout after $limit s" ;;
		*) why="exit $rc, expected $expect${field:+ with $field}" ;;
		esac
		echo "FAIL: $name ($why)"
		failed=$((failed + 1))
	fi
}

# The closing lines: a Criterion-like synthesis (the test log compiler
# echoes it to the terminal), then the plain count, last.
finish() {
	echo "shmring-stress Synthesis: Tested: $((passed + failed)) |" \
		"Passing: $passed | Failing: $failed | Skipped: $skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
