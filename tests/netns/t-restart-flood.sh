#!/bin/bash
#
# t-restart-flood.sh - one decided verdict for every packet while engines come
# and go under a flood, the steering already on (as the systemd unit and
# `steer on` first do):
#
#   peer --UDP flood to 7777 (the SG denies it)--> host INPUT
#        host: -p udp --dport 7777 -j NFQUEUE --queue-num 0 [--queue-bypass]
#              vpcfw run started and stopped five times during the flood
#
# Fail-open: every datagram that met the queue rule was either judged by an
# engine (all of them dropped: the rules deny the port) or passed unjudged by
# the kernel (no engine bound, or the queue full) and so reached the UDP
# layer. Rule count = judged + delivered, exactly: a packet swallowed while a
# queue was being set up, answered by a batch verdict that never saw it, or
# left waiting, breaks the sum. Fail-closed: nothing reaches the UDP layer.
# Then the engine's own account of what passed unjudged (`vpcfw steer`
# rules' counters against what it received) must equal what was delivered.
. "$(dirname "$0")/lib.sh"

# A flood: the differential recorder would lose lines (never replayable),
# and its trace work in the engine changes the timing of the restarts tested.
VPCFW_NO_REPLAY="a flood across engine restarts"

FLOOD=$(cd "$(dirname "$VPCFW")/../bench" 2>/dev/null && pwd)/udpflood
[ -x "$FLOOD" ] || skip "no udpflood at $FLOOD (make check builds it)"

setup_topology
S="$TMPD/sg.json"
sg_json "$S" "in tcp:22 0.0.0.0/0" "out all 0.0.0.0/0" "out all ::/0"
bg "$HOST_NS" "$FLOOD" --recv 7777 --seconds 600
wait_for 5 listening "$HOST_NS" -u 7777 || hard_error "UDP receiver did not start"

# UDP datagrams that reached the host's UDP layer (read or not).
udp_delivered() {
	in_host awk '/^Udp:/ { if (h) { print $2 + $4; exit } h = 1 }' /proc/net/snmp
}
# Packets the test's queue rule sent towards the queue.
rule_hits() {
	in_host iptables -w -nvxL INPUT | awk '/NFQUEUE/ && /dpt:7777/ { print $1 + 0; f = 1 } END { if (!f) print -1 }'
}
# The packets every engine of this test reported at exit (lines "queue N: received M").
# sum_reported WORD: a number the engines' exit lines give after WORD, summed.
sum_reported() {
	awk -v w="$1" '/queue [0-9]+: received [0-9]+ packets/ { for (i = 1; i < NF; i++) if ($i == w) s += $(i + 1) + 0 } END { print s + 0 }' "$ENGINE_LOG"
}

# restart_under_flood POLICY [ENGINE ARGS...]: five engines, one after another,
# each judging for a while during one flood.
restart_under_flood() {
	local bypass=$1 i; shift
	: >"$ENGINE_LOG"
	in_host iptables -w -A INPUT -p udp --dport 7777 -j NFQUEUE --queue-num 0 $bypass
	bg "$PEER_NS" "$FLOOD" --sockets 4 --seconds 6 "$H4" 7777
	local flood=$BG_PID
	for i in 1 2 3 4 5; do
		sleep 0.2
		engine_start --sg "$S" "$@"
		sleep 0.5
		engine_stop
	done
	wait_for 15 proc_gone "$flood"
	wait "$flood" 2>/dev/null
	assert_drained
	RULE_HITS=$(rule_hits)
	in_host iptables -w -D INPUT -p udp --dport 7777 -j NFQUEUE --queue-num 0 $bypass
}

say "fail-open (--queue-bypass and NFQA_CFG_F_FAIL_OPEN)"
d0=$(udp_delivered)
restart_under_flood --queue-bypass
hits=$RULE_HITS dropped=$(sum_reported dropped) delivered=$(( $(udp_delivered) - d0 ))
failed=$(( $(sum_reported short) + $(sum_reported bytes) ))
say "the queue rule counted $hits, engines dropped $dropped, the UDP layer got $delivered"
check "each engine judged part of the flood (5 reports)" \
	test "$(grep -c 'queue 0: received [1-9]' "$ENGINE_LOG")" = 5
check "the kernel passed some unjudged while no engine was bound ($delivered)" test "$delivered" -gt 0
check "no packet accepted but by the failure policy (the SG denies the port)" \
	test "$(sum_reported accepted)" = "$failed"
check "every packet judged or passed unjudged: $hits = $dropped dropped + $delivered delivered" \
	test "$hits" = "$((dropped + delivered))"

say "fail-closed (no bypass, --fail-closed)"
d0=$(udp_delivered)
restart_under_flood "" --fail-closed
delivered=$(( $(udp_delivered) - d0 ))
check "each engine judged part of the flood" \
	test "$(grep -c 'queue 0: received [1-9]' "$ENGINE_LOG")" = 5
check "no denied datagram reached the UDP layer ($delivered)" test "$delivered" = 0

say "the engine's count of what the kernel passed unjudged (vpcfw steer)"
: >"$ENGINE_LOG"
engine_start --sg "$S"
steer on
status_zero() { vpcfw_status | grep -q '^passed unjudged by the kernel.*: 0$'; }
check "status says 0 passed unjudged with nothing sent" status_zero
d0=$(udp_delivered)
# A stopped engine leaves the queue to fill: past 4096 packets the kernel
# passes the rest unjudged (fail-open).
kill -STOP "$ENGINE_PID"
in_peer "$FLOOD" --sockets 1 --count 20000 "$H4" 7777 >/dev/null
kill -CONT "$ENGINE_PID"
wait_for 10 queues_empty
delivered=$(( $(udp_delivered) - d0 ))
unjudged=$(vpcfw_status | sed -n 's/^passed unjudged by the kernel.*: \([0-9]*\)$/\1/p')
say "delivered $delivered, the engine counts ${unjudged:-?} passed unjudged"
check "the kernel passed some of the flood unjudged ($delivered)" test "$delivered" -gt 0
# A stray packet of the system's own (IPv6 multicast listener reports) may
# meet the queue while the engine stops: a margin of a few, never fewer.
check "status counts them: $delivered <= ${unjudged:-?} <= $delivered + 4" \
	test "${unjudged:--1}" -ge "$delivered" -a "${unjudged:--1}" -le "$((delivered + 4))"
check "show stats --json has the same count" \
	sh -c "ip netns exec '$HOST_NS' '$VPCFW' show stats --json --ctl '$CTL' | jq -e '.kernel_unjudged >= $delivered'"
check "show metrics exports it" \
	sh -c "ip netns exec '$HOST_NS' '$VPCFW' show metrics --ctl '$CTL' | grep -q '^vpcfw_kernel_unjudged_total{policy=\"fail-open\"} [1-9]'"
check "the engine warned in its log" wait_for 10 grep -q 'passed unjudged by the kernel in the last' "$ENGINE_LOG"
steer off

finish
