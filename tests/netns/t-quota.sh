#!/bin/bash
#
# t-quota.sh - AWS's quotas hold in run, reload and apply as in check: a
# network ACL with 41 inbound rules (AWS's most is 40) is refused by each,
# the rules in force keep judging real traffic; 21 rules (over the default
# of 20) load with a warning; --no-quotas lets the 41 through.
#
#   peer --TCP 80 (allowed), TCP 81 (allowed only by the big files)--> host
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81

N="$TMPD/nacl.json"
BIG="$TMPD/big-nacl.json"
MID="$TMPD/mid-nacl.json"
base=("in 100 allow tcp:80 $NET4" "out 100 allow tcp:1024-65535 $NET4")
# n_rules N: N inbound IPv4 rules, the last allowing TCP 81 (and 80 at 100).
n_rules() {
	local i out=("${base[@]}")
	for ((i = 1; i < $1 - 1; i++)); do out+=("in $i deny udp:$((1000 + i)) $NET4"); done
	out+=("in 200 allow tcp:81 $NET4")
	printf '%s\n' "${out[@]}"
}
mapfile -t big < <(n_rules 41)
mapfile -t mid < <(n_rules 21)
nacl_json "$N" "${base[@]}"
nacl_json "$BIG" "${big[@]}"
nacl_json "$MID" "${mid[@]}"

say "check"
in_host "$VPCFW" check "$BIG" >/dev/null 2>"$TMPD/check.err"; rc=$?
check "check refuses 41 inbound rules (exit 1, got $rc)" test "$rc" = 1
check "and names the quota" grep -q 'error: network ACL .* has 41 inbound IPv4 rules.*quota "Rules per network ACL"' "$TMPD/check.err"
check "check --no-quotas accepts them" quiet in_host "$VPCFW" check --no-quotas "$BIG"
in_host "$VPCFW" check "$MID" >/dev/null 2>"$TMPD/check.err"; rc=$?
check "21 rules pass check (exit 0, got $rc)" test "$rc" = 0
check "with a warning: over the default of 20" grep -q "warning: network ACL .* has 21 inbound IPv4 rules" "$TMPD/check.err"

say "run"
in_host timeout 5 "$VPCFW" run --ctl "$CTL" --nacl "$BIG" >"$TMPD/run.out" 2>&1; rc=$?
check "run refuses them (exit 1, got $rc)" test "$rc" = 1
check "and says why" grep -q "has 41 inbound IPv4 rules" "$TMPD/run.out"

engine_start --nacl "$N"
steer on
tcp_ok "TCP 80 allowed" "$PEER_NS" "$H4" 80
tcp_fails "TCP 81 denied" "$PEER_NS" "$H4" 81

say "reload and apply"
cp "$BIG" "$N"
engine_reload; rc=$?
check "reload refuses the 41 rules (exit 1, got $rc)" test "$rc" = 1
check "and names the quota" grep -q "quota" "$TMPD/reload.err"
tcp_fails "TCP 81 still denied: the old rules judge" "$PEER_NS" "$H4" 81
in_host "$VPCFW" apply --ctl "$CTL" --nacl "$BIG" --confirm 30 >"$TMPD/apply.out" 2>&1; rc=$?
check "apply refuses them too (exit 1, got $rc)" test "$rc" = 1
tcp_fails "TCP 81 still denied" "$PEER_NS" "$H4" 81
cp "$MID" "$N"
check "21 rules reload (a warning, not an error)" engine_reload
tcp_ok "TCP 81 now allowed" "$PEER_NS" "$H4" 81
engine_stop

say "--no-quotas"
nacl_json "$N" "${base[@]}"
engine_start --nacl "$N" --no-quotas
cp "$BIG" "$N"
check "reload of the 41 rules under --no-quotas exits 0" engine_reload
tcp_ok "TCP 81 allowed by rule 200" "$PEER_NS" "$H4" 81
engine_stop
finish
