# man/local.mk - the manual: a page per public function (section 3), the
# functions documented together reached through .so links, and the
# overview shmring(7). Included from the top-level Makefile.am.

dist_man_MANS += \
	man/shmring.7 \
	man/shmring_app_area.3 \
	man/shmring_attach.3 \
	man/shmring_check.3 \
	man/shmring_close.3 \
	man/shmring_commit.3 \
	man/shmring_create.3 \
	man/shmring_create_anon.3 \
	man/shmring_create_memfd.3 \
	man/shmring_fd.3 \
	man/shmring_info.3 \
	man/shmring_open.3 \
	man/shmring_open_fd.3 \
	man/shmring_peek.3 \
	man/shmring_peers.3 \
	man/shmring_poll.3 \
	man/shmring_poll_fd.3 \
	man/shmring_recv.3 \
	man/shmring_recv_burst.3 \
	man/shmring_recv_fd.3 \
	man/shmring_release.3 \
	man/shmring_lost.3 \
	man/shmring_seek.3 \
	man/shmring_reserve.3 \
	man/shmring_send.3 \
	man/shmring_send_burst.3 \
	man/shmring_send_fd.3 \
	man/shmring_set_slip.3 \
	man/shmring_set_spin.3 \
	man/shmring_stats.3 \
	man/shmring_subscribers.3 \
	man/shmring_strerror.3 \
	man/shmring_sync.3 \
	man/shmring_try_recv.3 \
	man/shmring_try_send.3 \
	man/shmring_unlink.3

# The page checker. Under make check it takes no arguments: it finds the
# library and the pages through the top_builddir and top_srcdir that the
# test environment exports. By hand:
#   tools/check-man.sh lib/.libs/libshmring.so man
EXTRA_DIST += tools/check-man.sh

# The C++ header's page, in the section of C++ library pages (3cxx):
# shmring.hpp names no exported function, so it stays out of the
# per-function check's *.3.
dist_man_MANS += man/shmring.hpp.3cxx
