#!/bin/sh
# autogen.sh - bootstrap the build: install the Debian packages it needs
# (when run as root on a Debian-like system), regenerate the autotools
# files, then run ./configure with the arguments given.
set -e
cd "$(dirname "$0")"

# Build and tests: the toolchain, liburcu, Criterion; the tests also use
# valgrind, spin (the protocol model), python3 (JSON checks) and groff
# (man page checks). The benchmark's peers: g++ with Boost.Interprocess,
# ZeroMQ, gnuplot for `make plots`; DPDK, Concurrency Kit and iceoryx
# (its C binding and RouDi). clang builds the fuzz targets.
pkgs="autoconf automake libtool pkg-config make gcc g++ liburcu-dev
libcriterion-dev valgrind spin python3 groff-base libzmq3-dev libboost-dev
python3-pytest python3-numpy python3-setuptools
gnuplot-nox clang libclang-rt-14-dev
dpdk-dev libck-dev iceoryx libiceoryx-binding-c-dev
libuv1-dev"
# The bridge test's two network namespaces: ip(8).
pkgs="$pkgs iproute2"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	missing=
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "autogen.sh: installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq $missing
	fi
fi

mkdir -p m4
autoreconf -fi
if [ -z "$NOCONFIGURE" ]; then
	./configure "$@"
fi
