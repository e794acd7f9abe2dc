# tests/cxx/local.mk - the C++ header (include/shmring.hpp) compiled with
# the C++ compiler and tested with Criterion, and the C++ example run end
# to end. Included from the top-level Makefile.am.

EXTRA_DIST += tests/cxx/test_hpp.cc

if HAVE_CXX
TESTS += examples/cxx_ring
if HAVE_CRITERION
check_PROGRAMS += tests/cxx/test_hpp
TESTS += tests/cxx/test_hpp
tests_cxx_test_hpp_SOURCES = tests/cxx/test_hpp.cc
tests_cxx_test_hpp_CXXFLAGS = -std=c++17 $(WARN_CXXFLAGS) $(AM_CXXFLAGS) \
	$(CRITERION_CFLAGS)
tests_cxx_test_hpp_LDADD = lib/libshmring.la $(CRITERION_LIBS)
endif
endif
