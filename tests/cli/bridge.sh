#!/bin/sh
# bridge.sh - shmring bridge: ring -> bridge -> TCP -> bridge -> ring over
# 127.0.0.1 and between two network namespaces, every message checked
# (tests/cli/bridge-peer.c); back-pressure from a far ring that fills;
# SIGKILL of either bridge and restart; CURVE refusing a client without
# the server's key.
SHMRING_CLI_LIMIT=${SHMRING_CLI_LIMIT:-400}
. "$(dirname "$0")/lib.sh"

BP=$top_builddir/tests/cli/bridge-peer
if ! "$SHMRING" bridge --help >/dev/null 2>&1; then
	echo "skip: shmring was built without ZeroMQ: no bridge command"
	echo "0 passed, 0 failed"
	exit 77
fi
# libzmq is not built with ThreadSanitizer: see the file for why.
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }suppressions=$(cd "$(dirname "$0")" && pwd)/bridge.tsan"
export TSAN_OPTIONS
# The long waits of this file: a stream, not a single command.
TL="timeout -k 5 200"

# start_bridge LOG ARGS...: a bridge in the background, -v; pid in $bg.
start_bridge() {
	sb_log=$1
	shift
	bg /dev/null "$sb_log" $NETNS "$SHMRING" bridge -v "$@"
}

# start_in LOG RING [OPTS...]: a receiving bridge bound to a port the
# kernel picks (on $HOST, or the endpoint $BIND); endpoint in $ep.
start_in() {
	si_log=$1
	si_ring=$2
	shift 2
	start_bridge "$si_log" "$@" --bind "${BIND:-tcp://${HOST:-127.0.0.1}:*}" \
		"$si_ring"
	wait_for grep -q '^shmring: bridge: bound ' "$si_log"
	ep=$(sed -n 's/^shmring: bridge: bound //p' "$si_log" | head -1)
}

# logs_if_failed SINCE LOG...: when a check failed since the count SINCE,
# the bridges' logs, to see why.
logs_if_failed() {
	lf_since=$1
	shift
	[ "$fail" -gt "$lf_since" ] || return 0
	for lf in "$@"; do
		sed "s|^|  ${lf##*/}: |" "$lf" | tail -20
	done
}

# stat_of RING FIELD: a figure of `shmring info --json` (first match).
stat_of() {
	$T "$SHMRING" info --json "$1" 2>/dev/null |
		sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" | head -1
}

# at_least RING FIELD N: the figure has reached N.
at_least() {
	v=$(stat_of "$1" "$2")
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# The documented bound on what a bridged pair holds in flight, in
# messages (shmring(1), "bridge"): BATCH HWM TCP_BUF SMALLEST-MESSAGE.
# The kernel buffers are 64 KiB, the least the bridge takes.
inflight_bound() {
	echo $(($1 * (2 * $2 + 4) + (4 * $3 + 16384) / (4 + $4)))
}

# ---- 1. 1e6 random-size messages over 127.0.0.1, then end of stream ---
N=$("$BP" scale 1000000)
A=$PFX-a1
B=$PFX-b1
"$SHMRING" create "$A" && "$SHMRING" create "$B"
start_in "$tmp/in1" "$B"
in1=$bg
check "the receiving bridge binds a port of the kernel's choice" \
	test -n "$ep"
start_bridge "$tmp/out1" "$A" "$ep"
out1=$bg
bg /dev/null "$tmp/cons1" $TL "$BP" consume "$B" "$N"
cons1=$bg
$TL "$BP" produce "$A" "$N" --seed 7 --max 300 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "the producer sends $N messages" rc_is 0
wait "$cons1"
check "the far consumer checks every message" test $? -eq 0
check "all $N arrive once, in order, intact, then the end of stream" \
	grep -qx "received $N lost 0 last $((N - 1)) eos 1" "$tmp/cons1"
wait "$out1"
check "the sending bridge ends after forwarding the end of stream" \
	test $? -eq 0
wait "$in1"
check "the receiving bridge ends at the end of stream" test $? -eq 0
$T "$SHMRING" stat -n 1 -w 0.01 --json "$B" >"$tmp/out" 2>"$tmp/err"
JSONL=1 json_check "the far ring's stat shows the bridge's counters" "$tmp/out" \
	"[(b['dir'], b['msgs'], b['lost'], b['dup'], b['eos']) for b in d['bridges']] == [('in', $N, 0, 0, True)]"
$T "$SHMRING" stat -n 1 -w 0.01 --json "$A" >"$tmp/out" 2>"$tmp/err"
JSONL=1 json_check "the near ring's stat shows them too" "$tmp/out" \
	"[(b['dir'], b['msgs'], b['seq']) for b in d['bridges']] == [('out', $N, $N)]"
"$SHMRING" rm "$A" "$B"

# ---- 2. a far ring that fills stops the near producer -----------------
# No consumer on the far ring at first: it fills, the receiving bridge
# waits, the high-water marks fill, the sending bridge stops taking, the
# near ring fills and its producer waits. What the bridges hold between
# the two rings stays within the documented bound, far below the 10000
# messages of the stream. Checked failing with --hwm 0 (no high-water
# mark): the in-flight count passes the bound.
N2=10000
fail2=$fail
OPTS="--hwm 4 --batch 16 --tcp-buf 64k"
BOUND2=$(inflight_bound 16 4 65536 1024)
A=$PFX-a2
B=$PFX-b2
"$SHMRING" create "$A" --capacity 65536 && "$SHMRING" create "$B" --capacity 65536
start_in "$tmp/in2" "$B" $OPTS
start_bridge "$tmp/out2" $OPTS "$A" "$ep"
bg /dev/null "$tmp/prod2" $TL "$BP" produce "$A" "$N2" --min 1024 --max 2048
prod2=$bg
check "the far ring fills" wait_for at_least "$B" times_full 1
check "then the near ring fills: its producer waits" \
	wait_for at_least "$A" times_full 1
taken=$(stat_of "$A" msgs_recv)
put=$(stat_of "$B" msgs_sent)
check "in flight between the rings: $((taken - put)) <= $BOUND2 messages" \
	test $((taken - put)) -le "$BOUND2"
check "the near producer has not finished: nothing was dropped to let it" \
	kill -0 "$prod2"
$TL "$BP" consume "$B" "$N2" >"$tmp/out" 2>"$tmp/err"
check "once the far consumer comes, all $N2 arrive, in order, then eos" \
	grep -qx "received $N2 lost 0 last $((N2 - 1)) eos 1" "$tmp/out"
wait "$prod2"
check "the near producer then finishes" test $? -eq 0
logs_if_failed "$fail2" "$tmp/in2" "$tmp/out2"
"$SHMRING" rm "$A" "$B"

# ---- 3. SIGKILL of either bridge mid-stream, then a restart -----------
# MPMC rings; each end also holds the other role (--hold), so that a
# bridge's death is no end of stream. The consumer fails on a message
# repeated, out of order or damaged; what is lost stays within the bound
# for the two kills. The restarted sender must take over the dead one's
# numbering (its slot in the near ring): checked failing with a sender
# that starts its numbering again at 1 (cli-bridge.c, run): the receiving
# bridge then drops what it sends as copies until the numbers catch up,
# a quarter of the stream, beyond the bound.
# Not scaled down under sanitizers: the stream must outgrow the rings and
# the queues between them, and outlast the kills.
N3=30000
fail3=$fail
OPTS="--hwm 4 --batch 8 --tcp-buf 64k"
BOUND3=$((2 * $(inflight_bound 8 4 65536 200)))
A=$PFX-a3
B=$PFX-b3
"$SHMRING" create "$A" --kind mpmc --capacity 256 --max-msg 240 &&
	"$SHMRING" create "$B" --kind mpmc --capacity 256 --max-msg 240
start_in "$tmp/in3" "$B" $OPTS
in3=$bg
ep3=$ep
start_bridge "$tmp/out3" $OPTS "$A" "$ep3"
out3=$bg
bg /dev/null "$tmp/cons3" "$BP" consume "$B" "$N3" --hold
cons3=$bg
cons3pid=$bg
bg /dev/null "$tmp/prod3" $TL "$BP" produce "$A" "$N3" --hold --min 200 --max 240 \
	--rate $((N3 / 3))
prod3=$bg
check "a quarter of the stream is through" \
	wait_for at_least "$B" msgs_sent $((N3 / 4))
# Each kill comes with the far consumer stopped and the near ring full:
# the queues between are full, the most a kill can lose.
kill -STOP "$cons3pid"
check "with the far consumer stopped, the near ring fills" \
	wait_for at_least "$A" used 250
kill -KILL "$out3"
wait "$out3" 2>/dev/null
start_bridge "$tmp/out3b" $OPTS "$A" "$ep3"
kill -CONT "$cons3pid"
check "half of the stream is through, past the sender's restart" \
	wait_for at_least "$B" msgs_sent $((N3 / 2))
kill -STOP "$cons3pid"
check "stopped again, the near ring fills again" \
	wait_for at_least "$A" used 250
kill -KILL "$in3"
wait "$in3" 2>/dev/null
BIND=$ep3 start_in "$tmp/in3b" "$B" $OPTS
BIND=
kill -CONT "$cons3pid"
wait "$cons3"
check "after the two kills: nothing twice, nothing out of order, intact" \
	test $? -eq 0
lost=$(sed -n 's/.* lost \([0-9]*\) .*/\1/p' "$tmp/cons3")
check "lost to the kills: ${lost:-?} <= $BOUND3 messages" \
	test -n "$lost" -a "${lost:-0}" -le "$BOUND3"
check "the last message came" grep -q " last $((N3 - 1)) " "$tmp/cons3"
wait "$prod3"
check "the producer finishes" test $? -eq 0
$T "$SHMRING" stat -n 1 -w 0.01 --json "$A" >"$tmp/out" 2>"$tmp/err"
JSONL=1 json_check "the restarted sender continued the dead one's stream" \
	"$tmp/out" "[b['dir'] for b in d['bridges']] == ['out']"
$T "$SHMRING" stat -n 1 -w 0.01 --json "$B" >"$tmp/out" 2>"$tmp/err"
JSONL=1 json_check "so did the restarted receiver" \
	"$tmp/out" "[b['dir'] for b in d['bridges']] == ['in']"
logs_if_failed "$fail3" "$tmp/in3" "$tmp/out3" "$tmp/in3b" "$tmp/out3b"
"$SHMRING" rm "$A" "$B"

# ---- 3b. a replayed or late batch is dropped, not delivered again -----
# Batches written by the test itself: 1..3, 2..3 again, two malformed
# ones (dropped whole), 4..5, 1 again, end of stream. Checked failing with the drop of numbers at or below the
# last delivered removed (cli-bridge.c, take_batch): the consumer then
# sees message 1 after message 2.
B=$PFX-b3r
"$SHMRING" create "$B"
start_in "$tmp/in3r" "$B"
bg /dev/null "$tmp/cons3r" $TL "$BP" consume "$B" 5
cons3r=$bg
run $T "$BP" replay "$ep"
check "the replaying sender sends its batches" rc_is 0
wait "$cons3r"
check "messages 0..4 arrive once each, in order, then eos" \
	grep -qx "received 5 lost 0 last 4 eos 1" "$tmp/cons3r"
$T "$SHMRING" stat -n 1 -w 0.01 --json "$B" >"$tmp/out" 2>"$tmp/err"
JSONL=1 json_check "the receiving bridge counts the 3 copies it dropped" \
	"$tmp/out" "[(b['dup'], b['lost'], b['seq']) for b in d['bridges']] == [(3, 0, 5)]"
"$SHMRING" rm "$B"

# ---- 4. CURVE: a client without the server's key is refused ----------
# keys NAME: a key pair in $tmp/NAME.pub and $tmp/NAME.key.
keys() {
	"$SHMRING" bridge --keygen >"$tmp/$1.keys" 2>/dev/null &&
		sed -n 's/^public-key //p' "$tmp/$1.keys" >"$tmp/$1.pub" &&
		sed -n 's/^secret-key //p' "$tmp/$1.keys" >"$tmp/$1.key"
}
# refused LOG RING WHY: a client bridge from RING is turned away (the
# server's log says WHY) and none of its messages reach the far ring $B.
refused() {
	start_bridge "$tmp/$1" "$2" "$ep" $4
	rf_pid=$bg
	"$BP" produce "$2" 100 >/dev/null 2>&1
	check "the server turns away $1: $3" \
		wait_for grep -q "handshake failed: $3" "$tmp/in4"
	check "$1's messages were taken from its ring" \
		wait_for at_least "$2" msgs_recv 100
	check "none of $1's messages reach the far ring" \
		test "$(stat_of "$B" msgs_sent)" = 0
	kill "$rf_pid" 2>/dev/null
	wait "$rf_pid"
}
if keys server && keys client && keys stranger; then
	A=$PFX-a4
	A2=$PFX-a5
	A3=$PFX-a7
	B=$PFX-b4
	for r in "$A" "$A2" "$A3" "$B"; do "$SHMRING" create "$r"; done
	{ echo "# the one client let in"; cat "$tmp/client.pub"; } >"$tmp/clients"
	fail4=$fail
	start_in "$tmp/in4" "$B" --curve-secret-key "@$tmp/server.key" \
		--curve-clients "$tmp/clients"
	# Checked failing with a plain server (no keys given): the plain
	# client's 100 messages then arrive; and without --curve-clients:
	# the stranger's do.
	refused plain "$A" "wrong keys"
	refused stranger "$A3" "not authenticated" "--curve-server-key \
@$tmp/server.pub --curve-secret-key @$tmp/stranger.key"
	start_bridge "$tmp/out5" --curve-server-key "@$tmp/server.pub" \
		--curve-secret-key "@$tmp/client.key" "$A2" "$ep"
	bg /dev/null "$tmp/cons4" $TL "$BP" consume "$B" 100
	cons4=$bg
	run "$BP" produce "$A2" 100
	wait "$cons4"
	check "a listed client with the server's key gets its 100 through" \
		grep -qx "received 100 lost 0 last 99 eos 1" "$tmp/cons4"
	logs_if_failed "$fail4" "$tmp/in4" "$tmp/plain" "$tmp/stranger" \
		"$tmp/out5"
	"$SHMRING" rm "$A" "$A2" "$A3" "$B"
else
	echo "skip: CURVE (this libzmq has none)"
fi

# ---- 5. two hosts: two network namespaces joined by a veth pair -------
# Only addresses inside namespaces this test makes: 10.200.X.1 and .2.
NSA=shmring-t-$$-a
NSB=shmring-t-$$-b
X=$(($$ % 250 + 1))
netns_down() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
netns_up() {
	[ "$(id -u)" = 0 ] || { why="not root"; return 1; }
	command -v ip >/dev/null || { why="no ip(8) (iproute2)"; return 1; }
	why="cannot make network namespaces here"
	trap 'netns_down; cleanup' EXIT
	ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "shmra$X" type veth peer name "shmrb$X" &&
		ip link set "shmra$X" netns "$NSA" &&
		ip link set "shmrb$X" netns "$NSB" &&
		ip -n "$NSA" addr add "10.200.$X.1/24" dev "shmra$X" &&
		ip -n "$NSB" addr add "10.200.$X.2/24" dev "shmrb$X" &&
		ip -n "$NSA" link set "shmra$X" up &&
		ip -n "$NSB" link set "shmrb$X" up
}
if netns_up 2>"$tmp/err"; then
	N5=$("$BP" scale 100000)
	A=$PFX-a6
	B=$PFX-b6
	"$SHMRING" create "$A" && "$SHMRING" create "$B"
	NETNS="ip netns exec $NSB" HOST=10.200.$X.2 start_in "$tmp/in6" "$B"
	check "bound in the far namespace" test -n "$ep"
	NETNS="ip netns exec $NSA" start_bridge "$tmp/out6" "$A" "$ep"
	NETNS= HOST=
	bg /dev/null "$tmp/cons6" $TL "$BP" consume "$B" "$N5"
	cons6=$bg
	$TL "$BP" produce "$A" "$N5" --seed 11 --max 1500 >"$tmp/out" 2>"$tmp/err"
	wait "$cons6"
	check "across the veth pair: all $N5, once, in order, then eos" \
		grep -qx "received $N5 lost 0 last $((N5 - 1)) eos 1" "$tmp/cons6"
	"$SHMRING" rm "$A" "$B"
	netns_down
	check "the namespaces are gone" sh -c "! ip netns list | grep -q shmring-t-$$-"
else
	netns_down
	echo "skip: two network namespaces: ${why:-?} ($(head -1 "$tmp/err"))"
fi

finish
