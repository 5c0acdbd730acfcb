#!/bin/bash
#
# t-ctl-stall.sh - no control client can stall the engine: with 16, then
# 100 clients that connect and never send (reconnecting whenever the engine
# closes them), a client that trickles a byte every 0.5 s and one that sends
# 1 MiB, `vpcfw status` and `vpcfw reload` still answer at once, the reload
# takes effect, a trace still gets its lines, and SIGTERM still stops the
# engine within a second or two.
#
#   peer --TCP 80 (allowed), TCP 81 (allowed only after the reload)--> host
#   host: vpcfw --sg S, its control socket besieged by socat clients
#
# Before, the engine served one client at a time with a 5 s timeout per
# read: 16 silent clients made `reload` say "no engine answers" (while the
# engine applied it later) and delayed SIGTERM to 9 s.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

S="$TMPD/sg.json"
only80=("in tcp:80 $NET4" "in tcp:80 $NET6")
with81=("${only80[@]}" "in tcp:81 $NET4" "in tcp:81 $NET6")
sg_json "$S" "${only80[@]}"
engine_start --sg "$S"
steer on
tcp_ok "TCP 80 allowed" "$PEER_NS" "$H4" 80
tcp_fails "TCP 81 denied" "$PEER_NS" "$H4" 81

SIEGE=()
# besiege N: N clients that connect and send nothing; each reconnects as
# soon as the engine closes it, so the pressure lasts.
besiege() {
	local i
	for ((i = 0; i < $1; i++)); do
		# shellcheck disable=SC2016
		bg "$HOST_NS" bash -c 'while :; do
			socat -u UNIX-CONNECT:"$1" OPEN:/dev/null 2>/dev/null; sleep 0.1
		done' silent "$CTL"
		SIEGE+=("$BG_PID")
	done
}

# clients_connected N: at least N connections on the control socket.
clients_connected() {
	[ "$(in_host ss -Hx state connected src "$CTL" 2>/dev/null | wc -l)" -ge "$1" ]
}

# timed CMD...: run CMD; its status in TIMED_RC, its time in TIMED_MS.
timed() {
	local t0
	t0=$(now_ms)
	"$@"; TIMED_RC=$?
	TIMED_MS=$(( $(now_ms) - t0 ))
}

status_to() { in_host timeout 20 "$VPCFW" status --ctl "$CTL" >"$TMPD/status.out" 2>&1; }
reload_to() { in_host timeout 20 "$VPCFW" reload --ctl "$CTL" >"$TMPD/reload.out" 2>&1; }

# under_siege WHAT: status and reload answer promptly and the reload takes effect.
under_siege() {
	timed status_to
	check "status exits 0 $1 (rc $TIMED_RC, $TIMED_MS ms)" test "$TIMED_RC" = 0
	check "status answers within 3 s $1 ($TIMED_MS ms)" test "$TIMED_MS" -le 3000
	replay_cut "timed reloads (vpcfw reload) change the rules"
	timed reload_to
	check "reload exits 0 $1 (rc $TIMED_RC, $TIMED_MS ms)" test "$TIMED_RC" = 0
	check "reload answers within 3 s $1 ($TIMED_MS ms)" test "$TIMED_MS" -le 3000
	sed 's/^/#   /' "$TMPD/reload.out"
}

say "16 silent clients, a trickler and a 1 MiB request"
besiege 16
check "16 silent clients are connected" wait_for 10 clients_connected 16
# One byte every 0.5 s for 20 s: a deadline per read would never end it.
trickle() {
	local i
	for ((i = 0; i < 40; i++)); do printf x; sleep 0.5; done
}
trickle_run() {
	trickle | in_host socat -t 1 - UNIX-CONNECT:"$CTL" >"$TMPD/trickle.out" 2>/dev/null
}
trickle_run &
TRICKLE_JOB=$!
big_run() {
	head -c 1048576 /dev/zero | tr '\0' x |
		in_host timeout 10 socat -t 2 - UNIX-CONNECT:"$CTL" >"$TMPD/big.out" 2>/dev/null
}
big_run &
BIG_JOB=$!

sg_json "$S" "${with81[@]}"
under_siege "with 16 silent clients, a trickler and a big request"
tcp_ok "TCP 81 allowed: the reload took effect" "$PEER_NS" "$H4" 81
trickle_done() { ! kill -0 "$TRICKLE_JOB" 2>/dev/null; }
check "the trickling client is cut off long before its 20 s are over" wait_for 8 trickle_done
check "the trickling client is told why" grep -q "^ERR" "$TMPD/trickle.out"
check "... that its request was not complete in time" grep -q "no complete request" "$TMPD/trickle.out"
sed 's/^/#   trickler: /' "$TMPD/trickle.out"
wait "$BIG_JOB" 2>/dev/null
check "the 1 MiB request is refused as too large" grep -q "too large" "$TMPD/big.out"
sed 's/^/#   big: /' "$TMPD/big.out"


say "100 silent clients"
besiege 84
check "at least 60 silent clients are connected" wait_for 10 clients_connected 60

sg_json "$S" "${only80[@]}"
under_siege "with 100 silent clients"
tcp_fails "TCP 81 denied again: the reload took effect" "$PEER_NS" "$H4" 81

in_host timeout 10 "$VPCFW" trace --ctl "$CTL" --port 80 --count 1 >"$TMPD/trace.out" 2>&1 &
TRACE_JOB=$!
traced() { grep -q ':80 ' "$TMPD/trace.out"; }
tcp_try "$PEER_NS" "$H4" 80 2 >/dev/null
wait_for 3 traced || tcp_try "$PEER_NS" "$H4" 80 2 >/dev/null
check "a trace gets its line while besieged" wait_for 5 traced
wait "$TRACE_JOB" 2>/dev/null

say "SIGTERM while besieged"
check "still at least 60 clients connected" wait_for 10 clients_connected 60
t0=$(now_ms)
kill -TERM "$ENGINE_PID"
if wait_for 10 proc_gone "$ENGINE_PID"; then
	wait "$ENGINE_PID"; rc=$?
	ms=$(( $(now_ms) - t0 ))
	check "engine exits 0 on SIGTERM (rc $rc)" test "$rc" = 0
	check "engine stops within 3 s of SIGTERM though besieged (${ms} ms)" test "$ms" -le 3000
else
	fail "engine exits within 10 s of SIGTERM though besieged"
	kill -KILL "$ENGINE_PID"
fi
ENGINE_PID=""
for pid in "${SIEGE[@]}"; do kill -TERM "$pid" 2>/dev/null; done

finish
