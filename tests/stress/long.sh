#!/bin/sh
# long.sh - the long stress runs behind `make stress`: over 1e8 messages
# in all, rings up to 8 producers x 8 consumers, broadcast rings up to 31
# subscribers, and runs with well over a thousand SIGKILLed children.
# Minutes, not seconds. Each SUMMARY line goes to OUT (default
# tests/stress/last-long-run.txt).
#
# Usage: long.sh [PATH-TO-shmring-stress [OUT]]

here=$(dirname "$0")
STRESS=${1:-${top_builddir:-$here/../..}/tests/stress/shmring-stress}
OUT=${2:-last-long-run.txt}
if [ ! -x "$STRESS" ]; then
	echo "long.sh: no program at $STRESS" >&2
	exit 1
fi
: >"$OUT"
echo "# make stress, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -srm)" >>"$OUT"
. "$here/common.sh"

# SPSC: 6e7 messages, both waiting modes, sizes up to 1 KiB.
run_config spsc-blocking 0 900 --kind spsc --messages "$(n 30000000)" \
	--max-size 1024
run_config spsc-spin 0 900 --kind spsc --messages "$(n 30000000)" --spin \
	--capacity 4096 --max-size 512 --seed 11

# MPMC: from 1x8 and 8x1 to 8x8, blocking and spinning, 5.5e7 messages.
run_config mpmc-2x2 0 900 --kind mpmc --producers 2 --consumers 2 \
	--messages "$(n 10000000)" --seed 12
run_config mpmc-4x4 0 900 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 10000000)" --capacity 1024 --seed 13
run_config mpmc-8x8-blocking 0 900 --kind mpmc --producers 8 --consumers 8 \
	--messages "$(n 10000000)" --blocking --seed 14
run_config mpmc-8x8-spin 0 900 --kind mpmc --producers 8 --consumers 8 \
	--messages "$(n 5000000)" --spin --capacity 64 --seed 15
run_config mpmc-8x1 0 900 --kind mpmc --producers 8 --consumers 1 \
	--messages "$(n 5000000)" --seed 16
run_config mpmc-1x8 0 900 --kind mpmc --producers 1 --consumers 8 \
	--messages "$(n 5000000)" --seed 17
run_config mpmc-4x4-big 0 900 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 2000000)" --min-size 2000 --max-size 8192 --seed 18

# Kills: about 6000 SIGKILLed children in all, ~2.4e7 messages.
run_config spsc-kills 0 900 --kind spsc --messages "$(n 10000000)" \
	--kill-every "$(k 3)" --seed 21
run_config spsc-kills-spin 0 900 --kind spsc --messages "$(n 5000000)" \
	--kill-every "$(k 2)" --spin --capacity 1024 --max-size 200 --seed 22
run_config mpmc-kills-4x4 0 900 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 5000000)" --kill-every "$(k 3)" --seed 23
run_config mpmc-kills-8x8 0 900 --kind mpmc --producers 8 --consumers 8 \
	--messages "$(n 2000000)" --kill-every "$(k 3)" --capacity 16 --seed 24
run_config mpmc-kills-2x1-tiny 0 900 --kind mpmc --producers 2 --consumers 1 \
	--messages "$(n 2000000)" --kill-every "$(k 2)" --capacity 8 --max-size 64 \
	--seed 25
run_config mpmc-kills-timed-8x8 0 900 --kind mpmc --producers 8 \
	--consumers 8 --duration 30 --kill-every "$(k 5)" --spin --capacity 32 \
	--seed 26

# Broadcast: 8 subscribers, both policies, with and without kills (each
# subscriber checks every message: 8 receptions per message sent), then
# a full peer table of 31. Spinning subscribers outnumber two cores many
# times over: the runs are bounded by --time-limit, not by message rate.
run_config bcast-8-backpressure 0 900 --kind bcast --consumers 8 \
	--messages "$(n 5000000)" --time-limit 800 --seed 31
run_config bcast-8-overwrite-spin 0 900 --kind bcast --overwrite \
	--consumers 8 --messages "$(n 20000000)" --spin --capacity 8192 \
	--time-limit 800 --seed 32
run_config bcast-8-backpressure-kills 0 900 --kind bcast --consumers 8 \
	--messages "$(n 1000000)" --kill-every "$(k 5)" --time-limit 800 \
	--seed 33
run_config bcast-4-backpressure-kills-spin 0 900 --kind bcast \
	--consumers 4 --messages "$(n 1000000)" --kill-every "$(k 20)" --spin \
	--capacity 4096 --max-size 512 --time-limit 800 --seed 34
run_config bcast-8-overwrite-kills-timed 0 900 --kind bcast --overwrite \
	--consumers 8 --duration 30 --kill-every "$(k 3)" --capacity 4096 \
	--seed 35
run_config bcast-31-kills 0 900 --kind bcast --consumers 31 \
	--messages "$(n 1000000)" --kill-every "$(k 5)" --time-limit 800 \
	--seed 36
run_config bcast-31-overwrite-kills-timed 0 900 --kind bcast --overwrite \
	--consumers 31 --duration 20 --kill-every "$(k 5)" --spin --seed 37

finish
rc=$?
echo "SUMMARY lines in $OUT"
exit $rc
