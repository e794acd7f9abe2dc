#!/bin/sh
# autogen.sh - bootstrap the build: install the Debian packages it needs
# (when run as root on a Debian-like system), regenerate the autotools
# files, then run ./configure with the arguments given.
set -e
cd "$(dirname "$0")"

pkgs="autoconf automake libtool pkg-config make gcc liburcu-dev libcriterion-dev"
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
