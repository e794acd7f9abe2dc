# tools/local.mk - the shmring command (like ipcs/ipcrm, for rings) and
# its manual page. Included from the top-level Makefile.am: paths are
# relative to the top source directory.

bin_PROGRAMS += tools/shmring
tools_shmring_SOURCES = \
	tools/shmring.c \
	tools/cli.h \
	tools/cli-util.c \
	tools/cli-probe.c \
	tools/cli-ls.c \
	tools/cli-info.c \
	tools/cli-admin.c \
	tools/cli-io.c \
	tools/cli-limits.c
tools_shmring_CPPFLAGS = $(AM_CPPFLAGS)
tools_shmring_LDADD = lib/libshmring.la util/libutil.a
# shmring bridge: its state in a ring is read by `stat` on any host; the
# bridge itself is built with ZeroMQ (bench/configure-snippet.m4 finds it).
tools_shmring_SOURCES += tools/bridge-area.h tools/cli-bridge-area.c
if HAVE_ZMQ
tools_shmring_SOURCES += tools/cli-bridge.c
tools_shmring_CPPFLAGS += -DSHMRING_WITH_BRIDGE $(ZMQ_CFLAGS)
tools_shmring_LDADD += $(ZMQ_LIBS)
endif

dist_man_MANS += tools/shmring.1
