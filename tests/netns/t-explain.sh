#!/bin/bash
#
# t-explain.sh - `vpcfw explain` agrees with the engine (issue 10, point 5):
# real traffic goes through the engine with `vpcfw trace` listening, then
# `vpcfw explain --replay` judges every traced packet again, offline, with
# the same rule files and one flow table of its own, and must reach the
# same verdict by the same rules on every line. The scenarios are those of
# t-both-layers.sh and t-nacl-ephemeral.sh, plus UDP and ping through a
# security group: TCP, UDP, ICMP and ICMPv6, IPv4 and IPv6, NACL and SG,
# drops by each layer, tracked replies. Each scenario runs on a fresh
# engine, so that the replay's fresh flow table starts where the engine's
# did; with an ENI, each line is judged by the rules of the interface it
# names. Then single packets: exit status and the reasons a user reads.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_udp "$HOST_NS" 53

N="$TMPD/nacl.json"
S="$TMPD/sg.json"
ARGS=()
TRACE=""
SCEN=0

listeners() { trace_listeners "$1"; }	# besides lib.sh's recorder

# scenario DESC RUN-ARGS...: a fresh engine with these rules, traced.
scenario() {
	local desc=$1; shift
	SCEN=$((SCEN + 1))
	say "scenario $SCEN: $desc"
	ARGS=("$@")
	TRACE="$TMPD/trace.$SCEN"
	engine_start "${ARGS[@]}"
	steer on
	in_host "$VPCFW" trace --ctl "$CTL" >"$TRACE" 2>&1 &
	PIDS+=("$!")
	TRACE_PID=$!
	wait_for 5 listeners 1 || fail "the trace listener attached"
}

# The marker: one datagram the engine judges; once its line is in the
# trace, every packet before it is too (one queue: judged in order).
marker_seen() { grep -q "udp $P4:[0-9]* -> $H4:7777 " "$TRACE"; }
send_marker() { in_peer bash -c "echo m >/dev/udp/$H4/7777" 2>/dev/null; }
marker_sent_and_seen() { send_marker; marker_seen; }

# replayed: stop the trace and the engine, replay the trace offline.
replayed() {
	local out="$TMPD/replay.$SCEN" n
	wait_for 10 marker_sent_and_seen || fail "scenario $SCEN: the trace caught up"
	kill -TERM "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID" 2>/dev/null
	engine_stop
	check_not "scenario $SCEN: the trace lost no line" grep -q "lines lost" "$TRACE"
	"$VPCFW" explain "${ARGS[@]}" --replay "$TRACE" >"$out" 2>&1
	local rc=$?
	say "$(tail -n 1 "$out")"
	if [ "$rc" = 0 ]; then
		pass "scenario $SCEN: explain agrees with the engine on every packet"
	else
		fail "scenario $SCEN: explain agrees with the engine on every packet (exit $rc)"
		sed 's/^/#   /' "$out" | head -n 40
	fi
	n=$(sed -n 's/^replayed \([0-9]*\) packets.*/\1/p' "$out")
	check "scenario $SCEN: the replay judged the traced packets (${n:-0})" test "${n:-0}" -ge "$1"
	shift
	local want
	for want in "$@"; do
		check "scenario $SCEN: the trace holds '$want'" grep -q -- "$want" "$TRACE"
	done
}

nacl_in=("in 100 allow tcp:80 0.0.0.0/0" "in 101 allow tcp:80 ::/0" "in 110 allow udp:7777 $NET4")
nacl_json "$N" "${nacl_in[@]}"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6" "in udp:7777 $NET4"
scenario "both layers, no outbound ephemeral rule" --nacl "$N" --sg "$S"
tcp_fails "IPv4: times out" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: times out" "$PEER_NS" "$H6" 80
replayed 5 "DROP: sg:flow (tracked reply), then nacl-out:\* deny" \
	"ACCEPT: nacl-in:100 allow, then sg-in:sg-0123456789abcdef0#1 (new tracked flow)"

nacl_json "$N" "${nacl_in[@]}" "out 100 allow tcp:1024-65535 0.0.0.0/0" \
	"out 101 allow tcp:1024-65535 ::/0"
scenario "both layers, outbound 1024-65535" --nacl "$N" --sg "$S"
tcp_ok "IPv4: works" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: works" "$PEER_NS" "$H6" 80
replayed 10 "ACCEPT: sg:flow (tracked reply), then nacl-out:100 allow" \
	"ACCEPT: nacl-in:101 allow, then sg:flow (packet of a tracked flow)"

sg_json "$S" "in tcp:22 $NET4" "in tcp:22 $NET6" "in udp:7777 $NET4"
scenario "both layers, SG without the HTTP rule" --nacl "$N" --sg "$S"
tcp_fails "IPv4: SG drops" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: SG drops" "$PEER_NS" "$H6" 80
replayed 2 "DROP: nacl-in:100 allow, then sg-in:none (no rule allows it)"

inbound=("in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6" "in 110 allow udp:7777 $NET4")
nacl_json "$N" "${inbound[@]}" "out 100 allow tcp:80 $NET4" "out 101 allow tcp:80 $NET6"
scenario "NACL alone, outbound TCP 80 only" --nacl "$N"
tcp_fails "IPv4: times out" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: times out" "$PEER_NS" "$H6" 80
replayed 4 "DROP: nacl-out:\* deny" "ACCEPT: nacl-in:100 allow"

nacl_json "$N" "${inbound[@]}" "out 100 allow tcp:80 $NET4" "out 101 allow tcp:80 $NET6" \
	"out 120 allow tcp:32768-65535 $NET4" "out 121 allow tcp:32768-65535 $NET6"
scenario "NACL alone, outbound 32768-65535 added" --nacl "$N"
tcp_ok "IPv4: client port 32768 works" "$PEER_NS" "$H4" 80 ",sourceport=32768,reuseaddr"
tcp_ok "IPv6: client port 60999 works" "$PEER_NS" "$H6" 80 ",sourceport=60999,reuseaddr"
replayed 10 "tcp $H4:80 -> $P4:32768 \[S.\] ACCEPT: nacl-out:120 allow"

nacl_json "$N" "${inbound[@]}" \
	"out 120 allow tcp:49152-65535 $NET4" "out 121 allow tcp:49152-65535 $NET6"
scenario "NACL alone, outbound 49152-65535" --nacl "$N"
tcp_fails "IPv4: client port 40000 times out" "$PEER_NS" "$H4" 80 ",sourceport=40000,reuseaddr"
tcp_ok "IPv4: client port 49152 works" "$PEER_NS" "$H4" 80 ",sourceport=49152,reuseaddr"
tcp_ok "IPv6: client port 55000 works" "$PEER_NS" "$H6" 80 ",sourceport=55000,reuseaddr"
replayed 10 "ACCEPT: nacl-out:121 allow" "DROP: nacl-out:\* deny"

nacl_json "$N" "${inbound[@]}" \
	"out 120 allow tcp:1024-65535 $NET4" "out 121 allow tcp:1024-65535 $NET6"
scenario "NACL alone, outbound 1024-65535" --nacl "$N"
tcp_ok "IPv4: client port 1024 works" "$PEER_NS" "$H4" 80 ",sourceport=1024,reuseaddr"
tcp_fails "IPv4: client port 1023 times out" "$PEER_NS" "$H4" 80 ",sourceport=1023,reuseaddr"
replayed 6 "ACCEPT: nacl-out:120 allow"

echo_in=("in 100 allow icmp:8/0 $NET4" "in 101 allow icmpv6:128/0 $NET6" "in 110 allow udp:7777 $NET4")
nacl_json "$N" "${echo_in[@]}" "out 100 allow icmp:3/-1 $NET4" "out 101 allow icmpv6:1/-1 $NET6"
scenario "NACL alone, ping without an outbound rule for the reply" --nacl "$N"
ping_fails "IPv4: ping fails" "$PEER_NS" "$H4"
ping_fails "IPv6: ping fails" "$PEER_NS" "$H6"
replayed 4 "icmp $H4 -> $P4 type 0 code 0 id [0-9]* DROP: nacl-out:\* deny" \
	"icmpv6 $H6 -> $P6 type 129 code 0 id [0-9]* DROP: nacl-out:\* deny"

nacl_json "$N" "${echo_in[@]}" "out 100 allow icmp:0/0 $NET4" "out 101 allow icmpv6:129/0 $NET6"
scenario "NACL alone, ping with outbound echo replies" --nacl "$N"
ping_ok "IPv4: ping works" "$PEER_NS" "$H4"
ping_ok "IPv6: ping works" "$PEER_NS" "$H6"
replayed 4 "ACCEPT: nacl-out:100 allow" "ACCEPT: nacl-out:101 allow"

sg_json "$S" "in udp:53 $NET4" "in udp:53 $NET6" "in icmp:8/-1 $NET4" "in icmpv6:128/-1 $NET6" \
	"in udp:7777 $NET4"
scenario "SG alone: UDP and ping, tracked replies" --sg "$S"
udp_ok "IPv4: UDP 53 answered" "$PEER_NS" "$H4" 53
udp_ok "IPv6: UDP 53 answered" "$PEER_NS" "$H6" 53
ping_ok "IPv4: ping works" "$PEER_NS" "$H4"
ping_ok "IPv6: ping works" "$PEER_NS" "$H6"
udp_fails "IPv4: UDP 54 dropped" "$PEER_NS" "$H4" 54
replayed 8 "ACCEPT: sg:flow (tracked reply)" "udp \[$P6\]:[0-9]* -> \[$H6\]:53 ACCEPT" \
	"DROP: sg-in:none (no rule allows it)"

S2="$TMPD/eni-sg.json"
sg_json "$S" "in tcp:22 $NET4" "in udp:7777 $NET4"
sg_json "$S2" "in tcp:80 $NET4" "in tcp:80 $NET6" "in udp:7777 $NET4"
scenario "an ENI's own groups on veth0, the default ones elsewhere" --sg "$S" --eni "veth0=$S2"
tcp_ok "IPv4: the ENI's groups allow HTTP" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: the ENI's groups allow HTTP" "$PEER_NS" "$H6" 80
replayed 10 "ACCEPT: sg-in:sg-0123456789abcdef0#2 (new tracked flow) \[eni veth0\]"
# The check can fail: the same trace, replayed without the ENI's rules, differs.
"$VPCFW" explain --sg "$S" --replay "$TRACE" >"$TMPD/wrong" 2>&1
check "the trace replayed with other rules differs (exit 1)" test $? = 1
check "and says where" grep -q "differs: in tcp $P4:[0-9]* -> $H4:80 \[S\]" "$TMPD/wrong"

say "single packets: exit status and reasons"
nacl_json "$N" "${inbound[@]}" "out 100 allow tcp:80 $NET4" "out 101 allow tcp:80 $NET6"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6"
X=("$VPCFW" explain --nacl "$N" --sg "$S")
out=$("${X[@]}" tcp "$P4:40123" '->' "$H4:80" in); rc=$?
check "a passing SYN exits 0" test "$rc" = 0
check "it names rule 100 as deciding" grep -q "YES *nacl-in:100 " <<<"$out"
out=$("${X[@]}" --reply-of "tcp $P4:40123 -> $H4:80 in"); rc=$?
check "its reply exits 1" test "$rc" = 1
check "the reply: SG passes it as a tracked reply, the NACL drops it" \
	grep -q "^verdict: DROP: sg:flow (tracked reply), then nacl-out:\* deny$" <<<"$out"
check "the reply: port 40123 is not in 80" grep -q "destination port 40123 is not in 80" <<<"$out"
check "the reply: the Reachability Analyzer code" grep -qx "code: SUBNET_ACL_RESTRICTION" <<<"$out"
check "the reply passes the SG only as a tracked reply" \
	grep -q "passes only as the reply of a tracked flow" <<<"$out"
out=$("${X[@]}" --json udp "[$P6]:5000" '->' "[$H6]:53" in); rc=$?
check "an unmatched UDP packet exits 1" test "$rc" = 1
check "--json: the NACL's '*' decides, code SUBNET_ACL_RESTRICTION" \
	quiet jq -e '.code == "SUBNET_ACL_RESTRICTION" and .layers[0].rules[-1].rule == "nacl-in:*"
	       and (.layers[0].rules[] | select(.rule == "nacl-in:101") | .miss) == "protocol"' <<<"$out"
check_not "a bad packet is a usage error (2)" "${X[@]}" tcp "$P4" '->' "$H4:80" in
"${X[@]}" tcp "$P4:1" '->' "$H4:80" sideways >/dev/null 2>&1
check "no direction: exit 2" test $? = 2

say "replaying traces of engines with other flow tables, and of many queues"
sg_json "$S" "out udp:53 $NET4"
R="$TMPD/handmade"
# Two queues: the trace writes queue 1's lines, then queue 0's, so the
# reply may come a few milliseconds "before" its request: not midnight.
cat >"$R" <<EOF
10:00:00.005 q1 out udp $H4:40000 -> $P4:53 ACCEPT: sg-out:sg-0123456789abcdef0#1 (new tracked flow)
10:00:00.003 q0 in  udp $P4:53 -> $H4:40000 ACCEPT: sg:flow (tracked reply)
10:00:00.004 q1 out udp $H4:40001 -> $P4:53 DROP: sg-out:full (sg-out:sg-0123456789abcdef0#1 allows it but the flow table is full: conntrack_allowance_exceeded)
EOF
check "a line a few ms older than the one before is no new day; --max-flows 1 fills the table" \
	quiet "$VPCFW" explain --sg "$S" --max-flows 1 --replay "$R"
"$VPCFW" explain --sg "$S" --replay "$R" >/dev/null 2>&1
check "without --max-flows the third line differs (exit 1)" test $? = 1
cat >"$R" <<EOF
10:00:00.000 q0 out udp $H4:40000 -> $P4:53 ACCEPT: sg-out:sg-0123456789abcdef0#1 (new tracked flow)
10:00:45.000 q0 in  udp $P4:53 -> $H4:40000 ACCEPT: sg:flow (tracked reply)
EOF
check "--conntrack udp=60: a reply after 45 s is still tracked" \
	quiet "$VPCFW" explain --sg "$S" --conntrack udp=60 --replay "$R"
"$VPCFW" explain --sg "$S" --replay "$R" >/dev/null 2>&1
check "with the default 30 s it is not (exit 1)" test $? = 1
"$VPCFW" explain --sg "$S" --conntrack udp=99 --replay "$R" >/dev/null 2>&1
check "--conntrack out of range: exit 2" test $? = 2
S0="$TMPD/no-rules.json"
sg_json "$S0"
cat >"$R" <<EOF
10:00:00.000 q0 out udp $H4:40000 -> $P4:53 ACCEPT: sg-out:sg-0123456789abcdef0#1 (new tracked flow)
# rules: --sg $S0
10:00:01.000 q0 in  udp $P4:53 -> $H4:40000 ACCEPT: sg:flow (tracked reply)
10:00:01.000 q0 out udp $H4:40001 -> $P4:53 DROP: sg-out:none (no rule allows it)
EOF
check "'# rules:' puts other rules in force and keeps the flows, as a reload" \
	quiet "$VPCFW" explain --sg "$S" --replay "$R"
grep -v '^# rules:' "$R" >"$R.without"
"$VPCFW" explain --sg "$S" --replay "$R.without" >/dev/null 2>&1
check "without it the last line differs (exit 1)" test $? = 1
sed -i "s|^# rules: .*|# rules: --sg $S0 --json|" "$R"
"$VPCFW" explain --sg "$S" --replay "$R" >/dev/null 2>&1
check "'# rules:' with other than rule options: exit 2" test $? = 2

finish
