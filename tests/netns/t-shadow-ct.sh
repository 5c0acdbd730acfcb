#!/bin/bash
#
# t-shadow-ct.sh - the shadow's flows idle out by the same timeouts as the
# enforced ones, an interface's own (--conntrack IFACE=) included: the same
# group enforced and in the shadow must never disagree because one table
# kept a flow the other let go.
#
#   host 10.99.0.1 :5000 --- UDP ---> peer 10.99.0.2 :7000   (outbound: a flow)
#   ... 40 s idle: past veth0's udp=30, short of the host's udp=60 ...
#   peer :7000 --- UDP ---> host :5000   (no inbound rule: only a live flow passes it)
. "$(dirname "$0")/lib.sh"

setup_topology
sg_json "$TMPD/sg.json" "out all 0.0.0.0/0"
steer on
engine_start --sg "$TMPD/sg.json" --shadow-sg "$TMPD/sg.json" \
	--conntrack udp=60 --conntrack veth0=udp=30

judged_past() { [ "$(counter shadow judged)" -gt "$1" ]; }
udp_send() { ip netns exec "$1" socat -u - "UDP4:$2:$3,sourceport=$4" <<<"datagram"; }

check "host -> peer:7000 from port 5000 (a flow in both tables)" udp_send "$HOST_NS" "$P4" 7000 5000
check "... the shadow judged it" wait_for 5 judged_past 0
check "... and agreed" test "$(counter shadow disagreed)" = 0
say "40 s idle: veth0's flows expire at 30 s, the host's would live 60 s"
sleep 40
j=$(counter shadow judged)
check "peer:7000 -> host:5000 after the flow's idle timeout" udp_send "$PEER_NS" "$H4" 5000 7000
check "... the shadow judged it" wait_for 5 judged_past "$j"
check "... and agreed: its flow had expired too (veth0's udp=30)" \
	test "$(counter shadow disagreed)" = 0
steer off
engine_stop
finish
