#!/bin/sh
# spsc-anon.sh - the SPSC suite (tests/test_spsc) on
# anonymous shared memory (shmring_create_anon).
exec "$(dirname "$0")/run.sh" anon "${top_builddir:-.}/tests/test_spsc"
