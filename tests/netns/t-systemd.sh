#!/bin/bash
#
# t-systemd.sh - the engine speaks systemd's readiness protocol (Type=notify):
# READY=1 with a STATUS line once the queues are bound and the rules loaded,
# RELOADING=1 then READY=1 around a reload, STOPPING=1 on the way out; and
# the unit file the build generates is what systemd-analyze accepts.
. "$(dirname "$0")/lib.sh"

setup_topology
S="$TMPD/sg.json"
sg_json "$S" "in icmp $NET4"
NOTE="$TMPD/notify.log"
# A stand-in for systemd: a datagram socket that writes what it receives
# (datagrams carry no final newline, so they run together in the file:
# the checks below do not anchor at line starts after the first).
bg "$HOST_NS" socat -u UNIX-RECV:"$TMPD/notify.sock" OPEN:"$NOTE",creat,append
wait_for 5 test -S "$TMPD/notify.sock" || hard_error "notify socket"
export NOTIFY_SOCKET="$TMPD/notify.sock"
engine_start --sg "$S"
unset NOTIFY_SOCKET

check "READY=1 once the engine answers" wait_for 3 grep -q "^READY=1" "$NOTE"
check "with a STATUS line naming the queues and the failure policy" \
	grep -q "^STATUS=judging packets: queues 0-0, rules generation 1, fail-open" "$NOTE"
check "reload" engine_reload
check "RELOADING=1 during a reload" wait_for 3 grep -q "RELOADING=1" "$NOTE"
check "then READY=1 with the new generation" \
	wait_for 3 grep -q "^STATUS=judging packets, rules generation 2" "$NOTE"
engine_stop
check "STOPPING=1 on SIGTERM" wait_for 3 grep -q "STOPPING=1" "$NOTE"

unit="$(dirname "$VPCFW")/../vpcfw.service"
if [ -f "$unit" ] && command -v systemd-analyze >/dev/null; then
	check "the unit is Type=notify with a synchronous reload" \
		grep -q "^Type=notify" "$unit"
	check "and its syntax passes systemd-analyze verify (missing binaries aside)" \
		sh -c "systemd-analyze verify '$unit' 2>&1 | grep -v 'is not executable\|man vpcfw' | grep -q . && exit 1 || exit 0"
else
	say "no generated unit or no systemd-analyze here: unit checks not run"
fi
finish
