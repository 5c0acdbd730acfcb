#!/bin/bash
#
# t-demo.sh - `vpcfw demo --fast` is also a smoke test: it runs every step
# of the stateless-vs-stateful demo on the example rules in rules/ in its
# own namespaces and exits 0 only when every step behaved as expected.
. "$(dirname "$0")/lib.sh"

require_env
export VPCFW_RULES="$VPCFW_SRCDIR/rules"
# No terminal on stdin: the demo must then run without pauses.
timeout 120 "$VPCFW" demo --fast </dev/null 2>&1 | sed 's/^/#   /'
rc=${PIPESTATUS[0]}
check "vpcfw demo --fast exits 0 (got $rc)" test "$rc" = 0
exit "$FAILED"
