#!/bin/bash
#
# t-tcp-rst.sh - a blind RST cannot cut a tracked TCP flow. The host opens a
# connection to the peer's server, whose data comes back only through the
# flow (no inbound rule). A RST forged from the peer with the server's
# four-tuple but a wrong sequence number (far off, or in the window but
# not exact) changes nothing: `show flows` keeps listing the flow
# ESTABLISHED, the refusals are counted, and the server can still push
# data before the client speaks again. A RST with the exact number closes
# the flow. Then the same on a connection the engine picks up mid-stream
# after a restart.
#
#   host 10.99.0.1 (vpcfw, SG: out tcp:8080-8081 to the peer only)
#     socat clients ------------------------>  peer 10.99.0.2:8080, :8081
#                                                tcp-peer.py: servers that
#                   <-- forged RST (scapy) --    sniff their own numbers and
#                                                forge RSTs
# shellcheck disable=SC2317  # helpers run through check and wait_for
. "$(dirname "$0")/lib.sh"

# A RST's verdict hangs on its sequence number, which a trace line does not
# carry: explain --replay makes the numbers up, in window, and would pass the
# forged RSTs the engine rightly refuses.
VPCFW_NO_REPLAY="forged RSTs: their sequence numbers decide, and a trace line has none"

/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || skip "python3-scapy not installed"
setup_topology

S="$TMPD/sg.json"
sg_json "$S" "out tcp:8080-8081 $P4/32"
engine_start --sg "$S"
steer on

show() { in_host "$VPCFW" show "$@" --ctl "$CTL"; }
# flow_line PORT: the host's flow to the peer's PORT as `show flows` lists it.
flow_line() { show flows --port "$1" | grep "^tcp .*$H4:[0-9]* -> $P4:$1 outbound tracked"; }
flow_in() { flow_line "$1" | grep -q "^tcp *$2 "; }
reply_pkts() { flow_line "$1" | sed -n 's/.* reply \([0-9]*\) pkts.*/\1/p'; }

# peer_start PORT: the peer's server on PORT, driven through a fifo; what
# it says lands in peer-PORT.out.
peer_start() {
	local fd
	mkfifo "$TMPD/peer-$1.in"
	exec {fd}<>"$TMPD/peer-$1.in"
	SESSION_FDS+=("$fd")
	printf -v "PEER_FD_$1" '%s' "$fd"
	ip netns exec "$PEER_NS" /usr/bin/python3 "$VPCFW_SRCDIR/tests/netns/tcp-peer.py" "$1" veth0 \
		<"$TMPD/peer-$1.in" >"$TMPD/peer-$1.out" 2>"$TMPD/peer-$1.err" &
	PIDS+=("$!")
	if ! wait_for 20 peer_says "$1" listening; then
		cat "$TMPD/peer-$1.err"
		hard_error "tcp-peer.py did not start"
	fi
}
peer_says() { grep -qx "$2" "$TMPD/peer-$1.out"; }
peer_cmd() { local v="PEER_FD_$1"; shift; echo "$*" >&"${!v}"; }
rsts_sent() { [ "$(grep -c '^rst ' "$TMPD/peer-$1.out")" = "$2" ]; }
# forge PORT DELTA: the server on PORT sends a RST numbered snd_nxt + DELTA.
forge() {
	local n
	n=$(grep -c '^rst ' "$TMPD/peer-$1.out")
	peer_cmd "$1" rst "$2"
	wait_for 5 rsts_sent "$1" $((n + 1))
}

# client_says PORT LINE: the host's client sends LINE, the server must get it.
client_says() {
	local v="SESSION_FD_cli$1"
	{ echo "$2" >&"${!v}"; } 2>/dev/null || return 1
	wait_for 4 peer_says "$1" "got $2"
}
# server_pushes PORT LINE: the server sends LINE first, the client must get it.
server_pushes() {
	peer_cmd "$1" push "$2"
	wait_for 4 grep -qxF "$2" "$TMPD/cli$1.out"
}
oow_moved() { [ "$(counter tcp out_of_window)" -ge "$1" ]; }

say "a connection tracked from its handshake"
peer_start 8080
session_open cli8080 "$HOST_NS" "$P4" 8080
check "the host connects to the peer's server" wait_for 5 peer_says 8080 accepted
check "data from the client reaches the server" client_says 8080 hello-1
check "data the server pushes reaches the client (through the flow only)" \
	server_pushes 8080 push-1
check "show flows lists the flow ESTABLISHED" wait_for 4 flow_in 8080 ESTABLISHED
say "$(flow_line 8080)"
reply0=$(reply_pkts 8080)
oow=$(counter tcp out_of_window)
check "status shows the tcp out_of_window counter" test "$oow" -ge 0

# Off-path guesses: the four-tuple is right, the sequence number is not.
check "a RST far outside the window is sent" forge 8080 1073741824
check "and one inside the window but not exact" forge 8080 1000
check "both are counted as out of window" wait_for 4 oow_moved $((oow + 2))
check "show flows still lists the flow ESTABLISHED" flow_in 8080 ESTABLISHED
say "$(flow_line 8080)"
check "the server can still push data before the client speaks" server_pushes 8080 push-2
check "and the client still reaches the server" client_says 8080 hello-2
check "the flow is the same one: still ESTABLISHED" flow_in 8080 ESTABLISHED
check "with its reply packets counted on (not restarted)" \
	test "$(reply_pkts 8080)" -gt "${reply0:-0}"
check "stats --json has the tcp counters" \
	grep -q '"out_of_window": [1-9]' <<<"$(show stats --json)"
check "show metrics has them" \
	grep -q '^vpcfw_tcp_segments_refused_total{reason="out_of_window"} [1-9]' <<<"$(show metrics)"

# The exact number: what the server itself would send next.
check "a RST with the exact sequence number is sent" forge 8080 0
say "$(grep '^rst ' "$TMPD/peer-8080.out" | tr '\n' ' ')"
check "it closes the flow" wait_for 5 flow_in 8080 CLOSED
say "$(flow_line 8080)"
no_connection() { [ -z "$(ss -N "$HOST_NS" -Htn state established "dport = :$1")" ]; }
check "and reaches the client, whose connection is reset" wait_for 5 no_connection 8080

say "a connection picked up mid-stream after a restart"
peer_start 8081
session_open cli8081 "$HOST_NS" "$P4" 8081
check "the host connects to the second server" wait_for 5 peer_says 8081 accepted
check "data goes both ways" eval 'client_says 8081 hi-1 && server_pushes 8081 up-1'
engine_stop
engine_start --sg "$S"
check "the restarted engine lists no flow to 8081" test -z "$(flow_line 8081)"
check "the client speaks: the flow is picked up" client_says 8081 hi-2
check "show flows lists it ESTABLISHED" flow_in 8081 ESTABLISHED
check "the server's data passes through it" server_pushes 8081 up-2
oow=$(counter tcp out_of_window)
check "a RST with a wrong number is sent" forge 8081 1073741824
check "it is counted as out of window" wait_for 4 oow_moved $((oow + 1))
check "the picked-up flow stays ESTABLISHED" flow_in 8081 ESTABLISHED
check "and carries the server's data" server_pushes 8081 up-3
check "a RST with the exact number is sent" forge 8081 0
check "it closes the picked-up flow" wait_for 5 flow_in 8081 CLOSED
say "$(flow_line 8081)"
steer off
finish
