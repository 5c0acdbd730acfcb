#!/bin/bash
#
# t-nacl-order.sh - NACL rules are tried by ascending number and the first
# match decides (doc/aws-semantics.md 1.3, classic mistake 4.2.4), whatever
# their order in the file.
#
#   peer 10.99.0.2 / fd99::2  --TCP 80, TCP 8080, ping-->  host (vpcfw, NACL)
#
# 1. deny at 90 + allow at 100 for TCP 80 and ICMP: dropped; TCP 8080
#    (allowed at 120, no deny) still passes;
# 2. allow at 100 + deny at 110: the deny never fires, everything passes.
# The file lists the higher number first each time.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 8080

N="$TMPD/nacl.json"
common=("in 120 allow tcp:8080 $NET4" "in 121 allow tcp:8080 $NET6"
	"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0")

say "deny 90/91 before allow 100/101"
nacl_json "$N" "${common[@]}" \
	"in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6" \
	"in 102 allow icmp $NET4" "in 103 allow icmpv6 $NET6" \
	"in 90 deny tcp:80 $P4/32" "in 91 deny tcp:80 $P6/128" \
	"in 92 deny icmp $P4/32" "in 93 deny icmpv6 $P6/128"
engine_start --nacl "$N"
steer on
tcp_fails "IPv4: TCP 80 denied by rule 90" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: TCP 80 denied by rule 91" "$PEER_NS" "$H6" 80
ping_fails "IPv4: ping denied by rule 92" "$PEER_NS" "$H4"
ping_fails "IPv6: ping denied by rule 93" "$PEER_NS" "$H6"
tcp_ok "IPv4: TCP 8080 allowed by rule 120" "$PEER_NS" "$H4" 8080
tcp_ok "IPv6: TCP 8080 allowed by rule 121" "$PEER_NS" "$H6" 8080

say "allow 100/101 before deny 110/111"
nacl_json "$N" "${common[@]}" \
	"in 110 deny tcp:80 $P4/32" "in 111 deny tcp:80 $P6/128" \
	"in 112 deny icmp $P4/32" "in 113 deny icmpv6 $P6/128" \
	"in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6" \
	"in 102 allow icmp $NET4" "in 103 allow icmpv6 $NET6"
check "reload exits 0" engine_reload
tcp_ok "IPv4: TCP 80 allowed by rule 100, deny 110 never reached" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: TCP 80 allowed by rule 101" "$PEER_NS" "$H6" 80
ping_ok "IPv4: ping allowed by rule 102" "$PEER_NS" "$H4"
ping_ok "IPv6: ping allowed by rule 103" "$PEER_NS" "$H6"
tcp_ok "IPv4: TCP 8080 still allowed" "$PEER_NS" "$H4" 8080

finish
