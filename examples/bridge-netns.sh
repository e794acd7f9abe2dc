#!/bin/sh
# bridge-netns.sh - move a ring's messages between two "hosts": two network
# namespaces joined by a veth pair, a shmring bridge in each, CURVE keys
# between them. Run as root; it removes everything it made on the way out.
#
#   sh examples/bridge-netns.sh [PATH-TO-shmring]
#
# Only addresses inside the two namespaces it creates are used:
# 10.200.77.1 (the sender's side) and 10.200.77.2 (the receiver's).
set -eu
SHMRING=${1:-shmring}
A=shmring-ex-a
B=shmring-ex-b
dir=$(mktemp -d)

cleanup() {
	[ -n "${pids:-}" ] && kill $pids 2>/dev/null || true
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	"$SHMRING" rm /ex-near /ex-far 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

# Two namespaces, one cable between them.
ip netns add $A
ip netns add $B
ip link add ex-a type veth peer name ex-b
ip link set ex-a netns $A
ip link set ex-b netns $B
ip -n $A addr add 10.200.77.1/24 dev ex-a
ip -n $B addr add 10.200.77.2/24 dev ex-b
ip -n $A link set ex-a up
ip -n $B link set ex-b up

# The receiver's key pair: it is the CURVE server; the sender needs its
# public key, and a key pair of its own.
"$SHMRING" bridge --keygen >"$dir/server"
sed -n 's/^secret-key //p' "$dir/server" >"$dir/server.key"
sed -n 's/^public-key //p' "$dir/server" >"$dir/server.pub"
"$SHMRING" bridge --keygen | sed -n 's/^secret-key //p' >"$dir/client.key"

# A ring on each "host" (the namespaces share /dev/shm here; on two real
# hosts each ring is local to its own).
"$SHMRING" create /ex-near
"$SHMRING" create /ex-far

# The far host: network -> ring, bound to its address.
ip netns exec $B "$SHMRING" bridge --curve-secret-key "@$dir/server.key" \
	tcp://10.200.77.2:5555 --bind /ex-far &
pids=$!
# The near host: ring -> network, connecting (and reconnecting) to it.
ip netns exec $A "$SHMRING" bridge --curve-server-key "@$dir/server.pub" \
	--curve-secret-key "@$dir/client.key" /ex-near tcp://10.200.77.2:5555 &
pids="$pids $!"

# Ten lines in on the near side; when the sender detaches, the end of
# stream travels too, and recv on the far side exits after the tenth.
seq 10 | "$SHMRING" send /ex-near
timeout 30 "$SHMRING" recv /ex-far
wait $pids
pids=
