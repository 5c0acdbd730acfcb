#!/bin/bash
#
# t-bad-reload.sh - a reload that finds a bad file changes nothing: the old
# rules keep judging packets, whether the reload came from `vpcfw reload`
# or SIGHUP; a good reload then applies.
#
#   peer --TCP 80 (allowed), TCP 81 (denied)-->  host (vpcfw --nacl N)
#
# Each bad file would also have allowed TCP 81, so any partial load shows.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

N="$TMPD/web-nacl.json"
base=("in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6"
      "out 100 allow tcp:1024-65535 $NET4" "out 101 allow tcp:1024-65535 $NET6")
with81=("${base[@]}" "in 110 allow tcp:81 $NET4" "in 111 allow tcp:81 $NET6")

old_rules_judge() {	# old_rules_judge WHEN
	tcp_ok "IPv4: TCP 80 still allowed $1" "$PEER_NS" "$H4" 80
	tcp_ok "IPv6: TCP 80 still allowed $1" "$PEER_NS" "$H6" 80
	tcp_fails "IPv4: TCP 81 still denied $1" "$PEER_NS" "$H4" 81
	tcp_fails "IPv6: TCP 81 still denied $1" "$PEER_NS" "$H6" 81
}

nacl_json "$N" "${base[@]}"
engine_start --nacl "$N"
steer on
old_rules_judge "(before any reload)"

say "vpcfw reload with a bad CIDR in the file"
nacl_json "$N" "${with81[@]}" "in 120 allow tcp:82 10.99.0.300/24"
engine_reload; rc=$?
check "reload exits 1 (got $rc)" test "$rc" = 1
check "the error names the file" grep -qF "web-nacl.json" "$TMPD/reload.err"
sed 's/^/#   /' "$TMPD/reload.err"
old_rules_judge "after the refused reload"
check "engine still answers status" status_quiet

say "SIGHUP with a truncated file"
nacl_json "$N" "${with81[@]}"
head -c 300 "$N" >"$N.tmp" && mv -f "$N.tmp" "$N"
log_size=$(stat -c %s "$ENGINE_LOG")
kill -HUP "$ENGINE_PID"
logged_error() { tail -c +"$((log_size + 1))" "$ENGINE_LOG" | grep -qF "web-nacl.json"; }
check "the engine logs the error with the file name" wait_for 3 logged_error
tail -c +"$((log_size + 1))" "$ENGINE_LOG" | sed 's/^/#   /'
check "engine still running" kill -0 "$ENGINE_PID"
old_rules_judge "after the refused SIGHUP"

say "a good reload"
nacl_json "$N" "${with81[@]}"
check "reload exits 0" engine_reload
tcp_ok "IPv4: TCP 81 now allowed" "$PEER_NS" "$H4" 81
tcp_ok "IPv6: TCP 81 now allowed" "$PEER_NS" "$H6" 81
tcp_ok "IPv4: TCP 80 allowed" "$PEER_NS" "$H4" 80

say "a good SIGHUP"
replay_cut "a SIGHUP reload changes the rules"
nacl_json "$N" "${base[@]}"
kill -HUP "$ENGINE_PID"
tcp81_gone() { ! tcp_try "$PEER_NS" "$H4" 81 1; }
check "IPv4: TCP 81 denied again soon after SIGHUP" wait_for 5 tcp81_gone
tcp_fails "IPv6: TCP 81 denied" "$PEER_NS" "$H6" 81
tcp_ok "IPv4: TCP 80 allowed" "$PEER_NS" "$H4" 80

finish
