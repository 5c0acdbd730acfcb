#!/bin/bash
#
# t-subnet.sh - the NACL guards the subnet's edge only (doc/aws-semantics.md
# 1.1): with --subnet, a neighbour inside the subnet passes a NACL that drops
# an outside peer on the same port, while the security group still judges
# both. Without --subnet the NACL judges the neighbour too, as before.
#
#   host 10.96.0.10 / fd99::1               peer: neighbour 10.96.0.20 / fd99::2
#     servers TCP 8080, 8081                      outside   10.97.0.20 (bound as source)
#     --subnet 10.96.0.0/24 --subnet fd99::/64
#
# (Not the harness's 10.99.0.1 and .2: the first four addresses of a subnet
# are AWS-reserved, and exempt, so no instance has one.)
#
# NACL inbound: 100 deny TCP 8080-8081 from anywhere, 110 allow all
# SG inbound:   TCP 8080 from the neighbour's and the outside peer's nets
. "$(dirname "$0")/lib.sh"

readonly SUB4=10.96.0.0/24 HOST4=10.96.0.10 NB4=10.96.0.20 OUT4=10.97.0.20

setup_topology
ip -n "$HOST_NS" addr add "$HOST4/24" dev veth0
ip -n "$PEER_NS" addr add "$NB4/24" dev veth0
ip -n "$PEER_NS" addr add "$OUT4/24" dev veth0
ip -n "$HOST_NS" route add 10.97.0.0/24 dev veth0
serve_tcp "$HOST_NS" 8080
serve_tcp "$HOST_NS" 8081

N="$TMPD/nacl.json"
S="$TMPD/sg.json"
nacl_json "$N" "in 100 deny tcp:8080-8081 0.0.0.0/0" "in 101 deny tcp:8080-8081 ::/0" \
	"in 110 allow all 0.0.0.0/0" "in 111 allow all ::/0" \
	"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
sg_json "$S" "in tcp:8080 $SUB4" "in tcp:8080 $NET6" "in tcp:8080 10.97.0.0/24"
steer on
engine_start --nacl "$N" --sg "$S" --subnet "$SUB4" --subnet "$NET6"

listeners() { trace_listeners "$1"; }	# besides lib.sh's recorder
TR="$TMPD/trace"
in_host "$VPCFW" trace --ctl "$CTL" --port 8080 --count 2 >"$TR" 2>&1 &
PIDS+=("$!")
TRACE_PID=$!
wait_for 5 listeners 1 || fail "the trace listener attached"

tcp_ok "IPv4 neighbour -> host:8080: NACL not consulted, SG allows" "$PEER_NS" "$HOST4" 8080 ",bind=$NB4"
wait_for 5 proc_gone "$TRACE_PID"
tcp_ok "IPv6 neighbour -> host:8080: NACL not consulted, SG allows" "$PEER_NS" "$H6" 8080
tcp_fails "outside peer -> host:8080: the NACL drops it" "$PEER_NS" "$HOST4" 8080 ",bind=$OUT4"
tcp_fails "neighbour -> host:8081: the SG still judges (no rule)" "$PEER_NS" "$HOST4" 8081 ",bind=$NB4"

say "$(cat "$TR")"
check "trace says the NACL was not consulted" \
	grep -q "in  tcp $NB4:[0-9]* -> $HOST4:8080 \[S\] ACCEPT: nacl-in:subnet (same subnet: NACL not consulted), then sg-in:sg-0123456789abcdef0#1 (new tracked flow)" "$TR"
check "outbound too" \
	grep -q "out tcp $HOST4:8080 -> $NB4:[0-9]* \[S.\] ACCEPT: sg:flow (tracked reply), then nacl-out:subnet (same subnet: NACL not consulted)" "$TR"
check "status shows the subnets in force" bash -c \
	"ip netns exec '$HOST_NS' '$VPCFW' status --ctl '$CTL' | grep -q '^subnets: $SUB4 $NET6;'"
check "same-subnet packets counted" test "$(counter "nacl not consulted" same-subnet)" -ge 4
check "the outside peer was dropped by the NACL" test "$(counter "dropped by" nacl)" -ge 1
check "the neighbour on 8081 was dropped by the SG" test "$(counter "dropped by" sg)" -ge 1

say "without --subnet the host stands alone: the NACL checks everything"
engine_stop
engine_start --nacl "$N" --sg "$S"
tcp_fails "neighbour -> host:8080: the NACL drops it" "$PEER_NS" "$HOST4" 8080 ",bind=$NB4"
check "status shows no subnet" bash -c \
	"ip netns exec '$HOST_NS' '$VPCFW' status --ctl '$CTL' | grep -q '^subnets: none'"
check_not "no warning about reserved host addresses without --subnet" \
	grep -q "is one AWS reserves" "$ENGINE_LOG"

say "a --subnet that makes the host's own address reserved is said at start"
engine_stop
# The harness's host is 10.99.0.1: the second address of 10.99.0.0/24.
engine_start --nacl "$N" --sg "$S" --subnet "$NET4"
check "the engine warns that $H4 is reserved in $NET4" \
	grep -q "veth0: the host's address $H4 is one AWS reserves" "$ENGINE_LOG"

finish
