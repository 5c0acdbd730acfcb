#!/bin/bash
#
# t-eni.sh - `run --eni IFACE=FILE`: each interface is an ENI with its own
# security groups; an interface without one meets the --sg groups.
#
#   +---------------------------+   veth0 (ENI: E)   +------------------+
#   | host: vpcfw --sg D        |--------------------|  peer            |
#   |        --eni veth0=E      |   veth1 (--sg D)   |                  |
#   | 10.99.0.1 / 10.98.0.1     |--------------------| 10.99.0.2 / .98.2|
#   +---------------------------+                    +------------------+
#
# E allows TCP 80 in, D allows TCP 81 in: the same server ports answer on
# one link and not the other. A reload that swaps the files swaps them.
# Then `--nacl veth1=N` gives veth1's subnet an ACL of its own.
. "$(dirname "$0")/lib.sh"

setup_topology
ip link add veth1 netns "$HOST_NS" type veth peer name veth1 netns "$PEER_NS" ||
	hard_error "cannot create the second veth pair"
ip -n "$HOST_NS" addr add 10.98.0.1/24 dev veth1
ip -n "$PEER_NS" addr add 10.98.0.2/24 dev veth1
ip -n "$HOST_NS" link set veth1 up
ip -n "$PEER_NS" link set veth1 up
wait_for 5 ping_quiet "$PEER_NS" 10.98.0.1 || hard_error "no IPv4 on the second link"
readonly B4=10.98.0.1
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

E="$TMPD/eni.json"
D="$TMPD/default.json"
allow_in() {	# allow_in FILE PORT
	sg_json "$1" "in tcp:$2 0.0.0.0/0" "in tcp:$2 ::/0" "out all 0.0.0.0/0" "out all ::/0"
}

say "an unknown interface or a bad --eni refuses to start"
allow_in "$E" 80
allow_in "$D" 81
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$D" \
	--eni nosuch0="$E" >"$TMPD/bad.out" 2>&1; rc=$?
check "unknown interface: exit 1 (got $rc)" test "$rc" = 1
check "the error names the interface" grep -q "nosuch0: no such interface" "$TMPD/bad.out"
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$D" \
	--eni veth0 >"$TMPD/bad.out" 2>&1; rc=$?
check "--eni without '=': exit 2 (got $rc)" test "$rc" = 2
check "the error says what is expected" grep -q "IFACE=FILE" "$TMPD/bad.out"
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$D" \
	--eni veth0="$E" --eni veth0="$D" >"$TMPD/bad.out" 2>&1; rc=$?
check "--eni twice for one interface: exit 2 (got $rc)" test "$rc" = 2
check "the error names the interface" grep -q -- "--eni veth0 given twice" "$TMPD/bad.out"

engine_start --sg "$D" --eni veth0="$E"
steer on
vpcfw_status >"$TMPD/status" 2>&1
check "status lists the ENI and its file" grep -q "^eni veth0 (ifindex [0-9]*): .*eni.json" "$TMPD/status"

per_link() {	# per_link OPEN-ON-VETH0 OPEN-ON-VETH1 WHEN
	tcp_ok "veth0: TCP $1 allowed $3" "$PEER_NS" "$H4" "$1"
	tcp_ok "veth0 (IPv6): TCP $1 allowed $3" "$PEER_NS" "$H6" "$1"
	tcp_fails "veth0: TCP $2 denied $3" "$PEER_NS" "$H4" "$2"
	tcp_ok "veth1: TCP $2 allowed $3" "$PEER_NS" "$B4" "$2"
	tcp_fails "veth1: TCP $1 denied $3" "$PEER_NS" "$B4" "$1"
}
per_link 80 81 "(ENI E on veth0, D elsewhere)"

say "flows and counters carry the interface"
show() { in_host "$VPCFW" show "$@" --ctl "$CTL"; }
show flows --port 80 >"$TMPD/flows" 2>&1
show flows --port 81 >>"$TMPD/flows" 2>&1
sed 's/^/#   /' "$TMPD/flows"
check "a flow through veth0 lists its interface" \
	grep -Eq "^tcp .* $P4:[0-9]+ -> $H4:80 inbound (un)?tracked iface veth0 " "$TMPD/flows"
check "a flow through veth1 lists its interface" \
	grep -Eq "^tcp .* 10.98.0.2:[0-9]+ -> $B4:81 inbound (un)?tracked iface veth1 " "$TMPD/flows"
check "--iface veth1 --port 80 lists none (80 is denied there)" \
	grep -q "^0 flows listed" <<<"$(show flows --iface veth1 --port 80)"
check "--iface veth0 --port 80 lists the veth0 flows" \
	grep -q "^[1-9][0-9]* flows\? listed" <<<"$(show flows --iface veth0 --port 80)"
check "--iface with a bad name is a usage error" \
	test "$(in_host "$VPCFW" show flows --iface a/b --ctl "$CTL" >/dev/null 2>&1; echo $?)" = 2
check "show flows --json has the interface and ENI of each flow" eval \
	'show flows --json --port 81 | jq -e "[.[] | select(.dst | startswith(\"$B4:\"))] |
	 length > 0 and all(.interface == \"veth1\" and .eni == false)" >/dev/null'
check "show flows --json: a veth0 flow is an ENI's" eval \
	'show flows --json --iface veth0 | jq -e "length > 0 and all(.interface == \"veth0\" and .eni)" >/dev/null'
check "show stats --json counts packets per interface" eval \
	'show stats --json | jq -e ".interfaces.veth0.accepted > 0 and .interfaces.veth0.dropped > 0 and
	 .interfaces.veth1.accepted > 0 and .interfaces.veth1.dropped > 0" >/dev/null'
check "show stats says them in text" grep -q "^interfaces: .*veth0 accepted [1-9]" <<<"$(show stats)"
check "show metrics has them" grep -Eq \
	'^vpcfw_interface_packets_total\{interface="veth1",verdict="drop"\} [1-9]' <<<"$(show metrics)"

say "trace lines name the interface and its ENI"
T="$TMPD/trace"
# No --count: the denied SYN is sent again after 1 s, so how many lines come
# first is the timer's business. Wait for the accept, then stop the listener.
ip netns exec "$HOST_NS" "$VPCFW" trace --ctl "$CTL" --proto tcp --port 81 >"$T" 2>&1 &
PIDS+=("$!")
TRACE_PID=$!
trace_listening() { trace_listeners 1; }	# lib.sh counts its recorder
wait_for 5 trace_listening || fail "the trace listener attached"
tcp_fails "veth0: TCP 81 denied (traced)" "$PEER_NS" "$H4" 81
tcp_ok "veth1: TCP 81 allowed (traced)" "$PEER_NS" "$B4" 81
wait_for 5 grep -q "ACCEPT: .* \[veth1\]$" "$T"
kill -TERM "$TRACE_PID" 2>/dev/null
wait_for 5 proc_gone "$TRACE_PID"
sed 's/^/#   /' "$T"
check "the drop on veth0 names its ENI" grep -q "$P4:[0-9]* -> $H4:81 \[S\] DROP: .* \[eni veth0\]$" "$T"
check "the accept on veth1 names the interface" \
	grep -q "10.98.0.2:[0-9]* -> $B4:81 \[S\] ACCEPT: .* \[veth1\]$" "$T"
say "trace --iface veth1 shows veth1's packets only"
T2="$TMPD/trace-iface"
in_host "$VPCFW" trace --ctl "$CTL" --iface veth1 --port 81 --count 1 >"$T2" 2>&1 &
PIDS+=("$!")
TRACE_PID=$!
wait_for 5 trace_listening || fail "the trace listener attached"
tcp_fails "veth0: TCP 81 denied (not traced)" "$PEER_NS" "$H4" 81
tcp_ok "veth1: TCP 81 allowed (traced)" "$PEER_NS" "$B4" 81
wait_for 5 proc_gone "$TRACE_PID"
sed 's/^/#   /' "$T2"
check "its one line is veth1's" grep -q "10.98.0.2:[0-9]* -> $B4:81 \[S\] ACCEPT: .* \[veth1\]$" "$T2"
check "and no veth0 line" test "$(grep -c "veth0" "$T2")" = 0

in_host "$VPCFW" show rules --ctl "$CTL" >"$TMPD/rules" 2>&1
sed 's/^/#   /' "$TMPD/rules"
rules_of_eni() { awk '/^# eni veth0$/ { e = 1; next } e' "$TMPD/rules"; }
check "show rules has a section for the ENI" grep -qx "# eni veth0" "$TMPD/rules"
eni_rule_counted() { rules_of_eni | grep -Eq '^ +1 +tcp +80 +0\.0\.0\.0/0 +[1-9][0-9]* '; }
check "the ENI's rule counted the packets it allowed" eni_rule_counted
say "reload with the files swapped"
allow_in "$E" 81
allow_in "$D" 80
check "reload exits 0" engine_reload
per_link 81 80 "after the reload"

engine_stop

say "--nacl veth1=N: the subnet of veth1 has an ACL of its own"
N="$TMPD/nacl-veth1.json"
sg_json "$E" "in tcp:80-81 0.0.0.0/0" "in tcp:80-81 ::/0" "out all 0.0.0.0/0" "out all ::/0"
sg_json "$D" "in tcp:80-81 0.0.0.0/0" "out all 0.0.0.0/0"
nacl_json "$N" "in 100 allow tcp:80 0.0.0.0/0" "out 100 allow tcp:1024-65535 0.0.0.0/0"
engine_start --sg "$D" --eni veth0="$E" --nacl veth1="$N"
vpcfw_status >"$TMPD/status" 2>&1
check "status lists veth1 and its ACL" grep -q "^eni veth1 (ifindex [0-9]*): nacl .*nacl-veth1.json" "$TMPD/status"
tcp_ok "veth0: TCP 81 allowed (no ACL there)" "$PEER_NS" "$H4" 81
tcp_ok "veth1: TCP 80 allowed by its ACL" "$PEER_NS" "$B4" 80
tcp_fails "veth1: TCP 81 denied by its ACL" "$PEER_NS" "$B4" 81
say "reload: the ACL of veth1 now allows 81, not 80"
nacl_json "$N" "in 100 allow tcp:81 0.0.0.0/0" "out 100 allow tcp:1024-65535 0.0.0.0/0"
check "reload exits 0" engine_reload
tcp_ok "veth1: TCP 81 allowed after the reload" "$PEER_NS" "$B4" 81
tcp_fails "veth1: TCP 80 denied after the reload" "$PEER_NS" "$B4" 80
tcp_ok "veth0: TCP 80 still allowed" "$PEER_NS" "$H4" 80
engine_stop

say "the eni statement of the rules: veth0 is judged by sg-web alone, with its ENI id"
R="$TMPD/host.rules"
cat >"$R" <<'RULES'
sg sg-web
inbound
  tcp 80 0.0.0.0/0
  tcp 80 ::/0
outbound
  all 0.0.0.0/0
  all ::/0

sg sg-alt
inbound
  tcp 81 0.0.0.0/0
outbound
  all 0.0.0.0/0

eni veth0 eni-0123456789abcdef0 sg-web
RULES
FL="$TMPD/flow.log"
engine_start --sg "$R" --flow-log "$FL" --flow-log-interval 1
vpcfw_status >"$TMPD/status" 2>&1
check "status names the binding, its id, groups and line" grep -q \
	"^eni veth0 (ifindex [0-9]*): eni-0123456789abcdef0 sg sg-web (eni statement of .*host.rules:15)" "$TMPD/status"
tcp_ok "veth0: TCP 80 allowed by sg-web" "$PEER_NS" "$H4" 80
tcp_fails "veth0: TCP 81 denied (sg-alt is not veth0's)" "$PEER_NS" "$H4" 81
tcp_ok "veth1: TCP 80 allowed by the union" "$PEER_NS" "$B4" 80
tcp_ok "veth1: TCP 81 allowed by the union" "$PEER_NS" "$B4" 81
eni_logged() { grep -Eq "^2 000000000000 eni-0123456789abcdef0 $P4 $H4 [0-9]+ 80 6 " "$FL"; }
default_logged() { grep -Eq "^2 000000000000 eni-vpcfw 10.98.0.2 $B4 [0-9]+ 81 6 " "$FL"; }
eni_rejected() { grep -Eq "^2 000000000000 eni-0123456789abcdef0 $P4 $H4 [0-9]+ 81 6 .* REJECT OK$" "$FL"; }
check "flow log: veth0's records carry its ENI id" wait_for 10 eni_logged
check "flow log: veth1's records carry the default interface-id" wait_for 10 default_logged
check "flow log: veth0's denied 81 is REJECT under its ENI id" wait_for 10 eni_rejected
check_not "flow log: no veth1 record under veth0's ENI id" grep -q \
	"eni-0123456789abcdef0 10.98.0.2 " "$FL"
engine_stop

say "an eni statement naming an unknown group, or an interface --eni names too, refuses to start"
printf 'sg sg-a\ninbound\n  tcp 80 0.0.0.0/0\neni veth0 sg-a sg-nope\n' >"$TMPD/bad.rules"
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$TMPD/bad.rules" \
	>"$TMPD/bad.out" 2>&1; rc=$?
check "unknown group: exit non-zero (got $rc)" test "$rc" != 0
check "the error is at its file, line and place" grep -q "bad.rules:4:16: error: unknown security group 'sg-nope'" "$TMPD/bad.out"
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$R" --eni veth0="$E" \
	>"$TMPD/bad.out" 2>&1; rc=$?
check "bound and --eni: exit non-zero (got $rc)" test "$rc" != 0
check "the error names both" grep -q \
	"host.rules:15: error: interface veth0 is bound by this eni statement and named by --eni too" "$TMPD/bad.out"

say "--conntrack veth1=...: veth1's connection tracking has settings of its own"
out=$(in_host "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$D" --conntrack veth1=tcp-established=59 2>&1); rc=$?
check "veth1=tcp-established=59: exit 2 (got $rc)" test "$rc" = 2
check "the message names the range" grep -q "60 to 432000 seconds" <<<"$out"
in_host timeout 5 "$VPCFW" run --ctl "$TMPD/other.sock" --sg "$D" \
	--conntrack nosuch0=udp=40 >"$TMPD/bad.out" 2>&1; rc=$?
check "an unknown interface refuses to start (got $rc)" test "$rc" != 0
check "the error names it" grep -q -- "--conntrack nosuch0: no such interface" "$TMPD/bad.out"
# Tracked flows only (no outbound rule): the host's push passes only as a
# reply of a live flow.
sg_json "$D" "in tcp:82 0.0.0.0/0"
J="$TMPD/veth1-eni.json"
printf '{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
  "ConnectionTrackingConfiguration": {"UdpTimeout": 40}}]}\n' >"$J"
engine_start --sg "$D" --conntrack veth1=tcp-established=60 --conntrack veth1="$J"
stats_json() { in_host "$VPCFW" show stats --json --ctl "$CTL" | jq "$1"; }
check "status: the host's settings" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack: tcp-established 432000 s, udp-stream 180 s, udp 30 s'"
check "status: veth1's, its two arguments in order" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack veth1: tcp-established 60 s, udp-stream 180 s, udp 40 s'"
check "show metrics: veth1's tcp_established" bash -c "ip netns exec $HOST_NS $VPCFW show metrics --ctl $CTL |
	grep -qx 'vpcfw_conntrack_timeout_seconds{setting=\"tcp_established\",interface=\"veth1\"} 60'"
printf '{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
  "ConnectionTrackingConfiguration": {"UdpTimeout": 50}}]}\n' >"$J"
check "reload exits 0" engine_reload
check "reload read veth1's file again" test "$(stats_json .conntrack.interfaces.veth1.udp_s)" = 50
check "and kept its tcp-established" test "$(stats_json .conntrack.interfaces.veth1.tcp_established_s)" = 60
steer on
say "an idle flow through veth1 is cut at 60 s, the same through veth0 lives on"
# The host pushes "late" 65 s after each connection opens.
bg "$HOST_NS" socat TCP4-LISTEN:82,reuseaddr,fork SYSTEM:'sleep 65; echo late'
wait_for 5 listening "$HOST_NS" -t 82 || hard_error "TCP server on port 82 did not start"
: >"$TMPD/v0.out"; : >"$TMPD/v1.out"
bg "$PEER_NS" socat -u TCP4:"$H4":82,connect-timeout=3 - >"$TMPD/v0.out"
bg "$PEER_NS" socat -u TCP4:"$B4":82,connect-timeout=3 - >"$TMPD/v1.out"
flows_on() { [ "$(in_host "$VPCFW" show flows --json --port 82 --iface "$1" --ctl "$CTL" | jq length)" = 1 ]; }
check "a tracked flow on veth0" wait_for 5 flows_on veth0
check "a tracked flow on veth1" wait_for 5 flows_on veth1
check "veth0's flow, idle 65 s, gets the push (host's 432000 s)" wait_for 75 grep -qx late "$TMPD/v0.out"
check_not "veth1's flow, idle past its 60 s, does not (expired)" wait_for 3 grep -qx late "$TMPD/v1.out"
engine_stop

say "a describe-network-interfaces file: the entry whose MacAddress is veth1's is veth1's"
ip -n "$HOST_NS" link set dev veth1 address 02:00:00:00:00:b1 || hard_error "cannot set veth1's MAC"
# The peer forgets veth1's old address (no engine runs: nothing is judged).
ip -n "$PEER_NS" neigh flush dev veth1
wait_for 5 ping_quiet "$PEER_NS" "$B4" || hard_error "veth1 unreachable after its MAC changed"
printf '{"NetworkInterfaces": [
  {"NetworkInterfaceId": "eni-0b1b1b1b1b1b1b1b1", "MacAddress": "02:00:00:00:00:B1",
   "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 120}},
  {"NetworkInterfaceId": "eni-0c2c2c2c2c2c2c2c2", "MacAddress": "0a:ff:00:00:00:01",
   "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 3600}}]}\n' >"$J"
sg_json "$D" "in tcp:81 0.0.0.0/0"
engine_start --sg "$D" --conntrack "$J" --flow-log "$FL" --flow-log-interval 1
check "veth1 takes its entry's settings" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack veth1: tcp-established 120 s, udp-stream 180 s, udp 30 s'"
check "the host takes the other entry's" bash -c "ip netns exec $HOST_NS $VPCFW status --ctl $CTL |
	grep -qx 'conntrack: tcp-established 3600 s, udp-stream 180 s, udp 30 s'"
: >"$FL"
tcp_ok "veth1: TCP 81 allowed" "$PEER_NS" "$B4" 81
tcp_ok "veth0: TCP 81 allowed" "$PEER_NS" "$H4" 81
file_id_logged() { grep -Eq "^2 000000000000 eni-0b1b1b1b1b1b1b1b1 10.98.0.2 $B4 [0-9]+ 81 6 " "$FL"; }
veth0_default() { grep -Eq "^2 000000000000 eni-vpcfw $P4 $H4 [0-9]+ 81 6 " "$FL"; }
check "flow log: veth1's records carry its NetworkInterfaceId" wait_for 10 file_id_logged
check "flow log: veth0's keep the default" wait_for 10 veth0_default
engine_stop
finish
