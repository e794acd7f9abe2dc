#!/bin/sh
# spsc-memfd.sh - the SPSC suite (tests/test_spsc) on
# sealed memfds (shmring_create_memfd, shmring_open_fd).
exec "$(dirname "$0")/run.sh" memfd "${top_builddir:-.}/tests/test_spsc"
