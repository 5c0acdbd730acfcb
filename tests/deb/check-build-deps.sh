#!/bin/bash
#
# check-build-deps.sh - debian/control's Build-Depends name the packages
# ./bootstrap installs to build vpcfw (BUILD_PACKAGES), no more and no fewer:
# build-essential is implicit in Build-Depends (Debian Policy 4.2), and
# debhelper-compat is the packaging's own.
set -u
: "${VPCFW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

boot=$(sed -n '/^BUILD_PACKAGES="/,/"$/p' "$VPCFW_SRCDIR/bootstrap" |
	sed 's/^BUILD_PACKAGES="//; s/"$//' | tr -s ' \t' '\n\n' | grep . |
	grep -vx build-essential | sort)
# The Build-Depends field with its continuation lines; each entry without
# version, architecture list and build profile.
deps=$(awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	    on && /^[ \t]/ { print; next } on { exit }' "$VPCFW_SRCDIR/debian/control" |
	grep -v '^[ \t]*#' | tr ',' '\n' |
	sed 's/([^)]*)//g; s/\[[^]]*\]//g; s/<[^>]*>//g; s/[ \t]//g' | grep . |
	grep -vx debhelper-compat | sort)

if [ -z "$boot" ] || [ -z "$deps" ]; then
	echo "FAIL - could not read BUILD_PACKAGES in bootstrap or Build-Depends in debian/control"
	exit 1
fi
if [ "$boot" = "$deps" ]; then
	echo "ok - Build-Depends are bootstrap's BUILD_PACKAGES: $(echo $deps)"
	exit 0
fi
echo "FAIL - Build-Depends and bootstrap's BUILD_PACKAGES differ (< bootstrap, > debian/control):"
diff <(echo "$boot") <(echo "$deps") | grep '^[<>]' | sed 's/^/#   /'
exit 1
