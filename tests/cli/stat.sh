#!/bin/sh
# stat.sh - shmring stat on a ring with traffic (rates, sleepers, JSON
# lines, a clean exit on SIGINT) and shmring limits.
. "$(dirname "$0")/lib.sh"

R=$PFX-s

# ---- a busy ring: a producer that never stops, a consumer -------------
"$SHMRING" create "$R" --capacity 64k
bg /dev/null /dev/null $T "$SHMRING" recv "$R"
receiver=$bg
# $! is the pipeline's last command, the sender's timeout(1), which
# passes a TERM on; yes(1) then dies of SIGPIPE.
yes 'a line of traffic' | $T "$SHMRING" send "$R" &
sender=$!
bg_pids="$bg_pids $sender"
check "the consumer and the producer attach" \
	wait_for info_has "$R" '"producers": 1'
check "... both" wait_for info_has "$R" '"consumers": 1'

run "$SHMRING" stat "$R" -w 0.2 -n 2
check "stat -n 2 exits 0" rc_is 0
check "stat prints a title, the heads and two refreshes" \
	test "$(wc -l <"$tmp/out")" -eq 4
check "stat's title names the ring" grep -q "^$R: spsc, capacity 64.0K, every 0.2s$" "$tmp/out"
check "stat's heads" grep -q \
	'^TIME  *MSGS/S  *BYTES/S  *RECV/S  *FILL%  *PROD  *CONS  *C-SLEEP  *P-SLEEP$' \
	"$tmp/out"
check "stat shows msgs/s flowing" \
	awk 'NR > 2 && $2 != "0" { moving = 1 } END { exit !moving }' "$tmp/out"
check "stat shows one producer and one consumer" \
	awk 'NR > 2 && !($6 == 1 && $7 == 1) { bad = 1 } END { exit bad }' "$tmp/out"

run "$SHMRING" stat "$R" -w 0.2 -n 3 --json
check "stat --json exits 0" rc_is 0
check "stat --json prints one line per refresh" test "$(wc -l <"$tmp/out")" -eq 3
# (Traffic in some refresh, not each: a loaded machine may stall both.)
JSONL=1 json_check "stat --json lines are JSON, with traffic" "$tmp/out" \
	"d['name'] == '$R' and d['producers'] == 1 and d['consumers'] == 1 and 0 <= d['fill_pct'] <= 100 and all(k in d for k in ('bytes_per_s', 'recv_msgs_per_s', 'recv_bytes_per_s', 'data_waiters', 'space_waiters', 'msgs_sent', 'msgs_recv', 'time_ns', 'interval_s')) and any(e['msgs_per_s'] > 0 and e['bytes_per_s'] > 0 for e in docs)"

# (Braces: the shell's "Terminated" notice goes to /dev/null too.)
{
	kill "$sender"
	wait "$sender"
} 2>/dev/null
wait "$receiver"
check "the consumer sees the end of stream when the producer goes" test $? -eq 0

# ---- sleepers: a consumer asleep on an empty ring ---------------------
"$SHMRING" rm "$R"
"$SHMRING" create "$R"
bg /dev/null /dev/null $T "$SHMRING" recv "$R"
receiver=$bg
check "a consumer waiting on an empty ring is counted as asleep" \
	wait_for info_has "$R" '"data_waiters": 1'
run "$SHMRING" stat "$R" -w 0.1 -n 1
check "stat shows the sleeping consumer" \
	awk 'NR == 3 && $8 == 1 && $9 == 0 { ok = 1 } END { exit !ok }' "$tmp/out"
# The producer's end of stream wakes it.
: | $T "$SHMRING" send "$R"
wait "$receiver"
check "... and the end of stream wakes it" test $? -eq 0

# ---- without -n, stat runs until SIGINT and then exits 0 -------------
# Not under timeout(1): the signal goes to stat itself, not through a
# process that passes it on (the script's own limit bounds a stat that
# would not stop). Its first lines come after its handler is installed.
bg /dev/null "$tmp/stat-int" "$SHMRING" stat "$R" -w 0.05
stat_pid=$bg
check "stat without -n keeps refreshing" \
	wait_for awk 'END { exit NR < 4 }' "$tmp/stat-int"
kill -INT "$stat_pid"
wait "$stat_pid"
rc=$?
check "stat exits 0 on SIGINT (it exited $rc)" rc_is 0
"$SHMRING" rm "$R"

# ---- limits ------------------------------------------------------------
run "$SHMRING" limits
check "limits exits 0" rc_is 0
for field in SHMMAX SHMALL SHMMNI SHMSEG '/dev/shm size' '/dev/shm free' \
	HugePages_Total HugePages_Free Hugepagesize 'RLIMIT_MEMLOCK soft' \
	'RLIMIT_MEMLOCK hard'; do
	check "limits shows $field" grep -q "^$field  " "$tmp/out"
done
check "limits says SHMSEG has no Linux limit" grep -q '^SHMSEG .*no per-process' "$tmp/out"
check "limits gives RLIMIT_MEMLOCK as a number or unlimited" \
	grep -Eq '^RLIMIT_MEMLOCK soft +([0-9]+|unlimited)' "$tmp/out"
run "$SHMRING" limits --json
check "limits --json exits 0" rc_is 0
json_check "limits --json is JSON with every field" "$tmp/out" \
	"d['shmmax'] > 0 and d['shmmni'] > 0 and 'shmall_pages' in d and d['shmseg'] == 'unlimited' and d['dev_shm']['size'] > 0 and 'free' in d['dev_shm'] and all(k in d['hugepages'] for k in ('total', 'free', 'size')) and all(k in d['rlimit_memlock'] for k in ('soft', 'hard'))"

finish
