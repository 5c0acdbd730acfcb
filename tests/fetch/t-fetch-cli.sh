#!/bin/bash
#
# t-fetch-cli.sh - `vpcfw fetch` through the real AWS CLI against a local
# EC2 endpoint (ec2-endpoint.py, the fixture VPC drawn there) on the
# loopback of a namespace of its own:
#
#   namespace vpcfw-NNNN-host:  vpcfw fetch -> aws (awscli) -> 127.0.0.1:PORT ec2-endpoint.py
#
# The fetched file must be the hand-written web.rules (references resolved,
# comments naming the sources), load with `vpcfw check`, and every failure
# (unknown instance, no CLI, bad usage) must say why and exit non-zero.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/endpoint.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a network namespace)"
TMPD=$(mktemp -d "/tmp/vpcfw-fetch.XXXXXX") || hard_error "mktemp"
trap cleanup EXIT
trap 'exit 130' INT TERM
add_ns "$HOST_NS"
endpoint_start "$HOST_NS"

WEB=i-0f1e2d3c4b5a69788
OUT="$TMPD/web.rules"
# The CLI of bookworm (2.9) predates ConnectionTrackingConfiguration and
# drops it from its JSON; a newer one keeps it. Compare without that line,
# and check it separately when it is there.
no_ct() { grep -v '^#   connection tracking:' "$1"; }

check "fetch the web instance (exit 0)" fetch_in "$HOST_NS" --instance "$WEB" -o "$OUT"
check "the file is web.rules, written by hand from the fixture" \
	cmp -s <(no_ct "$OUT") "$FETCH_DIR/web.rules"
if ! cmp -s <(no_ct "$OUT") "$FETCH_DIR/web.rules"; then
	diff -u "$FETCH_DIR/web.rules" <(no_ct "$OUT") | sed 's/^/#   /'
fi
if grep -q '^#   connection tracking:' "$OUT"; then
	check "the interface's tracking timeouts are named for --conntrack" grep -qx \
		'#   connection tracking: vpcfw run --conntrack tcp-established=3600,udp-stream=120,udp=30' "$OUT"
fi
check "vpcfw check --werror loads it without error or warning" quiet "$VPCFW" check --werror "$OUT"
check "its canonical print is that of web.rules" \
	cmp -s <("$VPCFW" check "$OUT" 2>/dev/null) <("$VPCFW" check "$FETCH_DIR/web.rules" 2>/dev/null)
check "standard output carries the same file" \
	cmp -s <(fetch_in "$HOST_NS" --instance "$WEB" | no_ct /dev/stdin) "$FETCH_DIR/web.rules"
check "the network ACL was asked for by the subnet's association" \
	grep -q '^DescribeNetworkAcls Filter.1.Name=association.subnet-id Filter.1.Value.1=subnet-0a1b2c3d4e5f60001$' "$ENDPOINT_LOG"
check "the members were asked for by group" \
	grep -q '^DescribeNetworkInterfaces Filter.1.Name=group-id Filter.1.Value.1=sg-0a1b2c3d4e5f00002$' "$ENDPOINT_LOG"

# Two interfaces: the primary's groups are written, the other is named.
TWO="$TMPD/two.rules"
check "fetch the instance with two interfaces" fetch_in "$HOST_NS" --instance i-0c0c0c0c0c0c0c0c2 -o "$TWO"
check "its rules are the primary interface's (those of web.rules)" \
	cmp -s <("$VPCFW" check "$TWO" 2>/dev/null) <("$VPCFW" check "$FETCH_DIR/web.rules" 2>/dev/null)
DEV1='# interface eni-0a1b2c3d4e5f64444 (device 1, MAC 02:00:0a:63:02:09, subnet-0a1b2c3d4e5f60002)'
check "the second interface and its groups are named, as not written" \
	cmp -s <(grep -A3 -xF "$DEV1" "$TWO") <(printf '%s\n' "$DEV1" '#   addresses: 10.99.2.9' \
		'#   security groups (not written: this file holds those of the primary interface):' \
		'#     sg-0a1b2c3d4e5f00002 (db)')

# A group with no member and a list with no entry: their rules match nothing
# (as in AWS), so they are left out, and the comments say so.
LONE="$TMPD/lonely.rules"
check "fetch the instance whose rules name nobody" fetch_in "$HOST_NS" --instance i-0e0e0e0e0e0e0e0e4 -o "$LONE"
check "the file is lonely.rules, written by hand from the fixture" cmp -s "$LONE" "$FETCH_DIR/lonely.rules"
check "vpcfw check loads it" quiet "$VPCFW" check "$LONE"

# Failures: the CLI's message, a non-zero status, nothing written.
fetch_in "$HOST_NS" --instance i-0f1e2d3c4b5a60000 -o "$TMPD/none.rules" 2>"$TMPD/err"
rc=$?
check "an unknown instance exits 3 (got $rc)" test "$rc" = 3
check "... with the CLI's message" grep -q \
	"aws ec2 describe-instances failed: An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID 'i-0f1e2d3c4b5a60000' does not exist (exit status 254)" "$TMPD/err"
check_not "... and writes no file" test -e "$TMPD/none.rules"

ip netns exec "$HOST_NS" env -i PATH=/nonexistent "$VPCFW" fetch --instance "$WEB" 2>"$TMPD/err"
rc=$?
check "without the AWS CLI: exit 3 (got $rc)" test "$rc" = 3
check "... saying to install it" grep -q "cannot run aws: No such file or directory (vpcfw fetch needs the AWS CLI: apt install awscli)" "$TMPD/err"

"$VPCFW" fetch 2>/dev/null
rc=$?
check "no --instance: usage error, exit 2 (got $rc)" test "$rc" = 2
"$VPCFW" fetch --instance '--debug' 2>/dev/null
rc=$?
check "an instance id that is not one: exit 2 (got $rc)" test "$rc" = 2

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
