#!/bin/sh
# check-man.sh - every exported function of libshmring has a man page, and
# every page renders without a formatter warning.
#
# Usage: check-man.sh [LIBRARY [MANDIR]]
#   LIBRARY  the built library: lib/.libs/libshmring.so (or libshmring.a);
#            default $top_builddir/lib/.libs/libshmring.so
#   MANDIR   the directory of the pages; default $top_srcdir/man, or the
#            man/ directory next to this script's tools/
#
# Exits 0 when all is well; 1 naming each exported symbol without a page,
# each section-3 page for a function the library does not export, each .so
# link to a missing page and each page with a warning; 77 (skipped, for the
# automake test driver) when run without arguments and no shared library
# was built. Rendering is checked
# with groff, or mandoc where groff is missing; with neither, only symbol
# coverage is checked, and the script says so.

me=check-man.sh
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -ge 1 ]; then
	lib=$1
	explicit=1
else
	lib=${top_builddir:-.}/lib/.libs/libshmring.so
	explicit=0
fi
if [ $# -ge 2 ]; then
	mandir=$2
elif [ -n "$top_srcdir" ]; then
	mandir=$top_srcdir/man
else
	mandir=$here/../man
fi

if [ ! -f "$lib" ]; then
	if [ "$explicit" = 0 ]; then
		echo "$me: SKIP: $lib not built (static-only build?)"
		exit 77
	fi
	echo "$me: error: no such library: $lib" >&2
	exit 1
fi
if [ ! -d "$mandir" ]; then
	echo "$me: error: no such directory: $mandir" >&2
	exit 1
fi
if ! command -v nm >/dev/null 2>&1; then
	echo "$me: error: nm not found (install binutils)" >&2
	exit 1
fi

# Exported functions: defined text symbols of the dynamic symbol table.
# Newer nm prints versioned names as name@@NODE. An archive has no dynamic
# table and its internal functions are global too (hidden visibility only
# matters at link time): there, only the public prefix counts.
case $lib in
*.a)
	syms=$(nm -g --defined-only "$lib" 2>/dev/null) || syms=
	prefix='shmring_'
	;;
*)
	syms=$(nm -D --defined-only "$lib" 2>/dev/null) || syms=
	prefix=
	;;
esac
if [ -z "$syms" ]; then
	echo "$me: error: nm cannot read $lib" >&2
	exit 1
fi
syms=$(printf '%s\n' "$syms" |
	awk -v p="$prefix" '$2 == "T" && index($3, p) == 1 {
		sub(/@.*/, "", $3); print $3 }' |
	grep -v -x -e _init -e _fini | sort -u)
if [ -z "$syms" ]; then
	echo "$me: error: no exported function found in $lib" >&2
	exit 1
fi

status=0
nsyms=0

# Print the page that documents a symbol's page, following one .so link
# ("man3/other.3" names a page in the same directory here).
resolve() {
	target=$(sed -n '1s/^\.so[ 	]\{1,\}//p' "$1")
	if [ -n "$target" ]; then
		echo "$mandir/$(basename "$target")"
	else
		echo "$1"
	fi
}

for s in $syms; do
	nsyms=$((nsyms + 1))
	page=$mandir/$s.3
	if [ ! -f "$page" ]; then
		echo "$me: FAIL: $s is exported but has no page $page"
		status=1
		continue
	fi
	real=$(resolve "$page")
	if [ ! -f "$real" ]; then
		echo "$me: FAIL: $page links to $real, which does not exist"
		status=1
	elif ! grep -q "$s" "$real"; then
		echo "$me: FAIL: $real, the page of $s, never names it"
		status=1
	fi
done

# Pages that name no exported function are stale, or document a function
# that was never exported: say so, it is a bug in one of the two.
for page in "$mandir"/*.3; do
	[ -f "$page" ] || continue
	name=$(basename "$page" .3)
	if ! printf '%s\n' "$syms" | grep -q -x "$name"; then
		echo "$me: FAIL: $page documents $name, which $lib does not export"
		status=1
	fi
done

# Render every page that is not a .so link, with every warning enabled.
if command -v groff >/dev/null 2>&1; then
	render() { groff -man -Tutf8 -ww -z "$1" 2>&1; }
	how="groff -man -ww"
elif command -v mandoc >/dev/null 2>&1; then
	render() { mandoc -Tlint -Wwarning "$1" 2>&1; }
	how="mandoc -Tlint"
else
	how=
fi
npages=0
if [ -n "$how" ]; then
	for page in "$mandir"/*.[1-9]; do
		[ -f "$page" ] || continue
		if grep -q '^\.so' "$page"; then
			continue
		fi
		npages=$((npages + 1))
		out=$(render "$page")
		if [ -n "$out" ]; then
			echo "$me: FAIL: $page: $how warns:"
			printf '%s\n' "$out" | sed 's/^/    /'
			status=1
		fi
	done
	echo "$me: $nsyms exported functions checked for pages," \
		"$npages pages rendered with $how"
else
	echo "$me: $nsyms exported functions checked for pages;" \
		"neither groff nor mandoc is installed: pages not rendered"
fi
exit $status
