#!/bin/sh
# scan.sh - what shmring ls makes of /dev/shm: a live ring is ok, a ring
# whose processes are all dead is stale, a ring with a scribbled header
# is corrupt (with the reason), an object of another program is skipped;
# rm --stale --prefix removes the stale ones, and only those.
. "$(dirname "$0")/lib.sh"

LIVE=$PFX-live
STALE=$PFX-stale
BAD=$PFX-bad
UNFINISHED=$PFX-unfinished
FOREIGN=/shmring-t-$$-foreign

# A ring with a consumer attached: alive. recv ends by itself if the
# test dies without cleaning up.
"$SHMRING" create "$LIVE"
"$SHMRING" recv "$LIVE" --timeout 60 >/dev/null 2>&1 </dev/null &
consumer=$!
bg_pids="$bg_pids $consumer"
check "a consumer attaches to the live ring" \
	wait_for info_has "$LIVE" '"consumers": 1'

# Its creator (shmring create) has exited and nobody attached: stale.
"$SHMRING" create "$STALE"

# A ring whose capacity (offset 24) is scribbled to 3, not a power of two.
"$SHMRING" create "$BAD"
printf '\003\000\000\000\000\000\000\000' |
	dd of="/dev/shm/${BAD#/}" bs=1 seek=24 conv=notrunc 2>/dev/null
# A ring whose state word (offset 12) says its creation never finished.
"$SHMRING" create "$UNFINISHED"
printf '\000\000\000\000' |
	dd of="/dev/shm/${UNFINISHED#/}" bs=1 seek=12 conv=notrunc 2>/dev/null

# Another program's object: random bytes.
head -c 4096 /dev/urandom >"/dev/shm/${FOREIGN#/}"

run "$SHMRING" ls
check "ls succeeds" rc_is 0
check "ls says the ring in use is ok" \
	grep -q "^$LIVE  *spsc .*  *0  *1  *[0-9]*  *[0-9]*s  *ok$" "$tmp/out"
check "ls says the abandoned ring is stale" \
	grep -q "^$STALE  *spsc .* stale$" "$tmp/out"
check "ls flags the scribbled ring corrupt, with the reason" \
	grep -q "^$BAD  .*corrupt: .*capacity 3 is not a power of two$" "$tmp/out"
check "ls flags the unfinished ring corrupt, with the reason" \
	grep -q "^$UNFINISHED  .*corrupt: its creation never finished$" "$tmp/out"
check "ls skips the foreign object" sh -c "! grep -q '$FOREIGN' '$tmp/out'"

run "$SHMRING" ls --json
check "ls --json succeeds" rc_is 0
json_check "ls --json gives each state, and skips the foreign object" "$tmp/out" \
	"{r['name']: r['state'] for r in d if r['name'].startswith('$PFX') or r['name'] == '$FOREIGN'} == {'$LIVE': 'ok', '$STALE': 'stale', '$BAD': 'corrupt', '$UNFINISHED': 'corrupt'} and 'power of two' in [r for r in d if r['name'] == '$BAD'][0]['error']"

# Opening a ring still being created waits for it a second: done with it.
"$SHMRING" rm "$UNFINISHED"

run "$SHMRING" info "$BAD"
check "info of the corrupt ring fails with one line saying why" \
	fails_with 1 "shmring: info: $BAD: inconsistent header: capacity 3"
run "$SHMRING" info "$FOREIGN"
check "info of the foreign object fails with one line" \
	fails_with 1 "shmring: info: $FOREIGN: not a shmring region"
run "$SHMRING" info "$LIVE"
check "info of the live ring lists its consumer as alive" \
	grep -q "^ *$consumer  *consumer  .*  yes$" "$tmp/out"

# ---- rm --stale, limited to this test's rings ---------------------------
run "$SHMRING" rm --stale --prefix "$PFX"
check "rm --stale --prefix exits 0" rc_is 0
check "rm --stale says what it removed: the stale ring only" \
	test "$(cat "$tmp/out")" = "removed $STALE"
check "the stale ring is gone" test ! -e "/dev/shm/${STALE#/}"
check "the live ring stays" test -e "/dev/shm/${LIVE#/}"
check "the corrupt ring stays" test -e "/dev/shm/${BAD#/}"
check "the foreign object stays" test -e "/dev/shm/${FOREIGN#/}"

# The consumer dies without detaching: the ring is abandoned for good.
kill -KILL "$consumer"
wait "$consumer" 2>/dev/null
run "$SHMRING" info --json "$LIVE"
json_check "info sees the dead consumer, not yet reaped" "$tmp/out" \
	"d['state'] == 'stale' and [p['alive'] for p in d['peers']] == [False]"
run "$SHMRING" ls
check "ls now says that ring is stale" grep -q "^$LIVE  .* stale$" "$tmp/out"
run "$SHMRING" rm --stale --prefix "$PFX"
check "rm --stale removes it" \
	test "$rc" -eq 0 -a "$(cat "$tmp/out")" = "removed $LIVE" -a ! -e "/dev/shm/${LIVE#/}"
run "$SHMRING" rm --stale --prefix "$PFX"
check "rm --stale with nothing stale removes nothing" \
	test "$rc" -eq 0 -a ! -s "$tmp/out"

# A corrupt ring is still removed by name; a foreign object is not.
run "$SHMRING" rm "$BAD"
check "rm of the corrupt ring by name" test "$rc" -eq 0 -a ! -e "/dev/shm/${BAD#/}"
run "$SHMRING" rm "$FOREIGN"
check "rm refuses the foreign object" fails_with 1 "shmring: rm: $FOREIGN: not a shmring region"

finish
