#!/bin/bash
#
# t-tsan-flood.sh - everything that runs at once in the engine, at once: two
# queue threads sharing one flow table under a flood, reloads swapping the
# policy (the RCU handover) and control requests reading the table and the
# counters; the same group in a shadow policy (its own flow table, the
# threads' disagreement tallies), swapped by every reload and by `apply
# --shadow`, read by `show stats` and `show rules --shadow`. tests/run runs it with the ThreadSanitizer build
# (VPCFW=build-tsan/src/vpcfw, TSAN_OPTIONS halt_on_error=1): any report is a
# failure (lib.sh's finish greps the engine log for it, and the engine then
# exits 66, not 0). It passes without TSan too, as a plain flood test.
#
#   peer --ping flood, TCP to :80 (allowed), to :81 (denied)--> host
#        host INPUT  -> NFQUEUE 0 (thread 0)
#        host OUTPUT -> NFQUEUE 1 (thread 1: replies pass by the flow table)
#        host: reload, apply --shadow, status, show flows, in a loop
. "$(dirname "$0")/lib.sh"

# A flood: the differential recorder would lose lines (never replayable),
# and its trace work in the engine changes the interleavings under test.
VPCFW_NO_REPLAY="a flood with reloads and control requests at once"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

S="$TMPD/sg.json"
write_sg() {	# $1: an extra rule, so that each reload builds a new policy
	sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6" "in icmp $NET4" \
		"in icmpv6 $NET6" "$1"
}
write_sg "in udp:$((5000 + RANDOM % 100)) $NET4"
engine_start --queue 0:1 --sg "$S" --shadow-sg "$S"
for t in iptables ip6tables; do
	in_host "$t" -A INPUT ! -i lo -j NFQUEUE --queue-num 0 --queue-bypass
	in_host "$t" -A OUTPUT ! -o lo -j NFQUEUE --queue-num 1 --queue-bypass
done

r0=$(counter "queue 0" received)
r1=$(counter "queue 1" received)
in_peer ping -q -i 0.005 -c 1500 -W 1 "$H4" >"$TMPD/flood" 2>&1 &
flood=$!
PIDS+=("$flood")
in_peer bash -c "for i in \$(seq 20); do
	echo x | timeout 5 socat -t 1 - TCP4:$H4:80,connect-timeout=2 >/dev/null 2>&1
	echo x | timeout 3 socat -t 1 - TCP4:$H4:81,connect-timeout=1 >/dev/null 2>&1
done" &
conns=$!
PIDS+=("$conns")

failed_reloads=0 failed_applies=0 n=0
while kill -0 "$flood" 2>/dev/null || kill -0 "$conns" 2>/dev/null; do
	write_sg "in udp:$((5000 + n)) $NET4"
	engine_reload || failed_reloads=$((failed_reloads + 1))
	if [ $((n % 2)) = 1 ]; then
		quiet in_host "$VPCFW" apply --shadow-sg "$S" --ctl "$CTL" ||
			failed_applies=$((failed_applies + 1))
	fi
	quiet in_host "$VPCFW" show flows --ctl "$CTL"
	quiet in_host "$VPCFW" show rules --shadow --ctl "$CTL"
	quiet vpcfw_status
	n=$((n + 1))
done
say "$n reloads during the flood"
check "reloads ran during the flood ($n)" test "$n" -ge 3
check "no reload refused ($failed_reloads refused)" test "$failed_reloads" = 0
check "no apply --shadow refused ($failed_applies refused)" test "$failed_applies" = 0
check "queue 0 judged the flood ($r0 -> $(counter "queue 0" received))" \
	test "$(counter "queue 0" received)" -ge $((r0 + 500))
check "queue 1 judged the replies ($r1 -> $(counter "queue 1" received))" \
	test "$(counter "queue 1" received)" -ge $((r1 + 500))
tcp_ok "after the flood: peer -> host:80 works" "$PEER_NS" "$H4" 80
tcp_fails "after the flood: peer -> host:81 (no rule) times out" "$PEER_NS" "$H4" 81
# Its counters start with each shadow: these are the last one's, since the flood.
check "the shadow, the same group, judged the packets since ($(counter shadow judged))" \
	test "$(counter shadow judged)" -gt 0
check "and never disagreed with it" test "$(counter shadow disagreed)" = 0

finish
