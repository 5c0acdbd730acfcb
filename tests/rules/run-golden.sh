#!/bin/bash
# Golden tests of the native rule language (pf's regress habit):
#
#   NAME.in       a native rule file; `vpcfw check NAME.in` must exit 0 and
#                 print NAME.out exactly on stdout, and NAME.err exactly on
#                 stderr when that file exists (warnings; otherwise stderr,
#                 where the lint speaks, is not compared); `check` of the
#                 printed output must exit 0 and print it again (the round
#                 trip; a reference's "# from ID" comment is all it loses)
#   bad/NAME.in   `vpcfw check bad/NAME.in` must exit 1 and print
#                 bad/NAME.err exactly on stderr: every bad line, in order
#
# Usage: VPCFW=path/to/vpcfw tests/rules/run-golden.sh
# Prints one "ok" or "FAIL" line per file; exits 1 if any failed.
set -u

: "${VPCFW:?set VPCFW to the vpcfw binary}"
case $VPCFW in
*/*) VPCFW=$(cd "$(dirname "$VPCFW")" && pwd)/$(basename "$VPCFW") ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here" || exit 1
failed=0
count=0

fail() {
	echo "FAIL $1: $2"
	[ -s "$tmp/diff" ] && sed 's/^/    /' "$tmp/diff"
	failed=1
}

# check FILE: stdout to $tmp/out, stderr to $tmp/err, exit status to $rc.
check() {
	"$VPCFW" check "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

same() {
	diff -u "$1" "$2" >"$tmp/diff"
}

good() {
	local in=$1 name=${1%.in}

	: >"$tmp/diff"
	check "$in"
	cp "$tmp/err" "$tmp/diff"
	[ "$rc" -eq 0 ] || { fail "$in" "exit status $rc, not 0"; return; }
	[ -f "$name.out" ] || { fail "$in" "no $name.out"; return; }
	same "$name.out" "$tmp/out" || { fail "$in" "stdout differs from $name.out"; return; }
	if [ -f "$name.err" ]; then
		same "$name.err" "$tmp/err" || { fail "$in" "stderr differs from $name.err"; return; }
	fi
	# The round trip: the canonical form is a fixpoint.
	cp "$tmp/out" "$tmp/printed.rules"
	sed -E 's/ +# from [A-Za-z0-9-]+$//' "$tmp/out" >"$tmp/expected"
	check "$tmp/printed.rules"
	cp "$tmp/err" "$tmp/diff"
	[ "$rc" -eq 0 ] || { fail "$in" "check of its output: exit status $rc"; return; }
	same "$tmp/expected" "$tmp/out" || { fail "$in" "check of its output prints something else"; return; }
	echo "ok   $in"
}

bad() {
	local in=$1 name=${1%.in}

	: >"$tmp/diff"
	check "$in"
	[ "$rc" -eq 1 ] || { cp "$tmp/err" "$tmp/diff"; fail "$in" "exit status $rc, not 1"; return; }
	[ -f "$name.err" ] || { fail "$in" "no $name.err"; return; }
	same "$name.err" "$tmp/err" || { fail "$in" "stderr differs from $name.err"; return; }
	echo "ok   $in"
}

for in in *.in; do
	[ -e "$in" ] || continue
	good "$in"
	count=$((count + 1))
done
for in in bad/*.in; do
	[ -e "$in" ] || continue
	bad "$in"
	count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "FAIL: no golden files in $here"; exit 1; }
exit $failed
