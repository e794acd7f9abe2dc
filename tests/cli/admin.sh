#!/bin/sh
# admin.sh - shmring create, ls, info and rm on real rings, the --help of
# every subcommand, and the errors: a missing ring fails with one line,
# a bad command line exits 2.
. "$(dirname "$0")/lib.sh"

A=$PFX-a
M=$PFX-m

# ---- create, ls, info -------------------------------------------------
run "$SHMRING" create "$A"
check "create with defaults" rc_is 0
check "create leaves the object in /dev/shm" test -f "/dev/shm/${A#/}"

run "$SHMRING" create "$M" --kind mpmc --capacity 64 --max-msg 1k --mode 0640
check "create mpmc with options" rc_is 0
check "create applies --mode" [ "$(stat -c %a "/dev/shm/${M#/}")" = 640 ]

run "$SHMRING" create "$PFX-k" --capacity 64k --max-msg 512
check "create with size suffixes" rc_is 0

run "$SHMRING" create "$A"
check "create of an existing name fails with one line" \
	fails_with 1 "shmring: create: $A: .*exists"

run "$SHMRING" ls
check "ls succeeds" rc_is 0
check "ls prints the column heads" grep -q \
	'^NAME  *KIND  *CAPACITY  *FILL%  *PRODUCERS  *CONSUMERS  *CREATOR  *AGE  *STATE$' \
	"$tmp/out"
check "ls lists the spsc ring, 1.0M, stale once its creator exited" \
	grep -q "^$A  *spsc  *1\.0M  *0\.0  *0  *0  *[0-9][0-9]*  *[0-9]*s  *stale$" \
	"$tmp/out"
check "ls lists the mpmc ring in slots" \
	grep -q "^$M  *mpmc  *64 slots  *0\.0 .* stale$" "$tmp/out"

run "$SHMRING" ls --json
check "ls --json succeeds" rc_is 0
json_check "ls --json is valid JSON listing the rings" "$tmp/out" \
	"[r['kind'] for r in d if r['name'] == '$M'] == ['mpmc'] and [r['capacity'] for r in d if r['name'] == '$A'] == [1048576]"

run "$SHMRING" info "$M"
check "info succeeds" rc_is 0
for field in 'name:' 'kind: *mpmc' 'state: *stale' 'layout version:' \
	'capacity: *64 slots' 'max message: *1024 bytes' 'slot size:' \
	'region size:' 'mode: *0640' 'creator: *pid [0-9]* (dead)' 'created:' \
	'used: *0 slots' 'producer pos:' 'consumer pos:' 'producers: *0' \
	'consumers: *0' 'data waiters:' 'space waiters:' 'peers:' \
	'msgs sent:' 'bytes received:' 'times full:' 'sleeps:' 'wakeups:' \
	'last attach:' 'last detach:'; do
	check "info shows '$field'" grep -q "^$field" "$tmp/out"
done

run "$SHMRING" info --json "$PFX-k"
check "info --json succeeds" rc_is 0
json_check "info --json is valid JSON with every field" "$tmp/out" \
	"d['capacity'] == 65536 and d['max_msg'] == 512 and d['kind'] == 'spsc' and d['mode'] == '0600' and d['creator_alive'] is False and d['peers'] == [] and d['stats']['msgs_sent'] == 0 and all(k in d for k in ('layout_version', 'region_size', 'slot_size', 'created_ns', 'used', 'prod_pos', 'cons_pos', 'producers', 'consumers', 'data_waiters', 'space_waiters', 'state'))"

# Another backend goes through the same commands.
F=file:$tmp/ring
run "$SHMRING" create "$F" --capacity 4k
check "create a file: ring" rc_is 0
run "$SHMRING" info "$F"
check "info on a file: ring" grep -q '^capacity: *4096 bytes' "$tmp/out"
run "$SHMRING" rm "$F"
check "rm a file: ring" test "$rc" -eq 0 -a ! -e "$tmp/ring"

# ---- rm -----------------------------------------------------------------
run "$SHMRING" rm "$A" "$M" "$PFX-k"
check "rm of three rings" rc_is 0
check "rm removes them from /dev/shm" \
	test ! -e "/dev/shm/${A#/}" -a ! -e "/dev/shm/${M#/}" -a ! -e "/dev/shm/${PFX#/}-k"
run "$SHMRING" ls
check "ls no longer lists them" test "$rc" -eq 0
check "ls no longer lists them" sh -c "! grep -q '^$PFX-' '$tmp/out'"

# Something in /dev/shm that is not a ring is not the tool's to remove.
head -c 8192 /dev/urandom >"${SHM_PFX}foreign"
run "$SHMRING" rm "/shmring-t-$$-foreign"
check "rm refuses an object that is not a ring" \
	fails_with 1 "shmring: rm: /shmring-t-$$-foreign: not a shmring region"
check "rm leaves that object alone" test -f "${SHM_PFX}foreign"

# ---- errors: one line, status 1 -------------------------------------
for cmd in info stat rm send recv; do
	run "$SHMRING" $cmd "$PFX-missing"
	check "$cmd of a missing ring fails with one line" \
		fails_with 1 "shmring: $cmd: $PFX-missing: no such ring"
done
run "$SHMRING" info "no-slash"
check "info of a malformed name fails with one line" \
	fails_with 1 "shmring: info: no-slash: invalid ring name"
run "$SHMRING" create "$PFX-big" --capacity 1k --max-msg 1k
check "create with max-msg too large for the capacity fails" \
	fails_with 1 "shmring: create: $PFX-big: invalid"
check "and leaves nothing behind" test ! -e "/dev/shm/${PFX#/}-big"

# ---- usage errors: one line, status 2 --------------------------------
usage() {
	desc=$1
	shift
	run "$SHMRING" "$@"
	check "usage error: $desc" fails_with 2 "shmring: "
}
usage "no command"
usage "unknown command" frobnicate
usage "unknown option" ls --bogus
usage "unknown short option" ls -x
usage "flag given a value" ls --json=yes
usage "extra argument to ls" ls extra
usage "info without a name" info
usage "info with two names" info "$PFX-1" "$PFX-2"
usage "create without a name" create
usage "create with a bad kind" create "$PFX-x" --kind ring
usage "capacity not a power of two" create "$PFX-x" --capacity 3000
usage "capacity with a bad suffix" create "$PFX-x" --capacity 12q
usage "negative capacity" create "$PFX-x" --capacity -4096
usage "mode not octal" create "$PFX-x" --mode 0900
usage "option missing its value" create "$PFX-x" --capacity
usage "stat count 0" stat "$PFX-x" -n 0
usage "stat interval not a number" stat "$PFX-x" -w soon
usage "recv negative count" recv "$PFX-x" -n -1
usage "recv bad timeout" recv "$PFX-x" --timeout never
usage "rm without a name" rm
usage "rm --prefix without --stale" rm --prefix /x
usage "rm --stale with names" rm --stale /x
usage "rm --stale with a prefix not a ring name" rm --stale --prefix x
check "no usage error created a ring" sh -c "! ls /dev/shm | grep -q '^${PFX#/}-x'"
run "$SHMRING" ls --bogus
check "usage error names the subcommand's --help" \
	grep -q "^shmring: ls: unknown option '--bogus' (see 'shmring ls --help')$" "$tmp/err"

# ---- help ------------------------------------------------------------
run "$SHMRING" --help
check "shmring --help" test "$rc" -eq 0 -a ! -s "$tmp/err"
check "shmring --help lists the commands" grep -q '^  limits' "$tmp/out"
for cmd in ls info stat create rm send recv limits; do
	run "$SHMRING" $cmd --help
	check "$cmd --help" test "$rc" -eq 0 -a ! -s "$tmp/err"
	check "$cmd --help shows its usage" grep -q "^Usage: shmring $cmd" "$tmp/out"
done
run "$SHMRING" --version
check "--version" grep -q '^shmring [0-9]' "$tmp/out"

finish
