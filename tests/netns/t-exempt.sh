#!/bin/bash
#
# t-exempt.sh - traffic AWS never filters passes unjudged (doc/aws-semantics.md
# 1.1): the instance metadata service (169.254.169.254), the VPC resolver
# (--vpc base + 2) and the IPv6 metadata address stay reachable under a
# deny-all NACL and an SG with no rules; they are counted as exempt by kind,
# traced with the reason, and absent from the flow log. With
# --judge-aws-services they are judged like any address, and dropped.
#
#   host 10.99.0.1 / fd99::1                 peer 10.99.0.2 / fd99::2
#     vpcfw: NACL deny all, SG no rules        also 169.254.169.254 (TCP 80),
#     --vpc 10.98.0.0/16                            10.98.0.2 (TCP 53),
#     routes to those via veth0                     fd00:ec2::254
. "$(dirname "$0")/lib.sh"

readonly MD4=169.254.169.254 DNS4=10.98.0.2 MD6=fd00:ec2::254
readonly EX="exempt (AWS never filters it)"

setup_topology
ip -n "$PEER_NS" addr add "$MD4/32" dev veth0
ip -n "$PEER_NS" addr add "$DNS4/32" dev veth0
ip -n "$PEER_NS" -6 addr add "$MD6/128" dev veth0 nodad
ip -n "$HOST_NS" route add "$MD4/32" dev veth0
ip -n "$HOST_NS" route add "$DNS4/32" dev veth0
ip -n "$HOST_NS" -6 route add "$MD6/128" dev veth0
serve_tcp "$PEER_NS" 80
serve_tcp "$PEER_NS" 53

N="$TMPD/nacl.json"
S="$TMPD/sg.json"
FL="$TMPD/flow.log"
nacl_json "$N"
sg_json "$S"
steer on
engine_start --nacl "$N" --sg "$S" --vpc 10.98.0.0/16 --flow-log "$FL" --flow-log-interval 1

listeners() { trace_listeners "$1"; }	# besides lib.sh's recorder
TR="$TMPD/trace"
in_host "$VPCFW" trace --ctl "$CTL" --addr "$MD4" --proto tcp --count 2 >"$TR" 2>&1 &
PIDS+=("$!")
TRACE_PID=$!
wait_for 5 listeners 1 || fail "the trace listener attached"

tcp_ok "metadata 169.254.169.254:80 reachable under deny-all NACL and empty SG" \
	"$HOST_NS" "$MD4" 80
tcp_ok "VPC resolver $DNS4:53 reachable" "$HOST_NS" "$DNS4" 53
ping_ok "VPC resolver answers ping" "$HOST_NS" "$DNS4"
ping_ok "IPv6 metadata $MD6 answers ping" "$HOST_NS" "$MD6"
tcp_fails "the peer's own address is judged: dropped" "$HOST_NS" "$P4" 80
ping_fails "IPv6 peer judged: dropped" "$HOST_NS" "$P6"

wait_for 5 proc_gone "$TRACE_PID"
say "$(cat "$TR")"
check "trace names the exemption and its reason" \
	grep -q "out tcp $H4:[0-9]* -> $MD4:80 \[S\] ACCEPT: exempt:link-local (link-local address 169.254.0.0/16: AWS never filters it)" "$TR"
check "link-local packets counted" test "$(counter "$EX" link-local)" -ge 4
check "reserved (resolver) packets counted" test "$(counter "$EX" reserved)" -ge 4
check "aws-ipv6 packets counted" test "$(counter "$EX" aws-ipv6)" -ge 2
check "show metrics has the exempt kinds" bash -c \
	"ip netns exec '$HOST_NS' '$VPCFW' show metrics --ctl '$CTL' | grep -q 'vpcfw_exempt_total{kind=\"link-local\"} [1-9]'"
check "status says the service addresses are exempt" bash -c \
	"ip netns exec '$HOST_NS' '$VPCFW' status --ctl '$CTL' | grep -q 'vpc 10.98.0.0/16; AWS service and reserved addresses: exempt'"
check "the flow log got the judged traffic" wait_for 5 grep -q " $H4 $P4 " "$FL"
check_not "the flow log has no exempt traffic" grep -qE "$MD4|$DNS4|fd00:ec2" "$FL"

say "--judge-aws-services: judged like any address"
engine_stop
engine_start --nacl "$N" --sg "$S" --vpc 10.98.0.0/16 --judge-aws-services
tcp_fails "metadata dropped" "$HOST_NS" "$MD4" 80
tcp_fails "VPC resolver dropped" "$HOST_NS" "$DNS4" 53
ping_fails "IPv6 metadata dropped" "$HOST_NS" "$MD6"
check "nothing counted as link-local" test "$(counter "$EX" link-local)" = 0
check "status says judged" bash -c \
	"ip netns exec '$HOST_NS' '$VPCFW' status --ctl '$CTL' | grep -q 'judged (--judge-aws-services)'"

finish
