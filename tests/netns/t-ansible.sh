#!/bin/bash
#
# t-ansible.sh - the Ansible role (contrib/ansible/roles/vpcfw) pushes rules
# to a running engine with Debian's ansible-core, connection local, every
# vpcfw command run inside the test's host namespace (vpcfw_exec): a push
# the host still answers after is confirmed and stays; a push that cuts the
# control connection is never confirmed and the engine brings the previous
# rules back by itself. The "control connection" is TCP to port 22 of the
# host from the peer (the role's vpcfw_probe_command), as Ansible's next SSH
# connection would be.
#
#   peer 10.99.0.2 --- TCP :22 (control), :80 (web) --->  host 10.99.0.1
. "$(dirname "$0")/lib.sh"

command -v ansible-playbook >/dev/null 2>&1 || skip "ansible-playbook not installed (ansible-core)"
setup_topology
serve_tcp "$HOST_NS" 22
serve_tcp "$HOST_NS" 80
OLD="$TMPD/old.json" NEW="$TMPD/sg.json" CUT="$TMPD/cut/sg.json"
mkdir -p "$TMPD/cut" "$TMPD/etc"
sg_json "$OLD" "in tcp:22 $NET4"
sg_json "$NEW" "in tcp:22 $NET4" "in tcp:80 $NET4"
sg_json "$CUT" "in tcp:80 $NET4"		# leaves the control port out
steer on
engine_start --sg "$OLD"
generation() { counter rules generation; }
gen_is() { [ "$(generation)" = "$1" ]; }

TIMEOUT=9
# play FILE: the role pushes FILE as the security group; output in $TMPD/play.log.
play() {
	cat >"$TMPD/play.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: vpcfw
      vars:
        vpcfw_sg_files: ["$1"]
        vpcfw_etc_dir: "$TMPD/etc"
        vpcfw_manage_service: false
        vpcfw_bin: "$VPCFW"
        vpcfw_exec: [ip, netns, exec, "$HOST_NS"]
        vpcfw_ctl: "$CTL"
        vpcfw_confirm_timeout: $TIMEOUT
        vpcfw_reach_timeout: 2
        vpcfw_probe_command: [ip, netns, exec, "$PEER_NS", socat, -u, /dev/null,
                              "TCP4:$H4:22,connect-timeout=1"]
EOF
	ANSIBLE_ROLES_PATH="$VPCFW_SRCDIR/contrib/ansible/roles" ANSIBLE_NOCOLOR=1 \
	ANSIBLE_LOCAL_TEMP="$TMPD/ansible-tmp" ANSIBLE_REMOTE_TEMP="$TMPD/ansible-tmp" \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME="$TMPD/ansible-home" \
		ansible-playbook -i localhost, "$TMPD/play.yml" >"$TMPD/play.log" 2>&1
}
show_play() { tail -25 "$TMPD/play.log" | sed 's/^/#   /'; }
confirmed_ran() { grep -q '^TASK \[vpcfw : vpcfw confirm\]' "$TMPD/play.log"; }

tcp_ok "before: the control port answers" "$PEER_NS" "$H4" 22
tcp_fails "before: port 80 is closed" "$PEER_NS" "$H4" 80
check "the sample playbook passes ansible-playbook --syntax-check" quiet \
	env ANSIBLE_ROLES_PATH="$VPCFW_SRCDIR/contrib/ansible/roles" ansible-playbook \
	-i "$VPCFW_SRCDIR/contrib/ansible/inventory.ini" --syntax-check \
	"$VPCFW_SRCDIR/contrib/ansible/site.yml"

# 1. A push the host survives: applied, confirmed, still in force after
#    the rollback timer.
g0=$(generation)
if play "$NEW"; then pass "a play pushing rules that keep port 22 open succeeds"
else fail "a play pushing rules that keep port 22 open succeeds"; show_play; fi
check "it ran vpcfw confirm" confirmed_ran
check "the pushed rules are in force at once (one new generation)" gen_is $((g0 + 1))
tcp_ok "port 80 answers" "$PEER_NS" "$H4" 80
sleep_past=$((TIMEOUT + 2))
check_not "past the rollback timer, no rollback (the generation stays)" \
	wait_for "$sleep_past" test "$(generation)" != $((g0 + 1))
tcp_ok "port 80 still answers" "$PEER_NS" "$H4" 80
check "the confirmed file is the live one in the rules directory" cmp -s "$NEW" "$TMPD/etc/sg.json"
g1=$(generation)
applies() { grep -c 'apply: new rules in force' "$ENGINE_LOG"; }
a1=$(applies)
if play "$NEW"; then pass "the same play again succeeds"; else fail "the same play again succeeds"; show_play; fi
# The engine's word, not the play's output (its layout depends on
# Ansible's callback and settings).
check "and applies nothing (nothing changed): no apply reached the engine" \
	test "$(applies)" = "$a1"
check "the generation did not move" gen_is "$g1"

# 2. A push that cuts the control connection: the play fails for the host
#    before confirming, and the engine rolls back by itself.
g2=$(generation)
check_not "a play pushing rules that close port 22 fails" play "$CUT"
check "it failed at the new control connection's probe" \
	sh -c "grep -A1 '^TASK \[vpcfw : The probe passes\]' '$TMPD/play.log' | grep -q '^fatal'"
check_not "it never ran vpcfw confirm" confirmed_ran
check "the engine brings the previous rules back within the timer (+3 s)" \
	wait_for $((TIMEOUT + 3)) gen_is $((g2 + 2))
tcp_ok "the control port answers again" "$PEER_NS" "$H4" 22
tcp_ok "and port 80, as the previous rules allow" "$PEER_NS" "$H4" 80
check "the engine logged the rollback" \
	grep -q "apply not confirmed in time: the previous rules are back" "$ENGINE_LOG"
check "the live file is still the confirmed one" cmp -s "$NEW" "$TMPD/etc/sg.json"

# 3. A bad rule file is refused by vpcfw check before anything changes.
printf 'sg sg-1\ninbound\n  tcp 99999 0.0.0.0/0\n' >"$TMPD/cut/sg.json"
g3=$(generation)
check_not "a play pushing a bad file fails" play "$CUT"
check "at vpcfw check" \
	sh -c "grep -A1 '^TASK \[vpcfw : The staged rules pass vpcfw check\]' '$TMPD/play.log' | grep -q '^fatal'"
check "the rules in force did not change" gen_is "$g3"
steer off
finish
