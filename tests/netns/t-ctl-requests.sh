#!/bin/bash
#
# t-ctl-requests.sh - what goes over the control socket: paths with spaces
# work for run, reload and apply; a file the engine cannot parse is quoted
# to the client that named it and never into the engine's log; a FIFO or a
# device named in a request is refused without hanging the engine; every
# number is range-checked, by the command line and by the engine.
#
#   peer --TCP 80, 81, 82--> host (vpcfw --sg "DIR WITH SPACES/sg one.json")
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81
serve_tcp "$HOST_NS" 82

D="$TMPD/my rules"
mkdir -p "$D"
S1="$D/sg one.json"
S2="$D/sg two.json"
sg_json "$S1" "in tcp:80 $NET4"
sg_json "$S2" "in tcp:80 $NET4" "in tcp:82 $NET4"

vpcfw() { in_host "$VPCFW" "$@"; }
# rc_of CMD...: the exit status of CMD, its output in $TMPD/out and $TMPD/err.
rc_of() { "$@" >"$TMPD/out" 2>"$TMPD/err"; echo $?; }

say "paths with spaces"
engine_start --sg "$S1"
steer on
tcp_ok "TCP 80 allowed by the rules of 'sg one.json'" "$PEER_NS" "$H4" 80
tcp_fails "TCP 81 denied" "$PEER_NS" "$H4" 81
sg_json "$S1" "in tcp:80 $NET4" "in tcp:81 $NET4"
replay_cut "reloads and applies through vpcfw reload and apply"
rc=$(rc_of vpcfw reload --ctl "$CTL")
check "reload of a file in a directory with spaces exits 0 (got $rc)" test "$rc" = 0
tcp_ok "TCP 81 allowed after the reload" "$PEER_NS" "$H4" 81
rc=$(rc_of vpcfw apply --ctl "$CTL" --sg "$S2" --confirm 60)
check "apply --sg 'sg two.json' exits 0 (got $rc)" test "$rc" = 0
sed 's/^/#   /' "$TMPD/out" "$TMPD/err"
tcp_ok "TCP 82 allowed by the applied file" "$PEER_NS" "$H4" 82
tcp_fails "TCP 81 denied by the applied file" "$PEER_NS" "$H4" 81
rc=$(rc_of vpcfw confirm --ctl "$CTL")
check "confirm exits 0 (got $rc)" test "$rc" = 0
rc=$(rc_of vpcfw reload --ctl "$CTL")
check "reload of the confirmed 'sg two.json' exits 0 (got $rc)" test "$rc" = 0
tcp_ok "TCP 82 still allowed after reading 'sg two.json' again" "$PEER_NS" "$H4" 82

say "a file the engine cannot parse: quoted to the client, never to the log"
MARK="secret-$RANDOM$RANDOM"
SECRET="$TMPD/not rules"
# shellcheck disable=SC2016
printf 'root:$y$j9T$%s:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n' "$MARK" >"$SECRET"
chmod 600 "$SECRET"
rc=$(rc_of vpcfw apply --ctl "$CTL" --nacl "$SECRET" --confirm 60)
check "apply of a file that holds no rules exits 1 (got $rc)" test "$rc" = 1
check "the client is shown the bad line" grep -qF "$MARK" "$TMPD/err"
sed 's/^/#   client: /' "$TMPD/err" | head -n 6
check_not "the engine's log does not quote the file" grep -qF "$MARK" "$ENGINE_LOG"
check "the engine's log names the file and counts its errors" \
	grep -qE "apply refused: .*not rules: [0-9]+ errors?" "$ENGINE_LOG"
grep "refused" "$ENGINE_LOG" | sed 's/^/#   log: /'

cp "$SECRET" "$S2"
rc=$(rc_of vpcfw reload --ctl "$CTL")
check "reload of a file turned bad exits 1 (got $rc)" test "$rc" = 1
check "the reloading client is shown the bad line" grep -qF "$MARK" "$TMPD/err"
log_size=$(stat -c %s "$ENGINE_LOG")
kill -HUP "$ENGINE_PID"
hup_logged() { tail -c +"$((log_size + 1))" "$ENGINE_LOG" | grep -q "reload refused: .*sg two.json"; }
check "SIGHUP with the bad file logs the file name" wait_for 5 hup_logged
check_not "no reload quotes the file into the engine's log" grep -qF "$MARK" "$ENGINE_LOG"
tcp_ok "TCP 82 still allowed: the old rules stay" "$PEER_NS" "$H4" 82
sg_json "$S2" "in tcp:80 $NET4" "in tcp:82 $NET4"

say "a FIFO or a device is refused without waiting on it"
mkfifo "$TMPD/fifo"
for f in "$TMPD/fifo" /dev/zero; do
	rc=$(rc_of timeout 20 "$VPCFW" apply --ctl "$CTL" --sg "$f" --confirm 60)
	check "apply --sg $f exits 1 (got $rc)" test "$rc" = 1
	check "... saying it is not a regular file" grep -q "not a regular file" "$TMPD/err"
done
check "the engine still answers status" status_quiet

say "numbers are range-checked by the command line (exit 2)"
P="$TMPD/plain.json"
cp "$S2" "$P"
for args in "show flows --port 4294967376" "show flows --port=" "show flows --port -1" \
	    "show flows --proto 256" "trace --port 4294967376" "trace --port= --count 1" \
	    "trace --count 0" "apply --confirm 4294967297 $P" "apply --confirm= $P"; do
	# shellcheck disable=SC2086
	rc=$(rc_of vpcfw $args --ctl "$CTL")
	check "vpcfw $args: exit 2 (got $rc)" test "$rc" = 2
	check "vpcfw $args: says what is wrong" grep -q "bad" "$TMPD/err"
done
rc=$(rc_of vpcfw show flows --port 80 --ctl "$CTL")
check "vpcfw show flows --port 80: exit 0 (got $rc)" test "$rc" = 0

say "numbers are range-checked by the engine (ERR)"
# raw WORDS: the engine's first answer line to a request of WORDS, "\0"
# written for each NUL (printf %b), as vpcfw itself would frame them.
raw() { printf '%b' "$1" | in_host timeout 5 socat -t 2 - UNIX-CONNECT:"$CTL" 2>/dev/null | head -n1; }
for req in 'show\0flows\0port=4294967376\0\0' 'show\0flows\0port=\0\0' \
	   'trace\0port=4294967376\0\0' 'trace\0port=\0\0' \
	   "apply\\0confirm=4294967297\\0sg=$S2\\0\\0" "apply\\0confirm=\\0sg=$S2\\0\\0" \
	   "apply\\0confirm=0\\0sg=$S2\\0\\0"; do
	check "engine answers ERR to '${req//\\0/ }'" test "$(raw "$req")" = ERR
done
check "the engine answers OK to a good raw request" test "$(raw 'show\0flows\0port=80\0\0')" = OK
check "the engine still answers status" status_quiet

finish
