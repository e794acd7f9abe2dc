#!/bin/sh
# mpmc-anon.sh - the MPMC suite (tests/test_mpmc) on
# anonymous shared memory (shmring_create_anon).
exec "$(dirname "$0")/run.sh" anon "${top_builddir:-.}/tests/test_mpmc"
