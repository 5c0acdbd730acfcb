#!/bin/bash
#
# t-queue-bypass.sh - the kernel side the engine relies on, then the engine
# on it (doc/testing.md test 3, after nft_queue.sh's first two subtests):
#   1. NFQUEUE with --queue-bypass and no listener: traffic passes;
#   2. NFQUEUE without bypass and no listener: traffic is dropped;
#   3. the engine bound to that queue with an allow-all NACL: traffic passes,
#      and the engine counted it.
#
#   peer --ping, TCP 80, UDP 5353--> host INPUT -> NFQUEUE 3
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_udp "$HOST_NS" 5353

queue_rule() {	# queue_rule -A|-D [--queue-bypass]
	local t
	for t in iptables ip6tables; do
		in_host "$t" "$1" INPUT -i veth0 -j NFQUEUE --queue-num 3 ${2:+"$2"}
	done
}

traffic() {	# traffic ok|fails WHY
	local a
	for a in "$H4" "$H6"; do
		"ping_$1" "IPv$(fam "$a"): ping $2" "$PEER_NS" "$a"
		"tcp_$1" "IPv$(fam "$a"): TCP $2" "$PEER_NS" "$a" 80
		"udp_$1" "IPv$(fam "$a"): UDP $2" "$PEER_NS" "$a" 5353
	done
}

say "queue with --queue-bypass, no listener"
queue_rule -A --queue-bypass
traffic ok "passes"
queue_rule -D --queue-bypass

say "queue without bypass, no listener"
queue_rule -A
traffic fails "dropped"

say "engine on the queue, allow-all NACL"
N="$TMPD/nacl.json"
nacl_json "$N" "in 100 allow all 0.0.0.0/0" "in 101 allow all ::/0" \
	"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
engine_start --queue 3 --nacl "$N"
received=$(counter totals received)
traffic ok "passes"
check "the engine judged the traffic" test "$(counter totals received)" -ge "$((received + 6))"
check "status has a line for queue 3" test "$(counter "queue 3" received)" -gt 0

finish
