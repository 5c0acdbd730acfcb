#!/bin/bash
#
# t-second-engine.sh - a second `vpcfw run` on a queue the first one holds
# must fail loudly (the kernel reports the conflict only asynchronously, so
# the engine must wait for the bind's ACK) and leave the first untouched.
#
#   host: vpcfw #1 --queue 0 (serving)      vpcfw #2 --queue 0 (must exit != 0)
#   peer --TCP 80 (allowed), 81 (denied)--> host
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

N="$TMPD/nacl.json"
nacl_json "$N" "in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6" \
	"out 100 allow tcp:1024-65535 $NET4" "out 101 allow tcp:1024-65535 $NET6"
engine_start --queue 0 --nacl "$N"
steer on
tcp_ok "IPv4: TCP 80 allowed by the first engine" "$PEER_NS" "$H4" 80

# second_engine CTL QUEUE: run it; sets RC (124: still running after 5 s).
second_engine() {
	timeout 5 ip netns exec "$HOST_NS" "$VPCFW" run --queue "$2" --nacl "$N" \
		--ctl "$1" >"$TMPD/second.err" 2>&1
	RC=$?
	sed 's/^/#   /' "$TMPD/second.err"
}

say "second engine on queue 0, its own control socket"
second_engine "$TMPD/ctl2.sock" 0
check "second engine exits non-zero within 5 s (got $RC)" test "$RC" != 0 -a "$RC" != 124
check "its message names queue 0" grep -q "queue 0" "$TMPD/second.err"
check "its message says in use / already bound" grep -Eqi "in use|already bound" "$TMPD/second.err"

say "second engine on queues 0-1, the first engine's control socket"
second_engine "$CTL" 0:1
check "second engine exits non-zero within 5 s (got $RC)" test "$RC" != 0 -a "$RC" != 124
check "queue 1 is not left bound" \
	in_host awk '$1 == 1 { exit 1 }' /proc/net/netfilter/nfnetlink_queue

say "the first engine is unaffected"
check "first engine still running" kill -0 "$ENGINE_PID"
check "first engine still answers status on its socket" status_quiet
received=$(counter totals received)
tcp_ok "IPv4: TCP 80 still allowed" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: TCP 80 still allowed" "$PEER_NS" "$H6" 80
tcp_fails "IPv4: TCP 81 still denied" "$PEER_NS" "$H4" 81
check "first engine's counters moved" test "$(counter totals received)" -gt "$received"

finish
