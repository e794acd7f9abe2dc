#!/bin/sh
# replay.sh - `make check`'s use of the fuzzers: every input of the seed
# corpora (fuzz/corpus/TARGET/*) through its target, built with the
# project's compiler and flags (fuzz/replay.c), so that an input that once
# found a hole keeps guarding against it. A crash or a hang (60 s per
# target) fails.
#
#   usage: replay.sh   (uses $top_srcdir and $top_builddir, default .)

src=${top_srcdir:-.}
bld=${top_builddir:-.}
passed=0
failed=0

for t in region spsc mpmc bcast; do
	prog=$bld/fuzz/replay-$t
	dir=$src/fuzz/corpus/fuzz_$t
	if [ ! -x "$prog" ]; then
		echo "replay: $prog not built" >&2
		failed=$((failed + 1))
		continue
	fi
	n=$(ls "$dir" | wc -l)
	bad=
	# All inputs in one run; if that fails, one at a time to name them.
	if ! timeout 60 "$prog" "$dir"/* >/dev/null 2>&1; then
		for f in "$dir"/*; do
			if ! timeout 20 "$prog" "$f" >/dev/null 2>"${TMPDIR:-/tmp}/replay-$$.err"; then
				bad="$bad $(basename "$f")"
				sed 's/^/  /' "${TMPDIR:-/tmp}/replay-$$.err" | head -20 >&2
			fi
		done
		rm -f "${TMPDIR:-/tmp}/replay-$$.err"
		[ -n "$bad" ] || bad=" (all together only)"
	fi
	if [ -n "$bad" ]; then
		echo "replay: fuzz_$t: FAILED on:$bad" >&2
		failed=$((failed + 1))
	else
		echo "replay: fuzz_$t: $n inputs, all passed"
		passed=$((passed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
