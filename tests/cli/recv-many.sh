#!/bin/sh
# recv-many.sh - shmring recv of several rings at once (shmring_poll):
# every line of every ring arrives, each after its ring's name with -p, in
# order within its ring; recv ends when every ring has ended; -n counts
# all rings; a timeout with nothing coming fails.
. "$(dirname "$0")/lib.sh"

A=$PFX-ma
B=$PFX-mb
C=$PFX-mc

"$SHMRING" create "$A"
"$SHMRING" create "$B" --kind mpmc --capacity 8 --max-msg 128
"$SHMRING" create "$C" --capacity 4k
bg /dev/null "$tmp/out3" $T "$SHMRING" recv -p "$A" "$B" "$C"
receiver=$bg
wait_for info_has "$C" '"consumers": 1'
seq 1 500 | sed 's/^/a/' >"$tmp/a"
seq 1 500 | sed 's/^/b/' >"$tmp/b"
seq 1 2000 | sed 's/^/c/' >"$tmp/c"
bg "$tmp/a" /dev/null $T "$SHMRING" send "$A"
sa=$bg
bg "$tmp/b" /dev/null $T "$SHMRING" send "$B"
sb=$bg
bg "$tmp/c" /dev/null $T "$SHMRING" send "$C"
sc=$bg
wait "$sa"
wait "$sb"
wait "$sc"
wait "$receiver"
check "recv of three rings exits 0 once all three ended" test $? -eq 0
check "3000 lines in all" test "$(wc -l <"$tmp/out3")" -eq 3000
for r in a b c; do
	case $r in a) n=$A ;; b) n=$B ;; c) n=$C ;; esac
	grep "^$n: " "$tmp/out3" | sed "s|^$n: ||" >"$tmp/got-$r"
	check "ring $r: every line, in order, after its name" \
		cmp -s "$tmp/$r" "$tmp/got-$r"
done
"$SHMRING" rm "$A" "$B" "$C"

# ---- -n counts across rings; a timeout with nothing coming fails -----
"$SHMRING" create "$A"
"$SHMRING" create "$B"
seq 5 | $T "$SHMRING" send "$A"
seq 5 | $T "$SHMRING" send "$B"
run "$SHMRING" recv -n 7 "$A" "$B"
check "-n 7 over two rings stops after 7 lines" \
	test "$rc" -eq 0 -a "$(wc -l <"$tmp/out")" -eq 7
"$SHMRING" rm "$A" "$B"
"$SHMRING" create "$A"
"$SHMRING" create "$B"
run "$SHMRING" recv --timeout 0.2 "$A" "$B"
check "nothing within the timeout: fails" test "$rc" -eq 1
"$SHMRING" rm "$A" "$B"

finish
