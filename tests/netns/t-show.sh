#!/bin/bash
#
# t-show.sh - what `vpcfw show` reports is what was sent: per-rule packet and
# byte counters, the tracked flow with its packets each way and the rule that
# opened it, the JSON and Prometheus forms, and `vpcfw zero`.
#
#   peer 10.99.0.2 --- 5 x ping --->  host 10.99.0.1 (vpcfw: NACL + SG)
. "$(dirname "$0")/lib.sh"

setup_topology
N="$TMPD/nacl.json"
S="$TMPD/sg.json"
nacl_json "$N" "in 100 allow icmp $P4/32" "out 100 allow icmp $P4/32"
sg_json "$S" "in icmp $P4/32"
steer on
engine_start --nacl "$N" --sg "$S"

check "5 pings from the peer are answered" \
	ip netns exec "$PEER_NS" ping -q -c5 -i0.2 -W1 "$H4"

show() { in_host "$VPCFW" show "$@" --ctl "$CTL"; }

# nacl_hits DIRECTION RULE FIELD(packets|bytes) from the text table
nacl_hits() {
	show rules | awk -v dir="$1" -v rule="$2" -v f="$3" '
		/^nacl / { sec = $3 }
		/^sg / { sec = "" }
		sec == dir && $1 == rule { print (f == "packets" ? $(NF-1) : $NF); exit }'
}
check "NACL inbound rule 100 decided the 5 echo requests" test "$(nacl_hits inbound 100 packets)" = 5
check "NACL outbound rule 100 decided the 5 echo replies" test "$(nacl_hits outbound 100 packets)" = 5
# An echo request of ping's default 56 data bytes is 84 bytes of IPv4.
check "and counted their bytes (5 x 84)" test "$(nacl_hits inbound 100 bytes)" = 420
sg_line=$(show rules | awk '/^sg .* inbound/ { s = 1; next } /^sg / { s = 0 } s && $1 == 1')
check "the SG rule allowed the first request itself (1 packet)" \
	test "$(echo "$sg_line" | awk '{ print $(NF-1) }')" = 1

flow=$(show flows --proto icmp)
say "$flow"
check "one tracked ICMP flow is listed" grep -q "^icmp .*$P4 -> $H4 inbound tracked" <<<"$flow"
check "with 5 packets each way" grep -q "orig 5 pkts 420 B reply 5 pkts 420 B" <<<"$flow"
check "naming the rule that opened it" grep -q "rule sg-in:sg-0123456789abcdef0#1 (icmp all from $P4/32)" <<<"$flow"
check "a filter that matches nothing lists nothing" \
	grep -q "^0 flows listed" <<<"$(show flows --proto tcp)"
check "an address filter finds it" grep -q "^1 flow listed" <<<"$(show flows --addr "$P4")"

json=$(show rules --json)
check "show rules --json has the NACL rule with its packets" \
	grep -q '"packets": 5' <<<"$json"
check "show stats --json has stable totals" \
	grep -q '"totals": {' <<<"$(show stats --json)"
metrics=$(show metrics)
check "show metrics is Prometheus text with per-rule counters" \
	grep -q '^vpcfw_rule_packets_total{layer="nacl",direction="inbound",rule="100"} 5$' <<<"$metrics"
check "and the queue counters" grep -q '^vpcfw_packets_received_total{queue="0"} [1-9]' <<<"$metrics"

check "vpcfw zero" in_host "$VPCFW" zero --ctl "$CTL"
check "the rule counters are back to 0" test "$(nacl_hits inbound 100 packets)" = 0
check_not "show with an unknown view is refused" show nonsense

# Open both ways (HTTP from anywhere, everything out): AWS leaves it untracked.
serve_tcp "$HOST_NS" 80
sg_json "$S" "in icmp $P4/32" "in tcp:80 0.0.0.0/0" "out all 0.0.0.0/0"
nacl_json "$N" "in 100 allow all $NET4" "out 100 allow all $NET4"
check "reload with rules open both ways" engine_reload
tcp_ok "peer -> host:80 works" "$PEER_NS" "$H4" 80
flows80=$(show flows --port 80)
say "$flows80"
check "the HTTP flow is listed as untracked, with the rule that allowed it" \
	grep -q "^tcp .*$P4:[0-9]* -> $H4:80 inbound untracked .*rule sg-in:sg-0123456789abcdef0#2 (tcp 80 from 0.0.0.0/0)" <<<"$flows80"
check "show stats counts it as untracked" grep -q "untracked [1-9]" <<<"$(show stats | grep '^flows:')"
steer off
finish
