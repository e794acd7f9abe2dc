#!/bin/sh
# check.sh - model-check the sleep/wake protocol (model/wait.pml) with spin:
# the protocol as built (full fences; membarrier on the sleeper's side; the
# asleep word; one publisher waking two subscribers by bits) must verify,
# and the broken variants (no fence; publisher's light fence without the
# sleeper's membarrier; no re-check; the futex word read after the
# announcement, which the publisher's taking of it breaks; the futex word
# bumped only for a sleeper found asleep; the asleep bit set without a
# fence; a publisher taking one subscriber's bit only, or waking one
# sleeper only) must FAIL verification, each with a
# lost wake-up found (an invalid end state: a process asleep for good).
# Skipped (77) where spin is not installed (Debian package `spin`).
#
#   usage: check.sh [MODEL]   (default: $top_srcdir/model/wait.pml)
#
# The counterexample of each broken variant is printed by
#   spin -DVARIANT -t -p MODEL   (in the directory with the .trail file)

model=${1:-${top_srcdir:-.}/model/wait.pml}
cc=${CC:-cc}
passed=0
failed=0

if ! command -v spin >/dev/null 2>&1; then
	echo "model: skipped: spin is not installed (apt-get install spin)"
	echo "0 passed, 0 failed"
	exit 77
fi
if [ ! -r "$model" ]; then
	echo "model: $model not found" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
work=$(mktemp -d "${TMPDIR:-/tmp}/shmring-model-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

# verify NAME EXPECT [SPIN FLAGS]: EXPECT is "holds" or "fails".
verify() {
	name=$1 expect=$2
	shift 2
	dir=$work/$name
	mkdir -p "$dir"
	if ! (cd "$dir" && spin "$@" -a "$model" >spin.log 2>&1 &&
		$cc -O0 -w -DSAFETY -DMEMLIM=2048 -o pan pan.c >cc.log 2>&1); then
		echo "model: $name: cannot build the verifier" >&2
		cat "$dir/spin.log" "$dir/cc.log" >&2 2>/dev/null
		failed=$((failed + 1))
		return
	fi
	(cd "$dir" && ./pan -m1000000 >pan.log 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log" | head -1)
	states=$(sed -n 's/^ *\([0-9e+.]*\) states, stored.*/\1/p' "$dir/pan.log" | head -1)
	why=$(grep -o -m1 -e 'invalid end state' -e 'assertion violated.*' \
		"$dir/pan.log")
	if grep -q 'max search depth too small' "$dir/pan.log"; then
		echo "model: $name: search truncated (raise -m)" >&2
		failed=$((failed + 1))
		return
	fi
	case $expect/$errors in
	holds/0)
		echo "model: $name: verified, no lost wake-up ($states states)"
		passed=$((passed + 1)) ;;
	fails/[1-9]*)
		echo "model: $name: lost wake-up found as expected ($why)"
		passed=$((passed + 1)) ;;
	*)
		echo "model: $name: expected the model to $expect, got errors: ${errors:-?}" >&2
		sed 's/^/  /' "$dir/pan.log" | head -20 >&2
		failed=$((failed + 1)) ;;
	esac
}

verify full-fences holds
verify membarrier holds -DMEMBARRIER
verify full-fences-cap2 holds -DCAP=2 -DN=4
verify no-fence fails -DNO_FENCE
verify light-fence-only fails -DLIGHT_ONLY
verify no-recheck fails -DNO_RECHECK
verify late-read fails -DLATE_READ
verify late-read-cap2 fails -DLATE_READ -DCAP=2 -DN=4
verify token-only holds -DNO_ASLEEP
verify bump-if-asleep fails -DBUMP_IF_ASLEEP
verify asleep-no-fence fails -DASLEEP_NO_FENCE
verify bcast-2subs holds -DSUBS=2 -DN=2
verify bcast-2subs-membarrier holds -DSUBS=2 -DN=2 -DMEMBARRIER
verify bcast-2subs-take-one fails -DSUBS=2 -DN=2 -DTAKE_ONE
verify bcast-2subs-wake-one fails -DSUBS=2 -DN=2 -DWAKE_ONE
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
