# util/local.mk - what bench/, tests/stress/ and tools/ share: one JSON
# writer and one number parser (util/util.h), a convenience library that
# is never installed. Included from the top-level Makefile.am after
# bench/local.mk (which sets noinst_LIBRARIES).

noinst_LIBRARIES += util/libutil.a
util_libutil_a_SOURCES = \
	util/util.h \
	util/json.c \
	util/parse.c
