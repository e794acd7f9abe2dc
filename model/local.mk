# model/local.mk - the sleep/wake protocol of lib/wait.c as a Promela model
# with store buffers, checked with spin (Debian package `spin`). Included
# from the top-level Makefile.am; paths are relative to the top source dir.
#
# `make model-check` verifies the protocol (full fences, the membarrier
# variant, the asleep word, two broadcast subscribers) and requires that
# the broken variants (no fence, light fence alone, no re-check, and the
# others model/README.md lists) fail verification; it fails where spin is
# missing.
# `make check` runs the same script, skipped (77) without spin.

TESTS += model/check.sh
EXTRA_DIST += model/wait.pml model/check.sh model/README.md

.PHONY: model-check
model-check:
	top_srcdir='$(abs_top_srcdir)' CC='$(CC)' \
		$(SHELL) $(srcdir)/model/check.sh $(srcdir)/model/wait.pml
