# examples/local.mk - small programs users copy from (included from the
# top-level Makefile.am). Built with the tree, not installed.
#
# examples/smoke.sh BUILDDIR runs each of them end to end.

noinst_PROGRAMS += \
	examples/shm_producer \
	examples/shm_consumer \
	examples/pingpong \
	examples/chat \
	examples/server \
	examples/client \
	examples/fork_ring \
	examples/seqnum \
	examples/file_ring \
	examples/sysv_ring \
	examples/memfd_ring \
	examples/ticker \
	examples/epoll_server

examples_shm_producer_SOURCES = examples/shm_producer.c
examples_shm_producer_LDADD = lib/libshmring.la
examples_shm_consumer_SOURCES = examples/shm_consumer.c
examples_shm_consumer_LDADD = lib/libshmring.la
examples_pingpong_SOURCES = examples/pingpong.c
examples_pingpong_LDADD = lib/libshmring.la
examples_chat_SOURCES = examples/chat.c
examples_chat_LDADD = lib/libshmring.la -lpthread
examples_server_SOURCES = examples/server.c examples/reqrep.c examples/reqrep.h
examples_server_LDADD = lib/libshmring.la
examples_client_SOURCES = examples/client.c examples/reqrep.c examples/reqrep.h
examples_client_LDADD = lib/libshmring.la
examples_fork_ring_SOURCES = examples/fork_ring.c
examples_fork_ring_LDADD = lib/libshmring.la
examples_seqnum_SOURCES = examples/seqnum.c
examples_seqnum_LDADD = lib/libshmring.la
examples_file_ring_SOURCES = examples/file_ring.c
examples_file_ring_LDADD = lib/libshmring.la
examples_sysv_ring_SOURCES = examples/sysv_ring.c
examples_sysv_ring_LDADD = lib/libshmring.la
examples_memfd_ring_SOURCES = examples/memfd_ring.c
examples_memfd_ring_LDADD = lib/libshmring.la
examples_ticker_SOURCES = examples/ticker.c
examples_ticker_LDADD = lib/libshmring.la

examples_epoll_server_SOURCES = examples/epoll_server.c
examples_epoll_server_LDADD = lib/libshmring.la

# A ring in a libuv loop (uv_poll_t), where configure found libuv.
if HAVE_UV
noinst_PROGRAMS += examples/uv_consumer
examples_uv_consumer_SOURCES = examples/uv_consumer.c
examples_uv_consumer_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
examples_uv_consumer_LDADD = lib/libshmring.la $(UV_LIBS)
endif
EXTRA_DIST += examples/uv_consumer.c

EXTRA_DIST += examples/README.md examples/smoke.sh examples/bridge-netns.sh

# The C++ header (include/shmring.hpp) at work; run by make check
# (tests/cxx/local.mk).
if HAVE_CXX
noinst_PROGRAMS += examples/cxx_ring
examples_cxx_ring_SOURCES = examples/cxx_ring.cc
examples_cxx_ring_CXXFLAGS = -std=c++17 $(WARN_CXXFLAGS) $(AM_CXXFLAGS)
examples_cxx_ring_LDADD = lib/libshmring.la
endif
