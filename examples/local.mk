# examples/local.mk - small programs users copy from (included from the
# top-level Makefile.am). Built with the tree, not installed.
#
# examples/smoke.sh BUILDDIR runs each of them end to end.

noinst_PROGRAMS += \
	examples/shm_producer \
	examples/shm_consumer \
	examples/pingpong

examples_shm_producer_SOURCES = examples/shm_producer.c
examples_shm_producer_LDADD = lib/libshmring.la
examples_shm_consumer_SOURCES = examples/shm_consumer.c
examples_shm_consumer_LDADD = lib/libshmring.la
examples_pingpong_SOURCES = examples/pingpong.c
examples_pingpong_LDADD = lib/libshmring.la

EXTRA_DIST += examples/README.md examples/smoke.sh
