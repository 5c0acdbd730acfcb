#!/bin/bash
#
# t-flow-cap.sh - the connection-tracking allowance (doc/aws-semantics.md 3.8):
# once the flow table is full, packets that would start a new tracked flow
# are dropped and counted (conntrack_allowance_exceeded, and
# conntrack_allowance_available reads 0); flows already tracked carry on,
# nothing is evicted, not even flows never answered; untracked flows (rules
# open both ways) use none of the allowance. --evict-unestablished brings
# back conntrack's early drop: an unanswered flow gives way.
#
#   peer: sessions 1 and 2 fill the table  ====>  host:80
#         a third connection                --X->  (vpcfw --max-flows 2)
#   peer: 16 unanswered UDP flows          ====>  host:9 (nobody listens)
#         a new connection                 --X->  host:80 (--max-flows 16)
#                                          ---->  (... --evict-unestablished)
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
check "conntrack_allowance_available reads 0" \
	test "$(counter flows conntrack_allowance_available)" = 0
check "show stats --json: available 0" test "$(in_host "$VPCFW" show stats --json --ctl "$CTL" |
	jq .flows.conntrack_allowance_available)" = 0
check "show metrics: vpcfw_conntrack_allowance_available 0" bash -c \
	"ip netns exec $HOST_NS $VPCFW show metrics --ctl $CTL | grep -qx 'vpcfw_conntrack_allowance_available 0'"
session_ok "IPv4 session 1 still works" s1
session_ok "IPv6 session 2 still works" s2

say "rules open both ways: new flows are untracked and need no room"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in tcp:80 ::/0" "out all 0.0.0.0/0" "out all ::/0"
check "reload exits 0" engine_reload
tcp_ok "IPv4: a new untracked connection works with the table full" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: likewise" "$PEER_NS" "$H6" 80
session_ok "IPv4 session 1 still works" s1
check "nothing was evicted" test "$(counter flows evicted)" = 0

stats_json() { in_host "$VPCFW" show stats --json --ctl "$CTL" | jq "$1"; }

# udp_fill N: N one-way UDP flows from peer to host:9 (no reply: unestablished).
udp_fill() {
	in_peer python3 -c '
import socket, sys
socks = []
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", (sys.argv[2], 9))
    socks.append(s)' "$1" "$H4"
}

say "AWS: a table full of unanswered flows still refuses a new one"
sg_json "$S" "in tcp:80 $NET4" "in udp:9 $NET4"
engine_stop
engine_start --max-flows 16 --sg "$S"
udp_fill 16
check "16 unestablished flows fill the table" test "$(stats_json .flows.count)" = 16
tcp_fails "a new connection is refused" "$PEER_NS" "$H4" 80
check "conntrack_allowance_exceeded moved" test "$(counter flows conntrack_allowance_exceeded)" -gt 0
check "nothing was evicted" test "$(counter flows evicted)" = 0

say "--evict-unestablished: an unanswered flow gives way"
engine_stop
engine_start --max-flows 16 --evict-unestablished --sg "$S"
check "show stats names the choice" bash -c \
	"ip netns exec $HOST_NS $VPCFW status --ctl $CTL | grep -q 'at the cap: evict unestablished'"
udp_fill 16
check "16 unestablished flows fill the table" test "$(stats_json .flows.count)" = 16
tcp_ok "a new connection evicts one" "$PEER_NS" "$H4" 80
check "evictions moved" test "$(counter flows evicted)" -gt 0

finish
