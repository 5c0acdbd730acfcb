#!/bin/bash
#
# t-flow-cap.sh - the connection-tracking allowance (doc/aws-semantics.md 3.8):
# once the flow table is full, packets that would start a new tracked flow
# are dropped and counted (conntrack_allowance_exceeded); flows already
# tracked carry on, and untracked flows (rules open both ways) use none of
# the allowance.
#
#   peer: sessions 1 and 2 fill the table  ====>  host:80
#         a third connection                --X->  (vpcfw --max-flows 2)
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80

S="$TMPD/sg.json"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6"
engine_start --max-flows 2 --sg "$S"
steer on

session_open s1 "$PEER_NS" "$H4" 80
session_ok "IPv4 session 1 open" s1
session_open s2 "$PEER_NS" "$H6" 80
session_ok "IPv6 session 2 open" s2
exceeded=$(counter flows conntrack_allowance_exceeded)
check "status shows conntrack_allowance_exceeded" test "$exceeded" -ge 0
tcp_fails "IPv4: a third connection times out (table full)" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: so does a fourth" "$PEER_NS" "$H6" 80
check "conntrack_allowance_exceeded moved" \
	test "$(counter flows conntrack_allowance_exceeded)" -gt "$exceeded"
session_ok "IPv4 session 1 still works" s1
session_ok "IPv6 session 2 still works" s2

say "rules open both ways: new flows are untracked and need no room"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in tcp:80 ::/0" "out all 0.0.0.0/0" "out all ::/0"
check "reload exits 0" engine_reload
tcp_ok "IPv4: a new untracked connection works with the table full" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: likewise" "$PEER_NS" "$H6" 80
session_ok "IPv4 session 1 still works" s1

finish
