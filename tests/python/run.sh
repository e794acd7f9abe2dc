#!/bin/sh
# tests/python/run.sh - run the Python binding's tests (pytest) on the
# library of this build tree. Exits 0 when they pass, 1 when one fails,
# 77 (skipped) when no python3 has pytest or no shared library was built.
#
# A library built with sanitizers needs their runtime loaded before
# anything else in the process: python itself is not built with them, so
# the runtime goes in by LD_PRELOAD, found from the library's own
# dependencies. Python's allocations are not the library's to answer
# for: leak detection is off.
: "${PYTHON:=python3}"
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
lib=$top_builddir/lib/.libs/libshmring.so.0

# The binding is pure Python: where the interpreter configure found has
# no pytest (a python of its own ahead in PATH), Debian's python3 will do.
py=
for p in "$PYTHON" python3 /usr/bin/python3; do
	if "$p" -c 'import pytest' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "tests/python: SKIP: pytest is not installed for $PYTHON"
	exit 77
fi
if [ ! -f "$lib" ]; then
	echo "tests/python: SKIP: no shared library $lib (static-only build)"
	exit 77
fi

preload=
for rt in libasan libubsan libtsan; do
	p=$(ldd "$lib" 2>/dev/null | awk -v rt="$rt" 'index($1, rt) == 1 { print $3 }')
	[ -n "$p" ] && preload="$preload${preload:+ }$p"
done
if [ -n "$preload" ]; then
	LD_PRELOAD="$preload${LD_PRELOAD:+ $LD_PRELOAD}"
	ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export LD_PRELOAD ASAN_OPTIONS
	echo "tests/python: sanitizer runtimes preloaded: $preload"
fi

SHMRING_LIBRARY=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
# No __pycache__ or .pytest_cache in the tree: distcheck's is read-only.
PYTHONDONTWRITEBYTECODE=1
export SHMRING_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE
echo "tests/python: $($py -c 'import sys; print(sys.executable, sys.version.split()[0])')"
exec "$py" -m pytest -q -p no:cacheprovider "$top_srcdir/tests/python"
