#!/bin/bash
#
# t-trace.sh - `vpcfw trace` shows one line per packet naming the layer and
# the rule that decided, in AWS's order, for the packets actually sent; its
# filters work; a listener that goes away costs nothing.
#
#   peer 10.99.0.2 --- TCP :80 / ping --->  host 10.99.0.1
#                                           vpcfw: NACL (no ephemeral rule) + SG
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
N="$TMPD/nacl.json"
S="$TMPD/sg.json"
# The NACL lets the SYN in but has no outbound rule for the reply.
nacl_json "$N" "in 100 allow tcp:80 $NET4" "in 110 allow icmp $NET4" "out 100 allow icmp $NET4"
sg_json "$S" "in tcp:80 $NET4" "in icmp $NET4"
steer on
engine_start --nacl "$N" --sg "$S"

# trace_run FILE ARGS...: a listener in the background, its lines in FILE.
trace_run() {
	local file=$1; shift
	# The listener before, if any, has left: the engine must drop it first.
	wait_for 5 listeners 0 ||
		fail "the engine dropped the listener that left ($(vpcfw_status 2>&1 | grep 'trace listeners'))"
	in_host "$VPCFW" trace --ctl "$CTL" "$@" >"$file" 2>&1 &
	TRACE_FILE=$file
	PIDS+=("$!")
	TRACE_PID=$!
	# Attached, or already done: a --count listener may take its lines (a
	# retransmission of a reply dropped before) before the first look.
	wait_for 5 attached_or_done ||
		fail "the trace listener attached ($(vpcfw_status 2>&1 | grep 'trace listeners'))"
}
attached_or_done() { listeners 1 || { proc_gone "$TRACE_PID" && [ -s "$TRACE_FILE" ]; }; }

listeners() { trace_listeners "$1"; }	# besides lib.sh's recorder

T1="$TMPD/trace1"
trace_run "$T1" --proto tcp --count 2
tcp_fails "peer -> host:80 fails (the NACL drops the reply)" "$PEER_NS" "$H4" 80
wait_for 5 proc_gone "$TRACE_PID"
say "$(cat "$T1")"
check "the SYN: passed NACL inbound #100 then the SG rule as a new tracked flow" \
	grep -q "q0 in  tcp $P4:[0-9]* -> $H4:80 \[S\] ACCEPT: nacl-in:100 allow, then sg-in:sg-0123456789abcdef0#1 (new tracked flow)" "$T1"
check "the SYN-ACK: passed the SG as a tracked reply, then dropped by NACL outbound *" \
	grep -q "q0 out tcp $H4:80 -> $P4:[0-9]* \[S.\] DROP: sg:flow (tracked reply), then nacl-out:\* deny" "$T1"
check "a line names the interface (no ENI: its name alone)" \
	grep -q "q0 in  tcp $P4:[0-9]* -> $H4:80 .* \[veth0\]$" "$T1"
check "--count 2 ended the listener after two lines" test "$(grep -vc '^#' "$T1")" = 2

T2="$TMPD/trace2"
trace_run "$T2" --drops --count 1
ping_ok "ping passes (NACL and SG allow ICMP both ways)" "$PEER_NS" "$H4"
tcp_fails "peer -> host:80 fails again" "$PEER_NS" "$H4" 80
wait_for 5 proc_gone "$TRACE_PID"
check "--drops shows only drops" grep -q "DROP: sg:flow (tracked reply), then nacl-out:\* deny" "$T2"
check_not "and no accepted ping" grep -q "icmp.*ACCEPT" "$T2"

T3="$TMPD/trace3"
trace_run "$T3" --proto icmp --count 2
ping_ok "ping passes" "$PEER_NS" "$H4"
wait_for 5 proc_gone "$TRACE_PID"
check "the echo request: NACL #110, then SG rule 2" \
	grep -q "in  icmp $P4 -> $H4 type 8 code 0 id [0-9]* ACCEPT: nacl-in:110 allow, then sg-in:sg-0123456789abcdef0#2 (new tracked flow)" "$T3"
check "the echo reply: SG tracked reply, then NACL outbound #100" \
	grep -q "out icmp $H4 -> $P4 type 0 code 0 id [0-9]* ACCEPT: sg:flow (tracked reply), then nacl-out:100 allow" "$T3"

check_not "a bad filter is refused" in_host "$VPCFW" trace --ctl "$CTL" --port 99999 --count 1
check "the engine dropped the listeners that left" wait_for 2 listeners 0
steer off
finish
