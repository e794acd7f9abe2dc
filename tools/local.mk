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
# lib/layout.h: cli-probe.c tells a foreign object from a corrupt ring
# by the magic, which the library reports alike (-EPROTO).
tools_shmring_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tools_shmring_LDADD = lib/libshmring.la util/libutil.a

dist_man_MANS += tools/shmring.1
