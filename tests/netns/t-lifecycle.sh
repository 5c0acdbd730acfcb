#!/bin/bash
#
# t-lifecycle.sh - steering and the engine's life cycle.
#
#   host: iptables INPUT/OUTPUT -> vpcfw's chain -> NFQUEUE 0 (lo left alone)
#   peer --ping flood, TCP 80--> host
#
# 1. `steer on` + `steer off` leave iptables and ip6tables as they were;
# 2. the control socket is mode 0600; loopback traffic is never queued;
# 3. SIGTERM during a ping flood: exit 0, no packet left waiting, (almost)
#    nothing lost; with --queue-bypass traffic then passes unjudged and
#    `vpcfw status` fails;
# 4. `steer on --fail-closed` with no engine: traffic is dropped, loopback
#    still works; an engine brings traffic back.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80

rules_dump() {	# both families, without counters or comments
	{ in_host iptables-save; in_host ip6tables-save; } |
		sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//g'
}

say "steer on / steer off"
# Rules of somebody else's that must survive untouched.
for t in iptables ip6tables; do
	in_host "$t" -N keep-me
	in_host "$t" -A keep-me -p tcp --dport 9 -j DROP
	in_host "$t" -A FORWARD -j keep-me
	in_host "$t" -A INPUT -p udp --dport 9 -j DROP
done
rules_dump >"$TMPD/before"
check "steer on exits 0" steer on
check "IPv4 steering rules installed with --queue-bypass" \
	bash -c "ip netns exec $HOST_NS iptables-save | grep -- '-j NFQUEUE' | grep -q -- '--queue-bypass'"
check "IPv6 steering rules installed with --queue-bypass" \
	bash -c "ip netns exec $HOST_NS ip6tables-save | grep -- '-j NFQUEUE' | grep -q -- '--queue-bypass'"
check "steer off exits 0" steer off
rules_dump >"$TMPD/after"
check "iptables and ip6tables are back as they were" cmp -s "$TMPD/before" "$TMPD/after"
diff "$TMPD/before" "$TMPD/after" | sed 's/^/#   /'

say "deny-all NACL: peer traffic dropped, loopback untouched"
N="$TMPD/nacl.json"
nacl_json "$N"		# a fresh custom NACL: only the '*' entries
engine_start --nacl "$N"
check "control socket is mode 0600" test "$(stat -c %a "$CTL")" = 600
steer on
ping_fails "IPv4: peer's ping dropped" "$PEER_NS" "$H4"
tcp_fails "IPv6: peer's TCP dropped" "$PEER_NS" "$H6" 80
ping_ok "host pings 127.0.0.1 (loopback not queued)" "$HOST_NS" 127.0.0.1
ping_ok "host pings ::1" "$HOST_NS" ::1
tcp_ok "host connects to 127.0.0.1:80" "$HOST_NS" 127.0.0.1 80
tcp_ok "host connects to [::1]:80" "$HOST_NS" ::1 80

say "SIGTERM during traffic"
nacl_json "$N" "in 100 allow all 0.0.0.0/0" "in 101 allow all ::/0" \
	"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
check "reload to allow-all exits 0" engine_reload
in_peer ping -q -i 0.005 -c 400 -W 1 "$H4" >"$TMPD/flood" 2>&1 &
flood=$!
PIDS+=("$flood")
flowing() { [ "$(counter totals received)" -gt 100 ]; }
check "flood reaches the engine" wait_for 3 flowing
engine_stop
assert_drained
check_not "vpcfw status fails once the engine is gone" status_quiet
wait "$flood"
lost=$(awk '/packets transmitted/ { print $1 - $4 }' "$TMPD/flood")
say "ping flood: $(grep 'packets transmitted' "$TMPD/flood")"
check "flood lost at most 10 of 400 packets around the shutdown (lost ${lost:-?})" \
	test "${lost:-999}" -le 10
ping_ok "IPv4: with --queue-bypass traffic passes after the engine stopped" "$PEER_NS" "$H4"
tcp_ok "IPv6: TCP too" "$PEER_NS" "$H6" 80

say "steer on --fail-closed"
check "steer off exits 0" steer off
check "steer on --fail-closed exits 0" steer on --fail-closed
check "no --queue-bypass in the rules" \
	bash -c "! ip netns exec $HOST_NS iptables-save | grep -q -- '--queue-bypass'"
ping_fails "IPv4: with no engine, ping is dropped" "$PEER_NS" "$H4"
ping_fails "IPv6: ping is dropped" "$PEER_NS" "$H6"
tcp_fails "IPv4: TCP is dropped" "$PEER_NS" "$H4" 80
ping_ok "loopback still works (never queued)" "$HOST_NS" 127.0.0.1
tcp_ok "loopback TCP still works" "$HOST_NS" ::1 80
engine_start --nacl "$N"
ping_ok "IPv4: with the engine back, ping passes" "$PEER_NS" "$H4"
tcp_ok "IPv6: TCP passes" "$PEER_NS" "$H6" 80

finish
