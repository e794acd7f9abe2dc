#!/bin/sh
# examples/smoke.sh - run every example end to end and check its output.
#
#   usage: sh examples/smoke.sh [BUILDDIR]     (default: .)
#
# Each check runs in a subshell, each program under `timeout 20`; a failed
# check is reported and the next one runs. The last line says
# "N passed, N failed"; the exit status is 0 only when none failed.
# Whatever happens, the rings and files made here are removed and the
# background processes killed.

set -u

B=${1:-.}
E=$B/examples
T="timeout 20"
TAG=shmring-smoke-$$
TMP=
passed=0
failed=0

for p in shm_producer shm_consumer pingpong chat server client fork_ring \
	seqnum file_ring sysv_ring memfd_ring ticker epoll_server; do
	if [ ! -x "$E/$p" ]; then
		echo "smoke: $E/$p not found or not executable (build first?)" >&2
		exit 1
	fi
done

cleanup() {
	rm -f /dev/shm/"$TAG"-*
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

TMP=$(mktemp -d) || exit 1

# fail MESSAGE: ends the check that calls it (each runs in a subshell).
fail() {
	echo "smoke: FAIL: $*" >&2
	exit 1
}

# check NAME FUNCTION: run one check; background jobs it lists in PIDS,
# and files it lists in JUNK, go when it ends, however it ends.
check() {
	(
		PIDS= JUNK=
		trap 'for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
		      rm -f $JUNK' EXIT
		"$2"
	)
	if [ $? -eq 0 ]; then
		passed=$((passed + 1))
		echo "smoke: ok: $1"
	else
		failed=$((failed + 1))
	fi
}

# Run a program under timeout, noting its pid in $TMP/pid first: a shell
# notes its own pid, then execs the program under that same pid (the
# programs name their rings and files after their pid).
with_pid() {
	$T sh -c 'echo $$ >"$0"; exec "$@"' "$TMP/pid" "$@"
}

# wait_for FILE PATTERN: up to 10 s for PATTERN to show in FILE (a test
# watching output, not a program synchronising with a sleep).
wait_for() {
	n=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.1
	done
}

wait_exists() { # FILE: up to 10 s for FILE to appear
	n=0
	until [ -e "$1" ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.1
	done
}

nothing_left() { # PREFIX: no /dev/shm object of ours starts with it
	left=$(ls /dev/shm | grep -F -e "$1")
	[ -z "$left" ] || fail "left in /dev/shm: $left"
}

# numbered lines; 100000 of them overflow the default 1 MiB ring, so the
# producer has to wait for the consumer
awk 'BEGIN { for (i = 1; i <= 1000; i++) print "line " i }' >"$TMP/in1k"
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "message %d %s\n", i, \
	"with some padding to make it longer" }' >"$TMP/in100k"

# ---- shm_producer / shm_consumer ---------------------------------------

# producer and consumer at the same time; either may open first
stream() { # name input
	$T "$E/shm_producer" "/$TAG-$1" <"$2" &
	PIDS="$PIDS $!"
	$T "$E/shm_consumer" "/$TAG-$1" >"$TMP/out" || fail "$1: consumer exited $?"
	wait "$!" || fail "$1: producer exited $?"
	cmp -s "$2" "$TMP/out" || {
		diff "$2" "$TMP/out" | head -5 >&2
		fail "$1: consumer output differs from producer input"
	}
	[ -e "/dev/shm/$TAG-$1" ] && fail "$1: consumer left its ring behind"
	return 0
}
stream_1k() { stream concurrent-1k "$TMP/in1k"; }
stream_100k() { stream concurrent-100k "$TMP/in100k"; }
check "shm_producer | shm_consumer, 1000 lines" stream_1k
check "shm_producer | shm_consumer, 100000 lines" stream_100k

late() { # producer done and gone before the consumer starts
	$T "$E/shm_producer" "/$TAG-late" <"$TMP/in1k" || fail "late: producer exited $?"
	$T "$E/shm_consumer" "/$TAG-late" >"$TMP/out" || fail "late: consumer exited $?"
	cmp -s "$TMP/in1k" "$TMP/out" || fail "late: output differs"
}
check "consumer after producer" late

empty() { # empty input: an empty stream, not an error
	$T "$E/shm_producer" "/$TAG-empty" </dev/null || fail "empty: producer exited $?"
	$T "$E/shm_consumer" "/$TAG-empty" >"$TMP/out" || fail "empty: consumer exited $?"
	[ -s "$TMP/out" ] && fail "empty: consumer printed something"
	return 0
}
check "empty stream" empty

too_long() { # a line over the ring's 64 KiB limit: the producer must fail
	awk 'BEGIN { s = "x"; while (length(s) < 70000) s = s s; print "short"; print s }' \
		>"$TMP/long"
	$T "$E/shm_producer" "/$TAG-long" <"$TMP/long" 2>"$TMP/err" &&
		fail "long: producer accepted a line longer than max_msg"
	grep -q 'longer than' "$TMP/err" || fail "long: no clear error message"
	$T "$E/shm_consumer" "/$TAG-long" >"$TMP/out" || fail "long: consumer exited $?"
	[ "$(cat "$TMP/out")" = short ] || fail "long: consumer output wrong"
}
check "over-long line refused" too_long

pingpong() { # runs, reports, and removes its two rings
	with_pid "$E/pingpong" -n 2000 -s 64 >"$TMP/out"
	rc=$?
	ppid=$(cat "$TMP/pid" 2>/dev/null)
	[ -n "$ppid" ] && JUNK="/dev/shm/pingpong-$ppid-ping /dev/shm/pingpong-$ppid-pong"
	[ "$rc" -eq 0 ] || fail "pingpong exited $rc"
	grep -q '^2000 round trips of 64 bytes: min [0-9]* ns, median [0-9]* ns, p99 [0-9]* ns$' \
		"$TMP/out" || fail "pingpong: unexpected output: $(cat "$TMP/out")"
	nothing_left "pingpong-$ppid-"
}
check "pingpong" pingpong

# ---- chat ---------------------------------------------------------------

awk 'BEGIN { for (i = 1; i <= 300; i++) print "a says " i }' >"$TMP/chat-a"
awk 'BEGIN { for (i = 1; i <= 200; i++) print "b says " i }' >"$TMP/chat-b"
sed 's/^/peer: /' "$TMP/chat-a" >"$TMP/chat-a.peer"
sed 's/^/peer: /' "$TMP/chat-b" >"$TMP/chat-b.peer"

chat_files() { # two chats reading files: each prints all the other's lines
	$T "$E/chat" "/$TAG-chat" <"$TMP/chat-a" >"$TMP/out-a" 2>"$TMP/err-a" &
	PIDS=$!
	$T "$E/chat" "/$TAG-chat" <"$TMP/chat-b" >"$TMP/out-b" 2>"$TMP/err-b" ||
		fail "chat: second one exited $?: $(cat "$TMP/err-b")"
	wait "$PIDS" || fail "chat: first one exited $?: $(cat "$TMP/err-a")"
	cmp -s "$TMP/out-a" "$TMP/chat-b.peer" || fail "chat: side a did not print b's lines"
	cmp -s "$TMP/out-b" "$TMP/chat-a.peer" || fail "chat: side b did not print a's lines"
	nothing_left "$TAG-chat"
}
check "chat: two chats on files" chat_files

chat_live() { # two chats on fifos, line by line, as on two terminals
	mkfifo "$TMP/in-a" "$TMP/in-b" || fail "mkfifo"
	# each chat must hold only its own fifo: a writer it inherited would
	# keep its own input from ever ending
	with_pid "$E/chat" "/$TAG-live" <"$TMP/in-a" >"$TMP/out-a" 2>"$TMP/err-a" &
	PIDS=$!
	exec 7>"$TMP/in-a"
	wait_for "$TMP/err-a" "side a" || fail "chat: first one never started"
	apid=$(cat "$TMP/pid")
	$T "$E/chat" "/$TAG-live" <"$TMP/in-b" >"$TMP/out-b" 2>"$TMP/err-b" 7>&- &
	PIDS="$PIDS $!"
	exec 8>"$TMP/in-b"
	echo "hello b" >&7
	wait_for "$TMP/out-b" "^peer: hello b$" || fail "chat: b never got a's line"
	echo "hello a" >&8
	wait_for "$TMP/out-a" "^peer: hello a$" || fail "chat: a never got b's line"
	# a third chat on the same name is turned away, and harms nothing
	$T "$E/chat" "/$TAG-live" </dev/null 2>"$TMP/err-c" 7>&- 8>&- &&
		fail "chat: a third chat was let in"
	grep -q "chat: /$TAG-live: " "$TMP/err-c" || fail "chat: third one gave no clear error"
	# idle, a chat sleeps: under 0.1 s of CPU time in 1 s
	t0=$(awk '{ print $14 + $15 }' "/proc/$apid/stat")
	sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$apid/stat")
	[ $((t1 - t0)) -le 10 ] || fail "chat: busy while idle ($((t1 - t0)) ticks in 1 s)"
	echo "bye from a" >&7
	exec 7>&-
	wait_for "$TMP/err-b" "the peer has finished" || fail "chat: b missed a's end"
	echo "bye from b" >&8
	exec 8>&-
	for p in $PIDS; do
		wait "$p" || fail "chat: exited $?: $(cat "$TMP/err-a" "$TMP/err-b")"
	done
	PIDS=
	grep -q "^peer: bye from b$" "$TMP/out-a" || fail "chat: a missed b's last line"
	nothing_left "$TAG-live"
}
check "chat: two chats, line by line; a third refused; asleep when idle" chat_live

chat_interrupt() { # Ctrl-C on a chat waiting for its peer: names removed
	mkfifo "$TMP/in-i" || fail "mkfifo"
	with_pid "$E/chat" "/$TAG-intr" <"$TMP/in-i" 2>"$TMP/err" &
	PIDS=$!
	exec 7>"$TMP/in-i"
	wait_for "$TMP/err" "side a" || fail "chat never started"
	kill -INT "$(cat "$TMP/pid")"
	wait "$PIDS" && fail "chat: exit status 0 after Ctrl-C"
	PIDS=
	grep -q "interrupted" "$TMP/err" || fail "chat: did not say it was interrupted"
	nothing_left "$TAG-intr"
}
check "chat: Ctrl-C removes the rings" chat_interrupt

# ---- server / client ----------------------------------------------------

server_demo() {
	$T "$E/server" "/$TAG-srv" --demo 4 >"$TMP/out" || fail "server --demo exited $?"
	[ "$(grep -c '^client [0-9]*: 1000 requests, every answer right$' "$TMP/out")" -eq 4 ] ||
		fail "server --demo: not 4 clients right: $(cat "$TMP/out")"
	grep -q '^server: 4000 requests from 4 clients answered in ' "$TMP/out" ||
		fail "server --demo: wrong totals: $(cat "$TMP/out")"
	grep -q '^server: 4 of 4 clients checked every answer$' "$TMP/out" ||
		fail "server --demo: wrong summary: $(cat "$TMP/out")"
	nothing_left "$TAG-srv"
}
check "server --demo 4" server_demo

server_clients() { # a server and three client programs at once
	$T "$E/server" "/$TAG-srv2" -n 600 >"$TMP/out" &
	PIDS=$!
	wait_exists "/dev/shm/$TAG-srv2.req" || fail "server never created its ring"
	for i in 1 2 3; do
		$T "$E/client" "/$TAG-srv2" -n 200 >"$TMP/client-$i" &
		PIDS="$PIDS $!"
	done
	for p in $PIDS; do
		wait "$p" || fail "server or client exited $?"
	done
	PIDS=
	cat "$TMP"/client-* | grep -c 'every answer right$' | grep -q '^3$' ||
		fail "clients: $(cat "$TMP"/client-*)"
	grep -q '^server: 600 requests from 3 clients answered' "$TMP/out" ||
		fail "server: $(cat "$TMP/out")"
	$T "$E/client" "/$TAG-srv2" 2>"$TMP/err" && fail "client without server succeeded"
	grep -q 'no server there' "$TMP/err" || fail "client without server: $(cat "$TMP/err")"
	nothing_left "$TAG-srv2"
}
check "server with three clients" server_clients

# ---- the other kinds of memory -------------------------------------------

fork_ring() {
	$T "$E/fork_ring" -n 50 >"$TMP/out" || fail "fork_ring exited $?"
	grep 'got: ' "$TMP/out" | sed 's/.*got: //' >"$TMP/got"
	awk 'BEGIN { for (i = 1; i <= 50; i++) print "message " i " of 50" }' >"$TMP/want"
	cmp -s "$TMP/got" "$TMP/want" || fail "fork_ring: messages wrong: $(cat "$TMP/out")"
	grep -q 'sent 50 messages, child [0-9]* read them all$' "$TMP/out" ||
		fail "fork_ring: no summary"
}
check "fork_ring" fork_ring

seqnum() {
	$T "$E/seqnum" -p 4 -n 50000 >"$TMP/out" || fail "seqnum exited $?: $(cat "$TMP/out")"
	grep -q '^atomic: each number 1..200000 drawn exactly once$' "$TMP/out" ||
		fail "seqnum: $(cat "$TMP/out")"
	awk '$1 == 200000 && $2 == 200000 && $3 + $4 == 200000 { ok = 1 }
	     END { exit !ok }' "$TMP/out" || fail "seqnum: table wrong: $(cat "$TMP/out")"
}
check "seqnum" seqnum

file_ring() { # written by one process, read by a later one, then removed
	f="$TMP/ring file"
	JUNK="$TMP/ring file"
	$T "$E/file_ring" "$f" write -n 20 >"$TMP/out" || fail "file_ring write exited $?"
	[ -s "$f" ] || fail "file_ring: no file after write"
	$T "$E/file_ring" "$f" write 2>"$TMP/err" && fail "file_ring: wrote over unread messages"
	grep -q 'exists already' "$TMP/err" || fail "file_ring: $(cat "$TMP/err")"
	$T "$E/file_ring" "$f" read >"$TMP/out" || fail "file_ring read exited $?"
	[ "$(grep -c '^message [0-9]* of 20, left by process' "$TMP/out")" -eq 20 ] ||
		fail "file_ring: read $(cat "$TMP/out")"
	grep -q '^read 20 messages; removing ' "$TMP/out" || fail "file_ring: no summary"
	[ -e "$f" ] && fail "file_ring: file left after read"
	$T "$E/file_ring" "$f" read 2>/dev/null && fail "file_ring: read a removed file"
	$T "$E/file_ring" "$f" write -n 100000 2>"$TMP/err" && fail "file_ring: overfilled"
	grep -q 'full' "$TMP/err" || fail "file_ring: $(cat "$TMP/err")"
	[ -e "$f" ] && fail "file_ring: file left after a failed write"
	return 0
}
check "file_ring write, then read" file_ring

sysv_ring() {
	with_pid "$E/sysv_ring" -n 7 >"$TMP/out"
	rc=$?
	spid=$(cat "$TMP/pid" 2>/dev/null)
	key=$(sed -n 's/^segment: key \(0x[0-9a-f]*\), shmid [0-9]* .*/\1/p' "$TMP/out")
	JUNK="/tmp/sysv_ring-$spid.key"
	# the key is derived from our own key file: only our segment has it
	[ -n "$key" ] && ipcrm -M "$key" 2>/dev/null && fail "sysv_ring left segment $key"
	[ "$rc" -eq 0 ] || fail "sysv_ring exited $rc: $(cat "$TMP/out")"
	[ -n "$key" ] || fail "sysv_ring: no key and shmid shown: $(cat "$TMP/out")"
	[ "$(grep -c '^reader [0-9]* got: message [1-7] of 7$' "$TMP/out")" -eq 7 ] ||
		fail "sysv_ring: messages wrong: $(cat "$TMP/out")"
	grep -q '^segment removed: ' "$TMP/out" || fail "sysv_ring: not removed"
	[ -e "/tmp/sysv_ring-$spid.key" ] && fail "sysv_ring: key file left"
	return 0
}
check "sysv_ring" sysv_ring

memfd_ring() {
	$T "$E/memfd_ring" >"$TMP/out" || fail "memfd_ring exited $?: $(cat "$TMP/out")"
	grep -q '^child: ftruncate(fd, 0) refused: Operation not permitted$' "$TMP/out" ||
		fail "memfd_ring: shrinking not refused: $(cat "$TMP/out")"
	grep -q '^child: ftruncate(fd, 1073741824) refused: Operation not permitted$' \
		"$TMP/out" || fail "memfd_ring: growing not refused"
	[ "$(grep -c '^child got: message [1-5] of 5$' "$TMP/out")" -eq 5 ] ||
		fail "memfd_ring: messages wrong: $(cat "$TMP/out")"
}
check "memfd_ring" memfd_ring

ticker() {
	$T "$E/ticker" -n 20000 -s 3 >"$TMP/out" || fail "ticker exited $?"
	[ "$(grep -c ' received + [0-9]* lost = 20000 published' "$TMP/out")" -eq 3 ] ||
		fail "ticker: counts do not add up: $(cat "$TMP/out")"
	grep -q '^subscriber 2 (slow): [0-9]* received + [1-9][0-9]* lost' "$TMP/out" ||
		fail "ticker: the slow subscriber lost nothing: $(cat "$TMP/out")"
	grep -q '^subscriber 2: overtaken' "$TMP/out" ||
		fail "ticker: no overtaking reported"
}
check "ticker" ticker
# ---- event loops ---------------------------------------------------------

epoll_server() { # two rings and a socket client in one epoll set
	with_pid "$E/epoll_server" "$TMP/sock" "/$TAG-ep1" "/$TAG-ep2" \
		>"$TMP/out" 2>"$TMP/err" &
	PIDS=$!
	wait_for "$TMP/out" "^epoll_server: listening" || fail "epoll_server: not listening"
	if command -v python3 >/dev/null 2>&1; then
		$T python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile()
print("connected", flush=True)
for line in f:
    sys.stdout.write(line)' "$TMP/sock" >"$TMP/client" &
		PIDS="$PIDS $!"
		wait_for "$TMP/out" "client 1 connected" || fail "epoll_server: no client"
	fi
	seq 1 300 | $T "$E/shm_producer" "/$TAG-ep1" || fail "producer 1"
	seq 301 500 | $T "$E/shm_producer" "/$TAG-ep2" || fail "producer 2"
	for p in $PIDS; do
		wait "$p" || fail "epoll_server: exited $?: $(cat "$TMP/err")"
	done
	PIDS=
	grep -q '^epoll_server: 500 messages from 2 rings$' "$TMP/out" ||
		fail "epoll_server: wrong total: $(tail -3 "$TMP/out")"
	[ "$(grep -c "^/$TAG-ep1: " "$TMP/out")" -eq 300 ] || fail "epoll_server: ring 1"
	[ "$(grep -c "^/$TAG-ep2: " "$TMP/out")" -eq 200 ] || fail "epoll_server: ring 2"
	if [ -f "$TMP/client" ]; then
		[ "$(grep -c "^/$TAG-ep" "$TMP/client")" -eq 500 ] ||
			fail "epoll_server: the client got $(grep -c "^/" "$TMP/client") lines"
	fi
	[ -e "$TMP/sock" ] && fail "epoll_server: socket left"
	nothing_left "$TAG-ep"
}
check "epoll_server: two rings and a client in one epoll set" epoll_server

uv_consumer() { # a ring in a libuv loop (built where libuv is)
	[ -x "$E/uv_consumer" ] || { echo "smoke: uv_consumer not built (no libuv)"; return 0; }
	with_pid "$E/uv_consumer" "/$TAG-uv" >"$TMP/out" 2>"$TMP/err" &
	PIDS=$!
	wait_for "$TMP/err" "waiting on" || fail "uv_consumer: not started"
	seq 1000 | $T "$E/shm_producer" "/$TAG-uv" || fail "producer"
	wait "$PIDS" || fail "uv_consumer: exited $?: $(cat "$TMP/err")"
	PIDS=
	seq 1000 | cmp -s - "$TMP/out" || fail "uv_consumer: lines wrong"
	nothing_left "$TAG-uv"
}
check "uv_consumer: a ring in a libuv loop" uv_consumer

leftovers() {
	nothing_left "$TAG-"
}
check "nothing left in /dev/shm" leftovers

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
