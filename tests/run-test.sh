#!/bin/sh
# run-test.sh - automake log compiler: run one test program with its output
# going to the harness's .log, and echo Criterion's summary line to fd 9
# (the terminal) so that every run shows how many tests executed.
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
name=$(basename "$1")
printf '%s\n' "$out" | grep 'Synthesis:' | sed "s|^|$name: |" >&9 2>/dev/null
exit $rc
