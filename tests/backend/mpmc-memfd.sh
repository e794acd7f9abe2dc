#!/bin/sh
# mpmc-memfd.sh - the MPMC suite (tests/test_mpmc) on
# sealed memfds (shmring_create_memfd, shmring_open_fd).
exec "$(dirname "$0")/run.sh" memfd "${top_builddir:-.}/tests/test_mpmc"
