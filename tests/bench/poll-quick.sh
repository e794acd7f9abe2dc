#!/bin/sh
# poll-quick.sh - the event-loop benchmark (bench/shmring-bench-poll) runs
# its quick pass to the end, every row there: each transport's SUMMARY
# lines and both target lines. Figures are not judged here (see bench/).
out=$("${top_builddir:-.}/bench/shmring-bench-poll" --quick) || {
	echo "$out"
	echo "0 passed, 1 failed"
	exit 1
}
echo "$out"
n=0
for row in "epoll-rt shmring" "epoll-rt pipe" "epoll-rt eventfd+slot" \
	"epoll-rt unix-stream" "epoll-stream shmring" "epoll-stream pipe" \
	"epoll-stream unix-stream" "shmring_poll rings=1" \
	"shmring_poll rings=8" "shmring_poll rings=64"; do
	printf '%s\n' "$out" | grep -q "^SUMMARY $row " || {
		echo "missing: SUMMARY $row"
		n=$((n + 1))
	}
done
[ "$(printf '%s\n' "$out" | grep -c '^target: ')" -eq 2 ] || n=$((n + 1))
echo "$((n == 0)) passed, $((n != 0)) failed"
[ "$n" -eq 0 ]
