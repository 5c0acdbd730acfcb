#!/bin/bash
#
# t-tcp-rst.sh - a blind RST cannot cut a tracked TCP flow. The host opens a
# connection to the peer's server, whose data comes back only through the
# flow (no inbound rule). A RST forged from the peer with the server's
# four-tuple but a wrong sequence number (far off, or in the window but
# not exact) changes nothing: `show flows` keeps listing the flow
# ESTABLISHED, the refusals are counted, and the server can still push
# data before the client speaks again. A RST with the exact number closes
# the flow.
#
#   host 10.99.0.1 (vpcfw, SG: out tcp:8080 to the peer only)
#     socat client  ------------------------>  peer 10.99.0.2:8080
#                                                tcp-peer.py: server, sniffs
#                   <-- forged RST (scapy) --    its own numbers, forges RSTs
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || skip "python3-scapy not installed"
setup_topology

S="$TMPD/sg.json"
sg_json "$S" "out tcp:8080 $P4/32"
engine_start --sg "$S"
steer on

show() { in_host "$VPCFW" show "$@" --ctl "$CTL"; }
flow_line() { show flows --port 8080 | grep "^tcp .*$H4:[0-9]* -> $P4:8080 outbound tracked"; }
flow_in() { flow_line | grep -q "^tcp *$1 "; }

# The peer's server, driven through a fifo; what it says lands in peer.out.
mkfifo "$TMPD/peer.in"
exec {PEER_FD}<>"$TMPD/peer.in"
SESSION_FDS+=("$PEER_FD")
ip netns exec "$PEER_NS" /usr/bin/python3 "$VPCFW_SRCDIR/tests/netns/tcp-peer.py" 8080 veth0 \
	<"$TMPD/peer.in" >"$TMPD/peer.out" 2>"$TMPD/peer.err" &
PIDS+=("$!")
peer_says() { grep -qx "$1" "$TMPD/peer.out"; }
peer_cmd() { echo "$*" >&"$PEER_FD"; }
wait_for 20 peer_says listening || { cat "$TMPD/peer.err"; hard_error "tcp-peer.py did not start"; }

session_open cli "$HOST_NS" "$P4" 8080
check "the host connects to the peer's server" wait_for 5 peer_says accepted
cli_fd=$SESSION_FD_cli

# client_says LINE: the client sends LINE, the server must get it.
client_says() {
	{ echo "$1" >&"$cli_fd"; } 2>/dev/null || return 1
	wait_for 4 peer_says "got $1"
}
# server_pushes LINE: the server sends LINE first, the client must get it.
server_pushes() {
	peer_cmd push "$1"
	wait_for 4 grep -qxF "$1" "$TMPD/cli.out"
}

check "data from the client reaches the server" client_says hello-1
check "data the server pushes reaches the client (through the flow only)" server_pushes push-1
check "show flows lists the flow ESTABLISHED" wait_for 4 flow_in ESTABLISHED
say "$(flow_line)"
reply_pkts() { flow_line | sed -n 's/.* reply \([0-9]*\) pkts.*/\1/p'; }
reply0=$(reply_pkts)
oow=$(counter tcp out_of_window)
check "status shows the tcp out_of_window counter" test "$oow" -ge 0

# Off-path guesses: the four-tuple is right, the sequence number is not.
peer_cmd rst 1073741824
check "a RST far outside the window was sent" wait_for 5 grep -q '^rst ' "$TMPD/peer.out"
peer_cmd rst 1000
rsts_sent() { [ "$(grep -c '^rst ' "$TMPD/peer.out")" = "$1" ]; }
check "and one inside the window but not exact" wait_for 5 rsts_sent 2
oow_moved() { [ "$(counter tcp out_of_window)" -ge $((oow + 2)) ]; }
check "both are counted as out of window" wait_for 4 oow_moved
check "show flows still lists the flow ESTABLISHED" flow_in ESTABLISHED
say "$(flow_line)"
check "the server can still push data before the client speaks" server_pushes push-2
check "and the client still reaches the server" client_says hello-2
check "the flow is the same one: still ESTABLISHED" flow_in ESTABLISHED
check "with its reply packets counted on (not restarted)" test "$(reply_pkts)" -gt "${reply0:-0}" 
check "stats --json has the tcp counters" \
	grep -q '"out_of_window": [1-9]' <<<"$(show stats --json)"
check "show metrics has them" \
	grep -q '^vpcfw_tcp_segments_refused_total{reason="out_of_window"} [1-9]' <<<"$(show metrics)"

# The exact number: what the server itself would send.
peer_cmd rst 0
check "a RST with the exact sequence number was sent" wait_for 5 rsts_sent 3
say "$(grep '^rst ' "$TMPD/peer.out" | tr '\n' ' ')"
check "a RST with the exact sequence number closes the flow" wait_for 5 flow_in CLOSED
say "$(flow_line)"
client_gone() { ! kill -0 "${PIDS[-1]}" 2>/dev/null; }
check "and reaches the client, whose connection is reset" wait_for 5 client_gone
steer off
finish
