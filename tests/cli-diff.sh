#!/bin/bash
# `vpcfw diff` from the command line, on the example rule files (rules/):
# the exact lines, the exit status of diff(1) (0 same, 1 different, 2
# trouble), --json, --map for SG references, --old/--new with several files
# a side. No root, no namespace: the difference is computed from the files.
#
# Usage: VPCFW=path/to/vpcfw VPCFW_SRCDIR=path/to/source tests/cli-diff.sh
set -u

: "${VPCFW:?set VPCFW to the vpcfw binary}" "${VPCFW_SRCDIR:?}"
case $VPCFW in
*/*) VPCFW=$(cd "$(dirname "$VPCFW")" && pwd)/$(basename "$VPCFW") ;;
esac
cd "$VPCFW_SRCDIR/rules" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect RC WHAT ARGS...: run vpcfw diff ARGS, stdout in $tmp/out, stderr in $tmp/err.
expect() {
	local want=$1 what=$2 rc
	shift 2
	"$VPCFW" diff "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		echo "ok - $what"
	else
		echo "FAIL - $what: exit $rc, wanted $want"
		sed 's/^/    /' "$tmp/out" "$tmp/err"
		failed=1
	fi
}

# same WHAT: stdout is exactly the text on standard input.
same() {
	if diff -u - "$tmp/out" >"$tmp/d"; then
		echo "ok - $1"
	else
		echo "FAIL - $1"
		sed 's/^/    /' "$tmp/d"
		failed=1
	fi
}

expect 1 "a revoked HTTP rule differs" web-sg.json web-sg-http-revoked.json
same "... port 80 closes for both families, naming the rules" <<'OUT'
- sg-in    tcp from 0.0.0.0/0 port 80  no longer allowed (was sg-in:sg-0e5f6a7b8c9d0e1f2#1; now sg-in:none)
- sg-in    tcp from ::/0 port 80  no longer allowed (was sg-in:sg-0e5f6a7b8c9d0e1f2#2; now sg-in:none)
OUT
expect 1 "the reverse opens it" web-sg-http-revoked.json web-sg.json
grep -q '^+ sg-in    tcp from 0.0.0.0/0 port 80  now allowed (sg-in:sg-0e5f6a7b8c9d0e1f2#1; was sg-in:none)$' "$tmp/out" &&
	echo "ok - ... as now allowed" || { echo "FAIL - ... as now allowed"; failed=1; }
expect 0 "a file against itself: no difference" web-sg.json web-sg.json
same "... and nothing printed" </dev/null
expect 0 "JSON and its native twin admit the same" default-nacl.json default-nacl.rules
expect 1 "the ephemeral-port fix of a NACL" web-nacl-ephemeral-mistake.json web-nacl-fixed.json
same "... opens the return ports both ways and families" <<'OUT'
+ nacl-in  tcp from 0.0.0.0/0 port 1024-65535  now allowed (nacl-in:140 allow; was nacl-in:* deny)
+ nacl-in  tcp from ::/0 port 1024-65535  now allowed (nacl-in:141 allow; was nacl-in:* deny)
+ nacl-out tcp to 0.0.0.0/0 port 1024-65535  now allowed (nacl-out:140 allow; was nacl-out:* deny)
+ nacl-out tcp to ::/0 port 1024-65535  now allowed (nacl-out:141 allow; was nacl-out:* deny)
OUT
expect 1 "--old/--new: several files a side, both layers" \
	--old web-nacl-ephemeral-mistake.json --old web-sg.json \
	--new web-nacl-fixed.json --new web-sg-http-revoked.json
[ "$(grep -c '^[-+] ' "$tmp/out")" = 6 ] && echo "ok - ... six lines" ||
	{ echo "FAIL - ... six lines"; cat "$tmp/out"; failed=1; }
expect 1 "--json" --json web-sg.json web-sg-http-revoked.json
grep -q '"complete": true' "$tmp/out" && grep -q '"count": 2' "$tmp/out" &&
	grep -q '"old": "sg-in:sg-0e5f6a7b8c9d0e1f2#1"' "$tmp/out" &&
	echo "ok - ... says complete, the count and the rules" ||
	{ echo "FAIL - ... JSON"; cat "$tmp/out"; failed=1; }
expect 2 "an SG reference without --map is an error" db-private-sg.json db-private-sg.json
grep -q "give --map sg-0e5f6a7b8c9d0e1f2=" "$tmp/err" && echo "ok - ... naming the flag" ||
	{ echo "FAIL - ... naming the flag"; failed=1; }
M="--map sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24 --map sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32"
# shellcheck disable=SC2086 # $M is two options
expect 0 "with --map it loads" $M db-private-sg.json db-private-sg.json
# shellcheck disable=SC2086
expect 1 "mapped groups: the database's group against the default one" \
	$M --map sg-02b3c4d5e6f7a8b9c=10.0.5.0/24 db-private-sg.json default-sg.json
same "... through the mapped addresses" <<'OUT'
+ sg-in    all from 10.0.5.0/24  now allowed (sg-in:sg-02b3c4d5e6f7a8b9c#1; was sg-in:none)
- sg-in    tcp from 10.0.0.10/32 port 22  no longer allowed (was sg-in:sg-01a2b3c4d5e6f7a8b#2; now sg-in:none)
- sg-in    tcp from 10.0.1.0/24 port 5432  no longer allowed (was sg-in:sg-01a2b3c4d5e6f7a8b#1; now sg-in:none)
+ sg-out   all to 0.0.0.0/0  now allowed (sg-out:sg-02b3c4d5e6f7a8b9c#2; was sg-out:none)
+ sg-out   all to ::/0  now allowed (sg-out:sg-02b3c4d5e6f7a8b9c#3; was sg-out:none)
OUT
expect 2 "one file is a usage error" web-sg.json
expect 2 "a missing file is trouble, not a difference" web-sg.json /nonexistent.json
grep -q "/nonexistent.json" "$tmp/err" && echo "ok - ... named" || { echo "FAIL - ... named"; failed=1; }
exit $failed
