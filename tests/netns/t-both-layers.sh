#!/bin/bash
#
# t-both-layers.sh - NACL and SG together (doc/aws-semantics.md 4.1, classic
# mistake 4.2.1): inbound NACL then SG, outbound SG then NACL, and a packet
# must pass both.
#
#   peer --SYN--> [NACL in: 100 allow 80] -> [SG in: 80 from the subnet] -> host:80
#   peer <-SYN-ACK- [NACL out: ?] <- [SG: tracked reply, passes] <- host
#
# 1. NACL without an outbound ephemeral rule: the SG passes the reply, the
#    NACL drops it - the connection times out;
# 2. NACL outbound 1024-65535 added: it works;
# 3. SG inbound rule removed (NACL still fine): new connections time out.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80

N="$TMPD/nacl.json"
S="$TMPD/sg.json"
nacl_in=("in 100 allow tcp:80 0.0.0.0/0" "in 101 allow tcp:80 ::/0")
nacl_json "$N" "${nacl_in[@]}"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6"
engine_start --nacl "$N" --sg "$S"
steer on

say "NACL without an outbound ephemeral rule"
dropped=$(counter totals dropped)
tcp_fails "IPv4: SG passes the reply, NACL drops it: times out" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: times out" "$PEER_NS" "$H6" 80
check "drop counter moved" test "$(counter totals dropped)" -gt "$dropped"

say "NACL outbound 1024-65535 added"
nacl_json "$N" "${nacl_in[@]}" "out 100 allow tcp:1024-65535 0.0.0.0/0" \
	"out 101 allow tcp:1024-65535 ::/0"
check "reload exits 0" engine_reload
accepted=$(counter totals accepted)
tcp_ok "IPv4: works" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: works" "$PEER_NS" "$H6" 80
check "accept counter moved" test "$(counter totals accepted)" -gt "$accepted"

say "SG without the inbound HTTP rule"
sg_json "$S" "in tcp:22 $NET4" "in tcp:22 $NET6"
check "reload exits 0" engine_reload
tcp_fails "IPv4: NACL passes, SG drops: times out" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: times out" "$PEER_NS" "$H6" 80

finish
