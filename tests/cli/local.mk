# tests/cli/local.mk - tests of the shmring command: shell scripts that
# drive tools/shmring on real rings, each bounded in time, each removing
# its rings and ending its processes. Included from the top-level
# Makefile.am: paths are relative to the top source directory.
#
# The scripts are run directly (they must stay executable) with
# $top_builddir set by the harness; tests/cli/lib.sh is what they share.

SHMRING_CLI_TESTS = \
	tests/cli/admin.sh \
	tests/cli/pipe.sh \
	tests/cli/stat.sh \
	tests/cli/scan.sh \
	tests/cli/bridge.sh \
	tests/cli/recv-many.sh

TESTS += $(SHMRING_CLI_TESTS)
EXTRA_DIST += $(SHMRING_CLI_TESTS) tests/cli/lib.sh tests/cli/bridge.tsan

# Both ends of a bridged stream, checking every message (bridge.sh).
check_PROGRAMS += tests/cli/bridge-peer
tests_cli_bridge_peer_SOURCES = tests/cli/bridge-peer.c
tests_cli_bridge_peer_LDADD = lib/libshmring.la
tests_cli_bridge_peer_CPPFLAGS = $(AM_CPPFLAGS)
if HAVE_ZMQ
tests_cli_bridge_peer_CPPFLAGS += -DBRIDGE_PEER_ZMQ $(ZMQ_CFLAGS)
tests_cli_bridge_peer_LDADD += $(ZMQ_LIBS)
endif
