#!/bin/bash
#
# t-offload-churn.sh - run --offload ends what it hands to the kernel: the
# kernel's connection tracking tells the engine when an offloaded flow ends
# (conntrack events) and what it carried (conntrack accounting). Ten times
# --max-flows short TCP connections, one after another, all offloaded at
# their handshake: each connects, none is refused for want of room, and
# `show flows` lists none of them once they are closed. The packets and
# bytes the engine never saw are counted on the flow (show flows) and in the
# flow log, for TCP, UDP and ICMP echo. A reset connection, and a UDP flow
# whose kernel entry is deleted, leave the table too.
#
#   peer 10.99.0.2 ── 640 x (connect, echo, close) ──> host 10.99.0.1:80
#                  ── 2 MB echoed over one session ──>   (vpcfw --sg --offload
#                  ── UDP :53 x 4, ping x 6 ────────>     --max-flows 64)
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip "jq not installed"
setup_topology
N=64
S="$TMPD/sg.json"
LOG="$TMPD/flows.log"
sg_json "$S" "in tcp:80 $NET4" "in udp:53 $NET4" "in icmp:8/0 $NET4"
serve_tcp "$HOST_NS" 80
serve_udp "$HOST_NS" 53
steer on
engine_start --sg "$S" --offload --max-flows "$N" --flow-log "$LOG" --flow-log-interval 1

# flows_json ARGS...: `show flows --json ARGS...`.
flows_json() { in_host "$VPCFW" show flows --json --ctl "$CTL" "$@"; }
flows_listed() { flows_json "$@" | jq length; }
no_flows() { [ "$(flows_listed "$@")" = 0 ]; }
offloaded() {
	in_host "$VPCFW" show stats --json --ctl "$CTL" | jq '[.queues[].offloaded] | add'
}

say "$((10 * N)) short connections, one after another"
o0=$(offloaded)
failed=0
for ((i = 0; i < 10 * N; i++)); do
	tcp_try "$PEER_NS" "$H4" 80 4 || failed=$((failed + 1))
done
check "all $((10 * N)) connections connected ($failed failed)" test "$failed" = 0
tcp_ok "and the next one still connects" "$PEER_NS" "$H4" 80
check "every connection was offloaded (offloaded $(($(offloaded) - o0)))" \
	test $(($(offloaded) - o0)) -ge $((10 * N))
check "conntrack_allowance_exceeded stayed 0" \
	test "$(counter flows conntrack_allowance_exceeded)" = 0
check "show flows lists none of the closed connections" wait_for 30 no_flows --port 80

say "counting what the engine never saw"
session_open s1 "$PEER_NS" "$H4" 80
S1_PID=${PIDS[-1]}	# the session's client (its input fifo stays open: lib.sh)
session_ok "a session is open" s1
fdvar=SESSION_FD_s1
# 2 MB of lines, echoed back: the engine saw the handshake only.
yes 0123456789012345678901234567890123456789012345678901234567890123456789 |
	head -n 30000 >&"${!fdvar}"
session_ok "the session echoes after 2 MB" s1
# The flow's counters: at least the payload each way (a dump every 5 s).
big_counts() {
	flows_json --port 80 | jq -e 'length == 1 and .[0].original.bytes >= 2000000 and
		.[0].reply.bytes >= 2000000 and .[0].state == "ESTABLISHED"' >/dev/null
}
check "show flows counts the offloaded bytes both ways" wait_for 20 big_counts
kill "$S1_PID"
if wait_for 30 no_flows --port 80; then
	pass "the closed session leaves show flows"
else
	fail "the closed session leaves show flows"
	flows_json --port 80 | sed 's/^/#   /'
	in_host conntrack -L 2>/dev/null | sed 's/^/#   /'
fi

for i in 1 2 3 4; do
	udp_answered "$PEER_NS" "$H4" 53 40053 || fail "UDP exchange $i answered"
done
udp_counts() {
	flows_json --proto udp | jq -e 'length == 1 and .[0].original.packets >= 4 and
		.[0].reply.packets >= 4' >/dev/null
}
check "UDP: an offloaded flow counts every exchange" wait_for 20 udp_counts
# The kernel's entry deleted (as when it times out): the flow ends with it.
in_host conntrack -D -p udp --dport 53 >/dev/null 2>&1
check "UDP: the flow ends with the kernel's entry" wait_for 15 no_flows --proto udp
in_peer ping -q -c 6 -i 0.2 "$H4" >/dev/null 2>&1
ping_counts() {
	flows_json --proto icmp | jq -e 'length == 1 and .[0].original.packets >= 6 and
		.[0].reply.packets >= 6' >/dev/null
}
check "ICMP echo: an offloaded flow counts every ping" wait_for 20 ping_counts

# A connection reset (the client's socket destroyed: the kernel sends a RST).
session_open s2 "$PEER_NS" "$H4" 80
session_ok "another session is open" s2
in_peer ss -K dst "$H4" dport = :80 >/dev/null 2>&1
check "a reset connection leaves show flows" wait_for 15 no_flows --port 80

# The flow log has the session's bytes too (1 s intervals, written once ended).
logged_bytes() {
	awk -v p="$P4" '$4 == p && $7 == 80 { b += $10 } END { print b + 0 }' "$LOG"
}
check "the flow log counts the offloaded bytes" \
	wait_for 20 sh -c "[ \$(awk -v p='$P4' '\$4 == p && \$7 == 80 { b += \$10 } END { print b + 0 }' '$LOG') -ge 2000000 ]"
say "flow log: $(logged_bytes) bytes from the peer to :80"
finish
