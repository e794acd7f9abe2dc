# python/local.mk - the Python binding, package `shmring` (pure Python over
# ctypes: nothing to compile). Included from the top-level Makefile.am.
#
# `make install` puts it into Python's site directory (AM_PATH_PYTHON's
# pkgpythondir, $(pythondir)/shmring) with a module _install.py that
# records $(libdir), so that the package finds the library installed with
# it even where that directory is not in the loader's search path.
# `pip install ./python` (python/setup.py) installs the same package.

EXTRA_DIST += python/setup.py python/README.md python/shmring/__init__.py

if HAVE_PYTHON
pkgpython_PYTHON = python/shmring/__init__.py
nodist_pkgpython_PYTHON = python/shmring/_install.py

python/shmring/_install.py: Makefile
	$(AM_V_GEN)$(MKDIR_P) python/shmring && \
	printf '"""Where make install put libshmring."""\nLIBDIR = %s\n' \
		"'$(libdir)'" >$@

CLEANFILES += python/shmring/_install.py
endif
