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

say "trace lines name the interface and its ENI"
T="$TMPD/trace"
in_host "$VPCFW" trace --ctl "$CTL" --proto tcp --port 81 --count 2 >"$T" 2>&1 &
PIDS+=("$!")
TRACE_PID=$!
trace_listening() { trace_listeners 1; }	# lib.sh counts its recorder
wait_for 5 trace_listening || fail "the trace listener attached"
tcp_fails "veth0: TCP 81 denied (traced)" "$PEER_NS" "$H4" 81
tcp_ok "veth1: TCP 81 allowed (traced)" "$PEER_NS" "$B4" 81
wait_for 5 proc_gone "$TRACE_PID"
sed 's/^/#   /' "$T"
check "the drop on veth0 names its ENI" grep -q "$P4:[0-9]* -> $H4:81 \[S\] DROP: .* \[eni veth0\]$" "$T"
check "the accept on veth1 names the interface" \
	grep -q "10.98.0.2:[0-9]* -> $B4:81 \[S\] ACCEPT: .* \[veth1\]$" "$T"

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
finish
