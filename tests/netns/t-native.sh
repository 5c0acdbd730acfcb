#!/bin/bash
#
# t-native.sh - rule files in the native language run in the engine: every
# example in rules/*.rules loads for the layers it holds, and web.rules and
# ephemeral-mistake.rules behave with real traffic as their comments say.
#
#   peer 10.99.0.2 --- TCP :80 / :23 --->  host 10.99.0.1 (vpcfw, one file
#                                          given with --nacl and --sg)
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 23
RULES="$VPCFW_SRCDIR/rules"

# layers FILE: the run arguments for the sections the file holds.
layers() {
	grep -q '^nacl ' "$1" && printf -- '--nacl %s ' "$1"
	grep -q '^sg ' "$1" && printf -- '--sg %s ' "$1"
}

for f in "$RULES"/*.rules; do
	# shellcheck disable=SC2046
	engine_start $(layers "$f")
	pass "$(basename "$f") loads in the engine ($(layers "$f" | sed "s|$RULES/||g"))"
	engine_stop
done

steer on
engine_start --nacl "$RULES/web.rules" --sg "$RULES/web.rules"
tcp_ok "web.rules: peer -> host:80 works (NACL 100 + SG http from anywhere, replies by NACL 140)" \
	"$PEER_NS" "$H4" 80
tcp_ok "web.rules: the same over IPv6 (NACL 101 + 141)" "$PEER_NS" "$H6" 80
tcp_fails "web.rules: peer -> host:23 is denied (NACL *)" "$PEER_NS" "$H4" 23
engine_stop

engine_start --nacl "$RULES/ephemeral-mistake.rules" --sg "$RULES/ephemeral-mistake.rules"
tcp_fails "ephemeral-mistake.rules: peer -> host:80 times out (the reply meets NACL outbound *)" \
	"$PEER_NS" "$H4" 80
check "and the NACL is what dropped it" test "$(counter "dropped by" nacl)" -gt 0
engine_stop

check_not "a native file with both layers given only with --sg is refused" \
	in_host "$VPCFW" run --ctl "$CTL" --sg "$RULES/web.rules"
steer off
finish
