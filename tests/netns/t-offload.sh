#!/bin/bash
#
# t-offload.sh - run --offload: once the security group tracks a TCP flow (its
# SYN) the engine marks its connection and the steering's connmark rule keeps the
# rest of it in the kernel; the data arrives intact and far fewer packets
# are queued than without offload. The security group still decides every
# new connection, and --offload is refused with a NACL (which judges every
# packet).
#
#   peer 10.99.0.2 ==== 20 MB over TCP :5001 ====> host 10.99.0.1 (vpcfw --sg)
. "$(dirname "$0")/lib.sh"

setup_topology
S="$TMPD/sg.json"
N="$TMPD/nacl.json"
sg_json "$S" "in tcp:5001 $NET4" "in tcp:80 $NET4"
nacl_json "$N" "in 100 allow all $NET4" "out 100 allow all $NET4"
serve_tcp "$HOST_NS" 80
steer on

SIZE=20000000
# transfer: 20 MB from the peer to a sink on the host; prints the bytes received.
transfer() {
	local out="$TMPD/sink.$RANDOM"
	in_host timeout 30 socat -u TCP4-LISTEN:5001,reuseaddr OPEN:"$out",creat,trunc &
	local sink=$!
	wait_for 5 listening "$HOST_NS" -t 5001 || hard_error "sink did not start"
	head -c "$SIZE" /dev/zero | in_peer timeout 30 socat -u - TCP4:"$H4":5001
	wait "$sink"
	stat -c %s "$out"
	rm -f "$out"
}

engine_start --sg "$S"
r0=$(counter totals received)
check "without offload: 20 MB arrive intact" test "$(transfer)" = "$SIZE"
plain=$(( $(counter totals received) - r0 ))
engine_stop

engine_start --sg "$S" --offload
r0=$(counter totals received)
check "with --offload: 20 MB arrive intact" test "$(transfer)" = "$SIZE"
offl=$(( $(counter totals received) - r0 ))
say "packets queued: $plain without offload, $offl with"
check "with --offload far fewer packets are queued ($offl vs $plain)" test $((offl * 4)) -lt "$plain"
check "the kernel carries the connection's mark" \
	sh -c "ip netns exec '$HOST_NS' conntrack -L --mark 0x40000000/0x40000000 2>/dev/null | grep -q 'dport=5001'"
tcp_ok "new connections are still judged: :80 allowed" "$PEER_NS" "$H4" 80
tcp_fails "and :81 (no rule) dropped" "$PEER_NS" "$H4" 81
engine_stop

check_not "--offload with a NACL is refused" \
	in_host "$VPCFW" run --ctl "$CTL" --sg "$S" --nacl "$N" --offload
steer off
finish
