#!/bin/sh
# pipe.sh - shmring send and recv as a shell pipeline: lines arrive
# exactly, in order, through spsc and mpmc rings small enough to wrap;
# end of stream ends recv; -n, --timeout, long lines, a busy role.
. "$(dirname "$0")/lib.sh"

R=$PFX-p

# ---- 1000 lines, send first, then recv ---------------------------------
seq 1000 >"$tmp/in"
run "$SHMRING" create "$R"
check "create" rc_is 0
bg "$tmp/in" /dev/null $T "$SHMRING" send "$R"
sender=$bg
run "$SHMRING" recv "$R"
check "recv exits 0 at end of stream" rc_is 0
check "recv gets the 1000 lines exactly" cmp -s "$tmp/in" "$tmp/out"
wait "$sender"
check "send exits 0" test $? -eq 0
run "$SHMRING" info --json "$R"
json_check "the counters saw 1000 messages each way" "$tmp/out" \
	"d['stats']['msgs_sent'] == 1000 and d['stats']['msgs_recv'] == 1000 and d['used'] == 0"
"$SHMRING" rm "$R"

# ---- the same, recv first: it waits for a producer to come ------------
"$SHMRING" create "$R"
bg /dev/null "$tmp/out2" $T "$SHMRING" recv "$R"
receiver=$bg
wait_for info_has "$R" '"consumers": 1'
run "$SHMRING" send "$R" <"$tmp/in"
check "send into a waiting recv" rc_is 0
wait "$receiver"
check "recv started first exits 0" test $? -eq 0
check "recv started first gets the lines exactly" cmp -s "$tmp/in" "$tmp/out2"
"$SHMRING" rm "$R"

# ---- the pipeline of the manual ---------------------------------------
"$SHMRING" create "$R" && (seq 10 | $T "$SHMRING" send "$R") &
bg_pids="$bg_pids $!"
wait_for test -e "/dev/shm/${R#/}"
run "$SHMRING" recv "$R"
seq 10 >"$tmp/ten"
check "create && (seq 10 | send) & recv" cmp -s "$tmp/ten" "$tmp/out"
"$SHMRING" rm "$R"

# ---- a small spsc ring wraps many times; lines of every length --------
awk 'BEGIN { for (i = 0; i < 20000; i++) { s = ""; for (j = 0; j < i % 97; j++) s = s "x"; print i " " s } }' >"$tmp/var"
"$SHMRING" create "$R" --capacity 4k
bg "$tmp/var" /dev/null $T "$SHMRING" send "$R"
sender=$bg
run "$SHMRING" recv "$R"
wait "$sender"
check "20000 lines of 0..100 bytes through a 4k spsc ring" \
	test "$rc" -eq 0 -a $? -eq 0
check "... arrive exactly" cmp -s "$tmp/var" "$tmp/out"
"$SHMRING" rm "$R"

# ---- mpmc, 8 slots ----------------------------------------------------
"$SHMRING" create "$R" --kind mpmc --capacity 8 --max-msg 128
bg "$tmp/var" /dev/null $T "$SHMRING" send "$R"
sender=$bg
run "$SHMRING" recv "$R"
wait "$sender"
check "20000 lines through an 8-slot mpmc ring" test "$rc" -eq 0 -a $? -eq 0
check "... arrive exactly" cmp -s "$tmp/var" "$tmp/out"
"$SHMRING" rm "$R"

# ---- -n stops after COUNT; the rest stays for the next consumer ------
"$SHMRING" create "$R"
seq 10 | $T "$SHMRING" send "$R"
run "$SHMRING" recv -n 4 "$R"
check "recv -n 4 exits 0" rc_is 0
check "recv -n 4 prints the first four" test "$(cat "$tmp/out" | tr '\n' ' ')" = "1 2 3 4 "
run "$SHMRING" recv "$R"
check "the next recv takes the rest, then the end of stream" \
	test "$rc" -eq 0 -a "$(cat "$tmp/out" | tr '\n' ' ')" = "5 6 7 8 9 10 "
"$SHMRING" rm "$R"

# ---- empty lines, and a last line without its newline -----------------
"$SHMRING" create "$R"
printf 'a\n\n\nb c\nlast' | $T "$SHMRING" send "$R"
run "$SHMRING" recv "$R"
printf 'a\n\n\nb c\nlast\n' >"$tmp/expect"
check "empty lines are empty messages; the last line counts" \
	cmp -s "$tmp/expect" "$tmp/out"
"$SHMRING" rm "$R"

# ---- timeouts ---------------------------------------------------------
"$SHMRING" create "$R" --capacity 1k
run "$SHMRING" recv "$R" --timeout 0.2
check "recv --timeout on an empty ring fails with one line" \
	fails_with 1 "shmring: recv: $R: no message within the timeout"
"$SHMRING" rm "$R"
# No consumer yet: send fills the ring, then waits for room.
"$SHMRING" create "$R" --capacity 1k
seq 1000 >"$tmp/many"
run "$SHMRING" send "$R" --timeout 0.2 <"$tmp/many"
check "send --timeout on a ring that stays full fails with one line" \
	fails_with 1 "shmring: send: $R: ring still full after the timeout"
run "$SHMRING" recv "$R" --timeout 0
check "recv --timeout 0 drains what is there up to the end of stream" \
	test "$rc" -eq 0 -a "$(head -n 1 "$tmp/out")" = 1 -a "$(wc -l <"$tmp/out")" -gt 10
"$SHMRING" rm "$R"

# ---- a line longer than the ring's largest message -------------------
"$SHMRING" create "$R" --capacity 1k --max-msg 16
printf 'short\n0123456789abcdefXYZ\nnever\n' >"$tmp/long"
run "$SHMRING" send "$R" <"$tmp/long"
check "send of a line over max-msg fails with one line" \
	fails_with 1 "shmring: send: $R: line 2 is 19 bytes"
run "$SHMRING" recv "$R"
check "what came before it was sent" test "$rc" -eq 0 -a "$(cat "$tmp/out")" = short
"$SHMRING" rm "$R"

# ---- an spsc ring has one consumer -----------------------------------
"$SHMRING" create "$R"
bg /dev/null /dev/null $T "$SHMRING" recv "$R"
receiver=$bg
wait_for info_has "$R" '"consumers": 1'
run "$SHMRING" recv "$R"
check "a second consumer on an spsc ring fails with one line" \
	fails_with 1 "shmring: recv: $R: a live consumer is attached already"
echo bye | $T "$SHMRING" send "$R"
wait "$receiver"
check "the first consumer ends at end of stream" test $? -eq 0
"$SHMRING" rm "$R"

# ---- a broadcast ring: history for a late subscriber, the policy shown --
"$SHMRING" create "$R" --kind bcast --overwrite --capacity 4k
run "$SHMRING" send "$R" <"$tmp/ten"
check "send into a broadcast ring nobody reads" rc_is 0
run "$SHMRING" recv "$R" --from oldest
check "recv --from oldest replays what the ring holds" cmp -s "$tmp/ten" "$tmp/out"
run "$SHMRING" recv "$R" --timeout 0
check "recv without it starts after its attach: the end of stream at once" \
	test "$rc" -eq 0 -a ! -s "$tmp/out"
run "$SHMRING" info --json "$R"
json_check "info says the policy and the losses" "$tmp/out" \
	"d['kind'] == 'bcast' and d['policy'] == 'overwrite' and d['msgs_lost'] == 0"
run "$SHMRING" ls
check "ls shows the overwrite policy" grep -q " bcast/overwrite " "$tmp/out"
seq 2000 | $T "$SHMRING" send "$R"
run "$SHMRING" recv "$R" --from oldest
check "an overwriting publisher kept only the newest lines" \
	test "$rc" -eq 0 -a "$(tail -n 1 "$tmp/out")" = 2000 -a "$(head -n 1 "$tmp/out")" -gt 1
"$SHMRING" rm "$R"
run "$SHMRING" create "$R" --overwrite
check "--overwrite is for broadcast rings" rc_is 2

finish
