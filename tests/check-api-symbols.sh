#!/bin/bash
# The public face holds: libvpcfw linked whole into a shared object with its
# version script (src/lib/libvpcfw.map) exports exactly the functions that
# include/vpcfw/vpcfw.h declares with VPCFW_API, every one of them, in a
# node VPCFW_N (VPCFW_1, and later ones for functions added since), and needs nothing but its own dependencies (-z defs: no engine,
# no command line). The library is static and not installed; this shared
# object exists only here, as an embedder would build it.
#
# From make check (Makefile.am sets VPCFW_SRCDIR, API_CC, API_LIB, API_LIBS);
# by hand: API_CC=gcc API_LIB=build/.libs/libvpcfw.a API_LIBS="-ljansson" \
#          VPCFW_SRCDIR=. bash tests/check-api-symbols.sh
set -euo pipefail

: "${VPCFW_SRCDIR:?}" "${API_CC:?}" "${API_LIB:?}"
header=$VPCFW_SRCDIR/include/vpcfw/vpcfw.h
map=$VPCFW_SRCDIR/src/lib/libvpcfw.map
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v nm >/dev/null && command -v readelf >/dev/null ||
	{ echo "nm or readelf not found: skipped"; exit 77; }

# Declared: the first vpcfw_name( on each line that starts with VPCFW_API.
grep '^VPCFW_API' "$header" | grep -o 'vpcfw_[a-z0-9_]*(' |
	tr -d '(' | sort -u > "$work/declared"
[ -s "$work/declared" ] || { echo "no VPCFW_API declarations in $header"; exit 1; }

# shellcheck disable=SC2086 # API_CC and API_LIBS are word lists, as make gives them
$API_CC -shared -o "$work/libvpcfw.so" -Wl,-z,defs \
	-Wl,--whole-archive "$API_LIB" -Wl,--no-whole-archive \
	-Wl,--version-script="$map" ${API_LIBS:-} -lpthread

# Exported: the functions the shared object defines, with their version nodes.
nm -D --defined-only --with-symbol-versions "$work/libvpcfw.so" |
	awk '$2 ~ /^[TtWwiDdBbRr]$/ { print $3 }' > "$work/exported.v"
sed 's/@.*//' "$work/exported.v" | grep -Ev '^VPCFW_[0-9]+$' | sort -u > "$work/exported"

status=0
if ! diff -u "$work/declared" "$work/exported" > "$work/diff"; then
	echo "exported symbols differ from the header's VPCFW_API functions (- declared, + exported):"
	cat "$work/diff"
	status=1
fi
if grep -Ev '^VPCFW_[0-9]+$' "$work/exported.v" | grep -Eqv '@@*VPCFW_[0-9]+$'; then
	echo "symbols outside the versions VPCFW_N:"
	grep -Ev '^VPCFW_[0-9]+$' "$work/exported.v" | grep -Ev '@@*VPCFW_[0-9]+$'
	status=1
fi
# The objects themselves: every other global is hidden (-fvisibility=hidden),
# so the library's internals stay internal even without the version script.
# (Names starting with '_' are the compiler's: sanitizer and profile hooks.)
readelf -sW "$API_LIB" |
	awk '$5 == "GLOBAL" && $7 != "UND" && $6 == "DEFAULT" && $8 !~ /^(vpcfw_|_)/ { print $8 }' |
	sort -u > "$work/visible"
if [ -s "$work/visible" ]; then
	echo "globals of default visibility that the header does not declare:"
	cat "$work/visible"
	status=1
fi
echo "$(wc -l < "$work/declared") functions declared, $(wc -l < "$work/exported") exported"
exit $status
