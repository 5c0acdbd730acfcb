#!/bin/bash
#
# t-conntrack.sh - AWS's connection-tracking settings (--conntrack,
# doc/aws-semantics.md 3.6): a value outside AWS's range is refused naming
# the range; the values in force show in `show stats`; a
# describe-network-interfaces file is read again on reload (and, with
# --offload, the kernel's conntrack timeouts follow); and a TCP flow
# idle past tcp-established=60 is cut, while one seen within it lives on.
#
#   peer: connection A, idle 65 s     <--X--  host:81 pushes "late" at 65 s
#         connection B, a line at 30 s <----  host:81 pushes "late" at 65 s
#         (vpcfw --sg "in tcp:81" --conntrack tcp-established=60: the host's
#          segments pass only as replies of a live flow)
. "$(dirname "$0")/lib.sh"

setup_topology

S="$TMPD/sg.json"
sg_json "$S" "in tcp:81 $NET4" "in tcp:81 $NET6"
stats_json() { in_host "$VPCFW" show stats --json --ctl "$CTL" | jq "$1"; }
flows_are() { [ "$(stats_json .flows.count)" = "$1" ]; }

say "a value outside AWS's range is a usage error that names it"
out=$(in_host "$VPCFW" run --ctl "$CTL" --sg "$S" --conntrack tcp-established=59 2>&1); rc=$?
check "tcp-established=59: exit 2" test "$rc" = 2
check "the message names the range" grep -q "60 to 432000 seconds" <<<"$out"
out=$(in_host "$VPCFW" run --ctl "$CTL" --sg "$S" --conntrack udp=61 2>&1)
check "udp=61: the message names 30 to 60" grep -q "udp: 30 to 60 seconds" <<<"$out"

say "a describe-network-interfaces file, read again on reload"
J="$TMPD/eni.json"
eni_json() {
	printf '{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
	  "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": %s,
	  "UdpStreamTimeout": %s, "UdpTimeout": %s}}]}\n' "$1" "$2" "$3" >"$J"
}
eni_json 3600 120 45
kernel_est() { in_host cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established; }
engine_start --sg "$S" --offload --conntrack "$J"
check "--offload: the kernel's established timeout is the file's" test "$(kernel_est)" = 3600
check "show stats: the file's values" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack: tcp-established 3600 s, udp-stream 120 s, udp 45 s'"
eni_json 350 180 30
check "reload exits 0" engine_reload
check "show stats --json: the new file's tcp-established" test "$(stats_json .conntrack.tcp_established_s)" = 350
check "--offload: the kernel's established timeout follows (350)" test "$(kernel_est)" = 350
eni_json 30 180 30
check_not "reload with a value out of range fails" engine_reload
check "it names the field and the range" grep -q \
	"TcpEstablishedTimeout: out of range (60 to 432000 seconds)" "$TMPD/reload.out" "$TMPD/reload.err"
check "the values in force stay" test "$(stats_json .conntrack.tcp_established_s)" = 350
engine_stop

say "tcp-established=60: an idle TCP flow is cut, a live one is not"
engine_start --sg "$S" --conntrack tcp-established=60
check "show stats: tcp-established 60 s" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack: tcp-established 60 s, udp-stream 180 s, udp 30 s'"
check "show metrics: tcp_established 60" bash -c "ip netns exec $HOST_NS $VPCFW show metrics --ctl $CTL |
	grep -qx 'vpcfw_conntrack_timeout_seconds{setting=\"tcp_established\"} 60'"
steer on
# The host pushes "late" 65 s after each connection opens.
bg "$HOST_NS" socat TCP4-LISTEN:81,reuseaddr,fork SYSTEM:'sleep 65; echo late'
wait_for 5 listening "$HOST_NS" -t 81 || hard_error "TCP server on port 81 did not start"
: >"$TMPD/a.out"; : >"$TMPD/b.out"
bg "$PEER_NS" socat -u TCP4:"$H4":81,connect-timeout=3 - >"$TMPD/a.out"
bg "$PEER_NS" bash -c "(sleep 30; echo ping; sleep 45) |
	socat -t 5 - TCP4:$H4:81,connect-timeout=3 >$TMPD/b.out"
check "both connections are tracked" wait_for 5 flows_are 2
check "B, seen at 30 s, gets the push at 65 s" wait_for 75 grep -qx late "$TMPD/b.out"
check_not "A, idle past 60 s, does not (its flow expired)" wait_for 3 grep -qx late "$TMPD/a.out"

finish
