# tests/python/local.mk - the Python binding's pytest suite, run by
# `make check` as one automake test (tests/python/run.sh) against the
# library just built (lib/.libs/libshmring.so.0), never an installed one.
# Included from the top-level Makefile.am.

EXTRA_DIST += tests/python/run.sh tests/python/conftest.py \
	tests/python/test_shmring.py tests/python/test_examples.py \
	tests/python/test_bcast.py tests/python/test_asyncio.py \
	examples/python/producer.py examples/python/consumer.py \
	examples/python/frames.py examples/python/async_consumer.py

if HAVE_PYTHON
TESTS += tests/python/run.sh
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; export PYTHON;
endif
