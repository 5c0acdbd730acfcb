#!/bin/bash
#
# t-guard.sh - the lock-out guard: run, reload and apply refuse rules that
# would cut an established SSH session of the host (or the one the request
# came from, $SSH_CONNECTION), naming the rule; --force overrides.
#
#   peer 10.99.0.2 ==== open TCP session to :22 ====> host 10.99.0.1 (vpcfw)
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 22
F="$TMPD/sg.json"		# the file the engine reads
OK="$TMPD/ok.json"
CUT="$TMPD/cut.json"
NACL="$TMPD/nacl.json"
sg_json "$OK" "in tcp:22 $NET4" "in tcp:22 $NET6"
sg_json "$CUT" "in tcp:80 $NET4"
cp "$OK" "$F"
nacl_json "$NACL" "in 100 allow tcp:22 $NET4" "out 100 allow tcp:22 $NET4"
steer on
engine_start --sg "$F"
session_open ssh "$PEER_NS" "$H4" 22
session_ok "an SSH session from the peer is open" ssh
cp "$CUT" "$F"

check_not "reload with rules that would cut it is refused" engine_reload
check "the refusal names the session and the rule set that cuts it" \
	grep -q "refused: would cut the SSH session $P4:[0-9]* -> $H4:22: its inbound packets are dropped by sg-in:none" "$TMPD/reload.err"
check "it says how to go ahead anyway" grep -q -- "--force" "$TMPD/reload.err"
check "the rules in force stayed (generation 1)" test "$(counter rules generation)" = 1
session_ok "the session still works" ssh

check_not "apply of such rules is refused too" \
	in_host "$VPCFW" apply --ctl "$CTL" --sg "$CUT" --confirm 30
check "reload --force goes ahead" in_host "$VPCFW" reload --force --ctl "$CTL"
check "the new rules are in force (generation 2)" test "$(counter rules generation)" = 2
session_ok "the tracked session survives the SG change, as in AWS" ssh
engine_stop

# A fresh start has no flow table: run judges the session from scratch.
cp "$OK" "$F"
in_host timeout 10 "$VPCFW" run --ctl "$CTL" --sg "$F" --nacl "$NACL" 2>"$TMPD/run.err"
check "run with a NACL that drops the session's replies is refused (exit 1)" test "$?" = 1
check "naming NACL outbound *" \
	grep -q 'its outbound packets are dropped by nacl-out:\* deny' "$TMPD/run.err"
engine_start --sg "$F" --nacl "$NACL" --force
pass "run --force starts anyway"
engine_stop

# The session a request comes from counts even when it is not on this host's
# port 22 (an SSH session to another port, or through a jump host).
sg_json "$F" "in tcp:22 $NET4" "in tcp:2222 $NET4"
engine_start --sg "$F"
sg_json "$F" "in tcp:22 $NET4"
in_host env SSH_CONNECTION="$P4 50000 $H4 2222" "$VPCFW" reload --ctl "$CTL" 2>"$TMPD/reload.err"
check "reload refuses rules that cut the requester's own session (\$SSH_CONNECTION)" test "$?" = 1
check "and says it is the session the request came from" \
	grep -q "would cut the SSH session $P4:50000 -> $H4:2222.*(the session this request came from)" "$TMPD/reload.err"
check "without \$SSH_CONNECTION the same rules pass" engine_reload
steer off
finish
