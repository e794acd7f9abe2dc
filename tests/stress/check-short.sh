#!/bin/sh
# check-short.sh - the stress harness's share of `make check`: short runs
# of every kind and mode, with and without SIGKILLed children, and
# self-tests showing that the verifier and the watchdog catch what they
# must. Bounded: each run has a hard time limit; the whole takes well
# under a minute on two cores.
#
# Usage: check-short.sh [PATH-TO-shmring-stress]

here=$(dirname "$0")
STRESS=${1:-${top_builddir:-$here/../..}/tests/stress/shmring-stress}
OUT=
if [ ! -x "$STRESS" ]; then
	echo "check-short.sh: no program at $STRESS" >&2
	exit 1
fi
. "$here/common.sh"

run_config spsc-blocking 0 60 --kind spsc --messages "$(n 1000000)" --blocking
run_config spsc-spin 0 60 --kind spsc --messages "$(n 1000000)" --spin
run_config spsc-big 0 60 --kind spsc --messages "$(n 200000)" \
	--min-size 1000 --max-size 16000 --capacity 32768
run_config spsc-kills 0 60 --kind spsc --messages "$(n 1000000)" \
	--kill-every "$(k 5)" --seed 2
run_config spsc-kills-spin 0 60 --kind spsc --messages "$(n 1000000)" \
	--kill-every "$(k 3)" --spin --capacity 1024 --max-size 100 --seed 3

run_config mpmc-4x4 0 60 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 1000000)"
run_config mpmc-8x8-blocking 0 60 --kind mpmc --producers 8 --consumers 8 \
	--messages "$(n 200000)" --blocking
run_config mpmc-4x4-spin 0 60 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 500000)" --spin --capacity 64
run_config mpmc-kills 0 60 --kind mpmc --producers 4 --consumers 4 \
	--messages "$(n 500000)" --kill-every "$(k 5)" --seed 4
# A ring of 8 slots wraps every few messages, so that slots recovered
# from killed producers are met again on the next lap while still marked.
for seed in 5 6; do
	run_config "mpmc-kills-tiny-ring-$seed" 0 60 --kind mpmc --producers 2 \
		--consumers 1 --messages "$(n 1000000)" --kill-every "$(k 2)" \
		--capacity 8 --max-size 34 --seed "$seed"
done
run_config mpmc-timed 0 60 --kind mpmc --producers 3 --consumers 2 \
	--duration 1 --kill-every "$(k 20)" --seed 6

# Broadcast: every subscriber checks every message against the contract
# of its policy (tests/stress/README.md). A tiny overwrite ring with spin
# loops overtakes subscribers thousands of times a second, mid-copy too:
# with the library's check after the copy removed, these runs report
# torn messages; with shmring_lost() counting one short, lost; with an
# overtaking not reported, miscounted.
run_config bcast-backpressure 0 60 --kind bcast --consumers 3 \
	--messages "$(n 500000)" --spin
run_config bcast-backpressure-kills 0 60 --kind bcast --consumers 4 \
	--messages "$(n 300000)" --kill-every "$(k 5)" --seed 7
run_config bcast-overwrite-kills 0 60 --kind bcast --overwrite \
	--consumers 4 --messages "$(n 1000000)" --kill-every "$(k 5)" \
	--seed 8
run_config bcast-overwrite-tiny-spin 0 60 --kind bcast --overwrite \
	--consumers 3 --messages "$(n 500000)" --spin --capacity 4096 \
	--kill-every "$(k 10)" --seed 9
# A full peer table: a replacement waits for its predecessor's entry.
run_config bcast-31-subscribers-kills 0 60 --kind bcast --consumers 31 \
	--messages "$(n 50000)" --kill-every "$(k 20)" --seed 10

# The verifier's own checks: each run must fail, and say why. Order is
# per consumer (two consumers of an MPMC ring may take a producer's two
# messages in either order), so the swapped pair goes to one consumer.
for check in drop:lost=1:2 dup:duplicated=1:2 reorder:reordered=1:1 \
	tear:torn=1:2; do
	fault=${check%%:*} want=${check#*:}
	run_config "verifier-catches-$fault" "1:${want%:*}" 30 --kind mpmc \
		--producers 2 --consumers "${want##*:}" --messages 20000 \
		--inject "$fault"
done
# Each of the two subscribers must catch it. Overwrite mode with a ring
# larger than the whole stream: nothing is overtaken, so every gap is
# one the ring did not report.
for policy in backpressure overwrite; do
	ow=
	[ "$policy" = overwrite ] && ow="--overwrite --capacity 4194304"
	for check in drop:lost=2 dup:duplicated=2 reorder:reordered=2 \
		tear:torn=2; do
		fault=${check%%:*}
		# shellcheck disable=SC2086 # $ow is two options or none
		run_config "bcast-$policy-verifier-catches-$fault" \
			"1:${check#*:}" 30 --kind bcast --consumers 2 \
			--messages 10000 --inject "$fault" $ow
	done
done
run_config watchdog-catches-stall 2:hangs=1 30 --kind spsc --messages 20000 \
	--inject stall --timeout 1

finish
