#!/bin/bash
#
# t-shadow.sh - a shadow policy judges every packet beside the enforced one
# and is never enforced. The lesson's ready form: the web servers' security
# group enforced (rules/web-sg.json), the same rules written as a network
# ACL in the shadow (rules/web-nacl-ephemeral-mistake.json: no rule for the
# replies).
# A connection to port 80 works (the SG tracks it); `trace --compare` marks
# the replies, where the two part ("sg:flow" vs "nacl-out:*"); `show stats`
# counts exactly those packets; `show rules --shadow` has the shadow's own
# counters. A reload with a changed shadow file changes the shadow's
# verdicts and nothing enforced; `apply --shadow` puts the fixed NACL
# (rules/web-nacl-fixed.json) in the shadow, and the two agree.
#
#   peer 10.99.0.2 --- TCP :80 --->  host 10.99.0.1
#                                    vpcfw: SG enforced, NACL twin in the shadow
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
RULES="$VPCFW_SRCDIR/rules"
TWIN="$TMPD/twin"
cp "$RULES/web-nacl-ephemeral-mistake.json" "$TWIN"
steer on
engine_start --sg "$RULES/web-sg.json" --shadow-nacl "$TWIN"

show() { in_host "$VPCFW" show "$@" --ctl "$CTL"; }
listeners() { trace_listeners "$1"; }	# besides the harness's recorder

# trace_run FILE ARGS...: a listener in the background, its lines in FILE.
trace_run() {
	local file=$1; shift
	# Not through a function: $! must be the listener itself (ip netns exec execs it).
	ip netns exec "$HOST_NS" "$VPCFW" trace --ctl "$CTL" "$@" >"$file" 2>&1 &
	PIDS+=("$!")
	TRACE_PID=$!
	wait_for 5 listeners 1 || fail "the trace listener attached"
}
trace_end() {
	kill -TERM "$TRACE_PID" 2>/dev/null
	wait_for 5 proc_gone "$TRACE_PID"
	wait_for 5 listeners 0 || fail "the engine dropped the listener that left"
}
marked() { grep -c '  <-- differ$' "$1"; }
disagreed() { counter shadow disagreed; }
disagreed_is() { [ "$(disagreed)" = "$1" ]; }
# star_out_hits: packets of the shadow's outbound IPv4 '*' rule. (Not the
# IPv6 one: the host's own MLD reports meet it, and the SG drops them too.)
star_out_hits() {
	show rules --shadow | awk '/^nacl / { sec = $3 }
		sec == "outbound" && $1 == "*" && $5 == "0.0.0.0/0" { print $(NF-1) }'
}

check "show stats names the shadow" grep -q "^shadow: judged" <(vpcfw_status)
check "show rules --shadow lists the shadow's NACL" \
	grep -q "^nacl acl-0c3d4e5f6a7b8c9d0 outbound" <(show rules --shadow)
check_not "the enforced rules have no NACL" grep -q "^nacl " <(show rules)

T1="$TMPD/trace1"
trace_run "$T1" --compare --proto tcp --port 80
tcp_ok "peer -> host:80 works: the SG is enforced, the shadow's drops are not" "$PEER_NS" "$H4" 80
# Count once the connection is over on the host's side (its last packet
# judged) and every line has reached the listener.
conn_over() { [ -z "$(ss -N "$HOST_NS" -Htn 'sport = :80')" ]; }
check "the connection is over on the host" wait_for 5 conn_over
disagreed_is_marked() { [ "$(disagreed)" = "$(marked "$T1")" ] && [ "$(marked "$T1")" -gt 0 ]; }
check "show stats counts as many disagreements as trace --compare marked" \
	wait_for 5 disagreed_is_marked
trace_end
say "$(head -n 4 "$T1")"
m=$(marked "$T1")
check "the replies are marked: SG passes a tracked reply, the shadow's NACL drops it" \
	grep -q "out tcp $H4:80 -> $P4:[0-9]* \[S.\]  enforced: ACCEPT sg:flow (tracked reply) / shadow: DROP nacl-out:\* deny \[veth0\]  <-- differ$" "$T1"
check "the request is not: both let it in" \
	grep -q "in  tcp $P4:[0-9]* -> $H4:80 \[S\]  enforced: ACCEPT sg-in:sg-0e5f6a7b8c9d0e1f2#1 (new tracked flow) / shadow: ACCEPT nacl-in:100 allow \[veth0\]$" "$T1"
check "every marked line is an outbound reply from port 80" \
	test "$(grep '  <-- differ$' "$T1" | grep -vc "out tcp $H4:80 -> ")" = 0
check "every outbound line is marked (the twin has no rule for replies)" \
	test "$(grep -c "out tcp $H4:80 -> " "$T1")" = "$m"
check "disagreements by direction: none inbound, all outbound" \
	test "$(counter shadow in)/$(counter shadow out)" = "0/$m"
check "the rules involved: sg:flow vs nacl-out:*, $m packets" \
	grep -qx "  sg:flow vs nacl-out:\*: $m" <(vpcfw_status)
check "show rules --shadow: the '*' outbound rule decided the $m replies (got $(star_out_hits))" \
	test "$(star_out_hits)" = "$m"
# The shadow's counters against explain (issue 10's differential check):
# explain, given the shadow's file, judges every packet of the recording
# as the shadow did, and the shadow's rule counters count those verdicts.
check "explain --replay --shadow: every shadow verdict of the recording is explain's" \
	"$VPCFW" explain --nacl "$RULES/web-nacl-ephemeral-mistake.json" --replay "$T1" --shadow
check "explain --replay: every enforced verdict is explain's too" \
	"$VPCFW" explain --sg "$RULES/web-sg.json" --replay "$T1"
in100_hits() {
	show rules --shadow | awk '/^nacl / { sec = $3 }
		sec == "inbound" && $1 == "100" { print $(NF-1) }'
}
check "show rules --shadow: rule 100 in counted the $(grep -c 'shadow: ACCEPT nacl-in:100 allow' "$T1") requests explain passed by it" \
	test "$(in100_hits)" = "$(grep -c 'shadow: ACCEPT nacl-in:100 allow' "$T1")"
check "show stats --json has them" \
	grep -q "\"out\": $m" <(show stats --json | grep -A4 '"disagreed"')
check "show metrics has them" \
	grep -qx "vpcfw_shadow_disagreements_total{direction=\"out\"} $m" <(show metrics)

T2="$TMPD/trace2"
trace_run "$T2" --disagree --proto tcp --port 80
tcp_ok "a second connection works" "$PEER_NS" "$H4" 80
check "trace --disagree shows differing lines" wait_for 5 grep -q "<-- differ" "$T2"
trace_end
check "and only those" test "$(grep -v '^#' "$T2" | grep -vc '  <-- differ$')" = 0

# A reload re-reads the shadow's file: a bad one refuses the whole reload.
g0=$(counter rules generation)
printf 'nacl acl-bad\ninbound\n  100 allow tcp 99999 0.0.0.0/0\n' >"$TWIN"
check_not "reload with a bad shadow file is refused" engine_reload
check "the client is told where" grep -q "twin:3:" "$TMPD/reload.err"
check "the enforced rules did not change (generation $g0)" \
	test "$(counter rules generation)" = "$g0"
check "the shadow's rules did not change" \
	grep -q "^nacl acl-0c3d4e5f6a7b8c9d0 outbound" <(show rules --shadow)
# Now its NACL denies port 80 inbound.
cat >"$TWIN" <<RULES
nacl acl-deny80
inbound
  100 deny  tcp 80 0.0.0.0/0
  200 allow all    0.0.0.0/0
outbound
  100 allow all    0.0.0.0/0
RULES
check "reload with a changed shadow file" engine_reload
T3="$TMPD/trace3"
trace_run "$T3" --compare --proto tcp --port 80
tcp_ok "enforcement did not change: peer -> host:80 still works" "$PEER_NS" "$H4" 80
check "the shadow now drops the request by its new rule 100" \
	wait_for 5 grep -q "in  tcp $P4:[0-9]* -> $H4:80 \[S\]  enforced: ACCEPT .* / shadow: DROP nacl-in:100 deny \[veth0\]  <-- differ$" "$T3"
trace_end
check "the new shadow counts inbound disagreements from zero" test "$(counter shadow in)" -gt 0
check "and no outbound ones (its outbound allows all)" test "$(counter shadow out)" = 0
check "the enforced rules were reloaded as they were (generation $((g0 + 1)))" \
	test "$(counter rules generation)" = $((g0 + 1))

# apply --shadow: the fixed NACL in the shadow, nothing enforced changes.
apply() { in_host "$VPCFW" apply --ctl "$CTL" "$@" >"$TMPD/apply.out" 2>"$TMPD/apply.err"; }
check "apply --shadow --shadow-nacl rules/web-nacl-fixed.json" \
	apply --shadow-nacl "$RULES/web-nacl-fixed.json"
check "it says nothing enforced changed" grep -q "the enforced rules stay" "$TMPD/apply.out"
check "the generation of the enforced rules did not move" \
	test "$(counter rules generation)" = $((g0 + 1))
T4="$TMPD/trace4"
trace_run "$T4" --compare --proto tcp --port 80
tcp_ok "peer -> host:80 works" "$PEER_NS" "$H4" 80
check "the fixed NACL lets the replies out by rule 140" \
	wait_for 5 grep -q "out tcp $H4:80 -> $P4:[0-9]* .* / shadow: ACCEPT nacl-out:140 allow \[veth0\]$" "$T4"
trace_end
check_not "no line differs" grep -q "<-- differ" "$T4"
check "the shadow and the SG agree on every packet" disagreed_is 0
check "apply --shadow --confirm is a usage error (the shadow enforces nothing)" \
	test "$(apply --shadow "$RULES/web-nacl-fixed.json" --confirm 5; echo $?)" = 2
echo "nacl acl-bad" >"$TMPD/bad.rules"
echo "inbound" >>"$TMPD/bad.rules"
echo "  100 allow tcp 99999 0.0.0.0/0" >>"$TMPD/bad.rules"
check_not "a shadow file with an error is refused" apply --shadow "$TMPD/bad.rules"
check "with the error's place" grep -q "bad.rules:3:" "$TMPD/apply.err"
check "and the fixed NACL stays in the shadow" \
	grep -q "^nacl acl-0c3d4e5f6a7b8c9d0 outbound" <(show rules --shadow)
check "show rules --shadow --json is JSON" \
	python3 -c 'import json,sys; json.load(sys.stdin)' < <(show rules --shadow --json)
# The enforced group itself in the shadow: a shadow SG tracks its own flows.
check "apply --shadow --shadow-sg rules/web-sg.json" apply --shadow-sg "$RULES/web-sg.json"
tcp_ok "peer -> host:80 works" "$PEER_NS" "$H4" 80
check "the connection is over on the host" wait_for 5 conn_over
check "the shadow SG agrees on every packet" disagreed_is 0
check "its own rule 1 opened the flow it tracked (show rules --shadow)" \
	test "$(show rules --shadow | awk '/^sg .* inbound/ { s = 1; next } /^sg / { s = 0 } s && $1 == 1 { print $5; exit }')" = 1
steer off
finish
