# python/local.mk - the Python binding, package `shmring` (pure Python over
# ctypes: nothing to compile). Included from the top-level Makefile.am.
#
# `make install` puts it into Python's site directory (AM_PATH_PYTHON's
# pkgpythondir, $(pythondir)/shmring) with a module _install.py that
# records $(libdir), so that the package finds the library installed with
# it even where that directory is not in the loader's search path.
# `pip install ./python` (python/setup.py) installs the same package.

EXTRA_DIST += python/setup.py python/README.md python/shmring/__init__.py \
	bench/python_bench.py bench/python_cost.py

# `make bench` ends with the Python benchmark (bench/python_bench.py):
# shmring.Ring against multiprocessing's Queue, Pipe and a shared_memory
# block, on the library of this tree. PY_BENCH_FLAGS passes options, e.g.
# `make bench PY_BENCH_FLAGS=--check`.

if HAVE_PYTHON
pkgpython_PYTHON = python/shmring/__init__.py
nodist_pkgpython_PYTHON = python/shmring/_install.py

python/shmring/_install.py: Makefile
	$(AM_V_GEN)$(MKDIR_P) python/shmring && \
	printf '"""Where make install put libshmring."""\nLIBDIR = %s\n' \
		"'$(libdir)'" >$@

CLEANFILES += python/shmring/_install.py

PYBENCH_CMD = SHMRING_LIBRARY='$(abs_builddir)/lib/.libs/libshmring.so.0' \
	PYTHONPATH='$(abs_srcdir)/python' PYTHONDONTWRITEBYTECODE=1 \
	$(PYTHON) $(srcdir)/bench/python_bench.py $(PY_BENCH_FLAGS)
else
PYBENCH_CMD = @echo "python benchmark: skipped, no Python 3 found by configure"
endif
