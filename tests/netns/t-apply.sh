#!/bin/bash
#
# t-apply.sh - `vpcfw apply --confirm` puts new rules in force and brings the
# previous ones back unless `vpcfw confirm` comes in time (iptables-apply,
# commit confirmed): a rule file that locks the peer out is rolled back and
# the peer gets in again. With --log-drops every drop is logged with the rule
# that made it. Before it applies, apply prints what the change does (the
# exact difference, as `vpcfw diff` prints it).
#
#   peer 10.99.0.2 --- TCP :80 --->  host 10.99.0.1 (vpcfw --sg)
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
GOOD="$TMPD/good.json"
BAD="$TMPD/bad.json"
sg_json "$GOOD" "in tcp:80 $NET4" "in tcp:80 $NET6"
sg_json "$BAD" "in tcp:443 $NET4"
steer on
engine_start --sg "$GOOD" --log-drops

apply() { in_host "$VPCFW" apply --ctl "$CTL" "$@" >"$TMPD/apply.out" 2>"$TMPD/apply.err"; }
said() { grep -qxF -- "$1" "$TMPD/apply.out"; }
G=sg-0123456789abcdef0
confirm() { in_host "$VPCFW" confirm --ctl "$CTL" 2>"$TMPD/confirm.err"; }
generation() { counter rules generation; }
gen_is() { [ "$(generation)" = "$1" ]; }

tcp_ok "before: peer -> host:80 works" "$PEER_NS" "$H4" 80
g0=$(generation)
replay_cut "apply, rollback and confirm change the rules"
check "apply a file that locks the peer out, confirm within 2 s" apply --sg "$BAD" --confirm 2
tcp_fails "the applied rules are in force: peer -> host:80 times out" "$PEER_NS" "$H4" 80
check "apply said port 80 closes for IPv4" said \
	"- sg-in    tcp from $NET4 port 80  no longer allowed (was sg-in:$G#1; now sg-in:none)"
check "apply said port 80 closes for IPv6" said \
	"- sg-in    tcp from $NET6 port 80  no longer allowed (was sg-in:$G#2; now sg-in:none)"
check "apply said port 443 opens for IPv4" said \
	"+ sg-in    tcp from $NET4 port 443  now allowed (sg-in:$G#1; was sg-in:none)"
check "apply said exactly these three changes" \
	test "$(grep -c '^[-+] ' "$TMPD/apply.out")" = 3
check "the difference came before the rules went in force" \
	test "$(grep -n -m1 -e '^[-+] ' -e 'new rules in force' "$TMPD/apply.out" | cut -c1-2)" = "2:"
check_not "a second apply while one is pending is refused" apply --sg "$GOOD" --confirm 5
check_not "so is a reload" engine_reload
check "nobody confirms: the previous rules come back within 4 s" wait_for 4 gen_is $((g0 + 2))
tcp_ok "after the rollback: peer -> host:80 works again" "$PEER_NS" "$H4" 80
check "the engine logged the rollback" grep -q "apply not confirmed in time: the previous rules are back" "$ENGINE_LOG"
check_not "confirm with nothing pending is refused" confirm

check "apply the locking rules again (a bare FILE takes its layers), 30 s window" \
	apply "$BAD" --confirm 30
check "vpcfw confirm keeps them" confirm
check "applying the rules in force: apply says nothing changes" \
	apply "$BAD" --confirm 30
check "... in those words" said "what the new rules change: no change in what the rules admit"
check "and confirm" confirm
tcp_fails "the confirmed rules stay in force" "$PEER_NS" "$H4" 80
# A reload now reads the applied file: edit it and reload.
sg_json "$BAD" "in tcp:80 $NET4"
check "reload after confirm reads the applied file" engine_reload
tcp_ok "peer -> host:80 works with the edited applied file" "$PEER_NS" "$H4" 80
check_not "apply of a bad file is refused and changes nothing" \
	apply --sg /nonexistent.json --confirm 5
check_not "apply without --confirm is a usage error" apply --sg "$GOOD"

check "--log-drops logged the drops with the rule that made them" \
	grep -q "in  tcp $P4:[0-9]* -> $H4:80 \[S\] DROP: sg-in:none (no rule allows it)" "$ENGINE_LOG"
steer off
finish
