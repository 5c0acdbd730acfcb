#!/bin/bash
#
# t-two-queues.sh - one engine, two queue threads, one flow table: a flow's
# request is judged by one thread and its reply by the other, and the SG's
# tracking still lets the reply out.
#
#   peer --SYN--> host INPUT  -> NFQUEUE 0 (thread 0): SG inbound rule, tracked
#   peer <-SYN-ACK- host OUTPUT -> NFQUEUE 1 (thread 1): no outbound rule,
#                                  passes only through the shared flow table
#
# The queue rules have no --queue-bypass: a queue nobody serves would drop.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

S="$TMPD/sg.json"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6" "in icmp $NET4" "in icmpv6 $NET6"
engine_start --queue 0:1 --sg "$S"
for t in iptables ip6tables; do
	in_host "$t" -A INPUT ! -i lo -j NFQUEUE --queue-num 0
	in_host "$t" -A OUTPUT ! -o lo -j NFQUEUE --queue-num 1
done

bound() { in_host awk -v q="$1" '$1 == q { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue; }
check "queue 0 is bound" bound 0
check "queue 1 is bound" bound 1
check "status has a line for queue 0" test "$(counter "queue 0" received)" -ge 0
check "status has a line for queue 1" test "$(counter "queue 1" received)" -ge 0

r0=$(counter "queue 0" received)
r1=$(counter "queue 1" received)
a1=$(counter "queue 1" accepted)
tcp_ok "IPv4: peer -> host:80 works (reply judged by the other thread)" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: peer -> host:80 works" "$PEER_NS" "$H6" 80
ping_ok "IPv4: ping works" "$PEER_NS" "$H4"
ping_ok "IPv6: ping works" "$PEER_NS" "$H6"
tcp_fails "IPv4: peer -> host:81 (no rule) times out" "$PEER_NS" "$H4" 81
check "queue 0 (INPUT) received packets" test "$(counter "queue 0" received)" -gt "$r0"
check "queue 1 (OUTPUT) received packets" test "$(counter "queue 1" received)" -gt "$r1"
check "queue 1 accepted the replies" test "$(counter "queue 1" accepted)" -gt "$a1"

finish
