#!/bin/bash
#
# t-reload-flood.sh - reloads under traffic (doc/testing.md test 14, small):
# up to 40 reloads alternate two rule sets that share a deny while the peer
# floods pings (allowed by both) and UDP to the denied port. Every reload
# must take effect, no allowed packet may be lost to a swap, and no denied
# packet may slip through.
#
#   peer --ping flood (allowed), UDP 5354 stream (denied)--> host
#        host: while true; do rewrite the NACL; vpcfw reload; done
. "$(dirname "$0")/lib.sh"

# A flood: the differential recorder would lose lines (never replayable),
# and cutting its recording at each reload slows the reloads this test counts.
VPCFW_NO_REPLAY="a flood with reloads as fast as they go"

setup_topology
N="$TMPD/nacl.json"
write_a() {
	nacl_json "$N" "in 50 deny udp:5354 0.0.0.0/0" "in 51 deny udp:5354 ::/0" \
		"in 100 allow all 0.0.0.0/0" "in 101 allow all ::/0" \
		"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
}
write_b() {	# the same policy, written differently
	nacl_json "$N" "in 200 allow icmp 0.0.0.0/0" "in 210 allow tcp:1-65535 0.0.0.0/0" \
		"in 10 deny udp:5000-5400 0.0.0.0/0" "in 220 allow all 0.0.0.0/0" \
		"in 101 allow all ::/0" "in 11 deny udp:5354 ::/0" \
		"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
}
write_a
bg "$HOST_NS" socat -u UDP4-RECV:5354 OPEN:"$TMPD/leaked",creat,append
wait_for 5 listening "$HOST_NS" -u 5354 || hard_error "UDP receiver did not start"
# The receiver must be able to see a leak: one datagram before any filtering.
echo probe | in_peer socat -u - UDP4:"$H4":5354
received() { test -s "$TMPD/leaked"; }
wait_for 3 received || hard_error "the UDP receiver got nothing even unfiltered"
: >"$TMPD/leaked"
engine_start --nacl "$N"
steer on

in_peer ping -q -i 0.01 -c 700 -W 1 "$H4" >"$TMPD/flood" 2>&1 &
flood=$!
PIDS+=("$flood")
in_peer bash -c 'for i in $(seq 300); do echo "leak $i"; sleep 0.02; done' |
	in_peer socat -u - UDP4:"$H4":5354 &
PIDS+=("$!")

failed_reloads=0
gen0=$(vpcfw_status | awk '/^rules:/ { print $3 + 0 }')
t0=$(now_ms)
n=0
while [ "$n" -lt 40 ] && kill -0 "$flood" 2>/dev/null; do
	if [ $((n % 2)) = 0 ]; then write_b; else write_a; fi
	engine_reload || failed_reloads=$((failed_reloads + 1))
	n=$((n + 1))
done
say "$n reloads took $(( $(now_ms) - t0 )) ms"
gen1=$(vpcfw_status | awk '/^rules:/ { print $3 + 0 }')
check "at least 20 reloads while the flood ran ($n)" test "$n" -ge 20
check "none refused ($failed_reloads refused)" test "$failed_reloads" = 0
check "rule generation went up by $n ($gen0 -> $gen1)" test "$((gen1 - gen0))" = "$n"
wait "$flood"
say "$(grep 'packets transmitted' "$TMPD/flood")"
lost=$(awk '/packets transmitted/ { print $1 - $4 }' "$TMPD/flood")
check "no allowed ping lost to a reload (lost ${lost:-?})" test "${lost:-1}" = 0
wait_for 10 proc_gone "${PIDS[-1]}"
check "no denied UDP datagram got through" test ! -s "$TMPD/leaked"

finish
