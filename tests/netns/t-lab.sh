#!/bin/bash
#
# t-lab.sh - `vpcfw lab`: the shipped labs/vpc.lab built from namespaces
# (a router, an edge per subnet judging its NACL, an engine per instance
# judging its security groups, an internet host), with real traffic:
#
#   client 198.51.100.20 -> web:80            passes (public NACL, sg-web)
#   client -> db:5432                         refused: a private subnet
#   web 10.0.1.10 -> db 10.0.2.30:5432        passes: sg-db allows sg-web, and
#                                             web is in sg-web (membership)
#   bastion -> web:80 (one subnet)            passes; the edge's NACL never sees it
#
# then up again (idempotent), exec, trace from several engines, reload after
# a rule file changed, down (nothing left), and down after the engines were
# killed with SIGKILL (nothing left either). The lab runs under a name of
# its own, with its state in the test's folder, so that it cannot meet a
# user's lab.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lablib.sh"

lab_test_start
LABN="t$$"
LABN=${LABN:0:11}
LABS_UP=("$LABN" "${LABN}n")
ST="$VPCFW_LAB_RUN/$LABN"
LABF="$TMPD/labs/vpc.lab"

lab() { "$VPCFW" lab "$@"; }
lab_ns() { ip netns list | awk '{ print $1 }' | grep "^vl-$LABN-"; }
lab_pids() { local ns; for ns in $(lab_ns); do ip netns pids "$ns"; done; }
# A zombie is gone: its parent (after `lab` exits, whoever adopted it) reaps it in its own time.
none_alive() {
	local p
	for p in "$@"; do
		[ -e "/proc/$p" ] || continue
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] || return 1
	done
}
# received ENGINE: the packets an engine of the lab has received.
received() { "$VPCFW" status --ctl "$ST/$1.sock" | awk '/^totals:/ { sub(",", "", $3); print $3 }'; }

mkdir -p "$TMPD/labs"
cp "$VPCFW_SRCDIR"/labs/vpc.lab "$VPCFW_SRCDIR"/labs/vpc-*.rules "$TMPD/labs/"
sed -i "s/^lab vpc\$/lab $LABN/" "$LABF"
links_before=$(ip -o link | wc -l)

check "lab plan names the lab" bash -c "'$VPCFW' lab plan '$LABF' | grep -qx 'lab $LABN'"
check "lab plan: sg-web is web's address" bash -c "'$VPCFW' lab plan '$LABF' | grep -qx 'map sg-web 10.0.1.10/32'"
check "lab up" lab up "$LABF"
check "status: every engine healthy" bash -c "[ \$('$VPCFW' lab status '$LABN' | grep -c healthy) = 5 ]"
check "7 namespaces: router, 2 edges, 3 instances, 1 internet host" test "$(lab_ns | wc -l)" = 7
check "an IPv4 lab (no IPv6 block): IPv6 is off in its namespaces" bash -c \
	"[ \$(ip netns exec 'vl-$LABN-web' sysctl -n net.ipv6.conf.all.disable_ipv6) = 1 ] &&
	 [ -z \"\$(ip -n 'vl-$LABN-router' -6 addr)\" ]"

check "client -> web:80 passes" lab probe -l "$LABN" client web tcp 80
check "client -> bastion:22 passes" lab probe -l "$LABN" client bastion tcp 22
check_not "client -> db:5432 is refused (private subnet)" lab probe -l "$LABN" client db tcp 5432
check "web -> db:5432 passes (sg-db allows sg-web, web is its member)" lab probe -l "$LABN" web db tcp 5432
check_not "bastion -> db:5432 is refused (not in sg-web)" lab probe -l "$LABN" bastion db tcp 5432
check "bastion -> db:22 passes (sg-db allows sg-bastion)" lab probe -l "$LABN" bastion db tcp 22
check_not "client -> web:22 is refused (sg-web: ssh from sg-bastion only)" lab probe -l "$LABN" client web tcp 22

nacl_before=$(received edge-public)
web_before=$(received web)
check "bastion -> web:80 passes inside the public subnet" lab probe -l "$LABN" bastion web tcp 80
check "the public edge's NACL saw none of it ($nacl_before packets before)" test "$(received edge-public)" = "$nacl_before"
check "web's security group did" test "$(received web)" -gt "$web_before"

pids=$(cat "$ST"/*.pid | sort)
check "up again" lab up "$LABF"
check "up again leaves one lab: same namespaces" test "$(lab_ns | wc -l)" = 7
check "up again leaves the same engines" test "$(cat "$ST"/*.pid | sort)" = "$pids"

check "exec runs in the host's namespace" bash -c \
	"'$VPCFW' lab exec -l '$LABN' web -- ip -4 -o addr show dev eth0 | grep -q ' 10.0.1.10/24 '"
check "exec: any client, here socat from the internet host" bash -c \
	"'$VPCFW' lab exec -l '$LABN' client -- socat -T 2 - TCP4:10.0.1.10:443,connect-timeout=2 </dev/null | grep -qx 'web tcp 443'"

# The merged trace: every engine, two lines each.
listening_all() {
	local s
	for s in "$ST"/*.sock; do
		"$VPCFW" status --ctl "$s" | grep -qx "trace listeners: 1" || return 1
	done
}
lab trace -l "$LABN" --count 2 >"$TMPD/trace" 2>&1 &
TRACE_PID=$!
PIDS+=("$TRACE_PID")
wait_for 5 listening_all || fail "every engine has its trace listener"
lab probe -l "$LABN" client web tcp 80 >/dev/null
lab probe -l "$LABN" client bastion tcp 22 >/dev/null
lab probe -l "$LABN" web db tcp 5432 >/dev/null
check "the trace ends once every engine gave its lines" wait_for 10 proc_gone "$TRACE_PID"
say "$(cat "$TMPD/trace")"
for e in "edge-public nacl" "edge-private nacl" "web sg" "bastion sg" "db sg"; do
	check "trace has lines of $e" grep -qE "^[0-9:.]+ $e q0 (in |out) tcp " "$TMPD/trace"
done
check "trace: the private edge's NACL let web in to db" \
	grep -qE "edge-private nacl q0 in  tcp 10.0.1.10:[0-9]+ -> 10.0.2.30:5432 \[S\] ACCEPT: nacl-in:100 allow" "$TMPD/trace"

# Reload: db's group no longer admits sg-web. A connection it admitted
# before lives on (a tracked flow, as in AWS); new ones are refused.
session_open "vl-$LABN-web" 10.0.2.30 5432
check "a session web -> db:5432 is open" test "$GREETING" = "db tcp 5432"
sed -i 's/^  postgresql         sg-web/# postgresql removed/' "$TMPD/labs/vpc-db-sg.rules"
check "reload" bash -c "'$VPCFW' lab reload '$LABN' >'$TMPD/reload' 2>&1"
say "$(cat "$TMPD/reload")"
check "reload reloaded db's engine only" bash -c \
	"grep -q '^db (sg): reloaded' '$TMPD/reload' && grep -q ': 1 engines changed' '$TMPD/reload'"
check_not "web -> db:5432 is refused after the reload" lab probe -l "$LABN" web db tcp 5432
session_echo still-here
check "the session opened before the reload still echoes (tracked flow)" test "$ECHOED" = still-here
check "client -> web:80 still passes" lab probe -l "$LABN" client web tcp 80

# down: nothing of the lab is left.
procs=$(lab_pids)
check "lab down" lab down "$LABN"
check "no namespace left" test -z "$(lab_ns)"
# shellcheck disable=SC2086
check "no process left" wait_for 5 none_alive $procs
check "no state folder left" test ! -e "$ST"
check "no link left in this namespace" test "$(ip -o link | wc -l)" = "$links_before"

# A crash: the engines die by SIGKILL; down still removes everything.
check "lab up once more" lab up "$LABF"
procs=$(lab_pids)
# shellcheck disable=SC2046
kill -KILL $(cat "$ST"/*.pid)
check_not "status says the engines are dead" bash -c "'$VPCFW' lab status '$LABN' >/dev/null"
check "lab down after the crash" lab down "$LABN"
check "no namespace left" test -z "$(lab_ns)"
# shellcheck disable=SC2086
check "no process left" wait_for 5 none_alive $procs
check "no state folder left" test ! -e "$ST"
check_not "lab status: no lab" lab status "$LABN"

# A NAT: the private subnet's connections go out, nothing comes in. No
# security group here: the instance has no engine, the edge still judges.
NATN="${LABN}n"
cat >"$TMPD/labs/open.rules" <<'EOF2'
nacl acl-open
inbound
  100  allow  all  0.0.0.0/0
outbound
  100  allow  all  0.0.0.0/0
EOF2
cat >"$TMPD/labs/nat.lab" <<EOF2
lab $NATN
vpc 10.1.0.0/16
subnet priv 10.1.1.0/24 private nacl open.rules
nat priv
instance app subnet priv address 10.1.1.10
service app tcp 8080
internet far 198.51.100.30
EOF2
check "a lab with a NAT comes up" lab up "$TMPD/labs/nat.lab"
# The server says whom it saw: the NAT's address, not the instance's.
# shellcheck disable=SC2016
ip netns exec "vl-$NATN-far" socat TCP4-LISTEN:9000,reuseaddr,fork SYSTEM:'echo "far saw $SOCAT_PEERADDR"' &
PIDS+=("$!")
wait_for 5 listening "vl-$NATN-far" -t 9000 || fail "a server on the internet host"
check "app (private, NAT) -> the internet passes, translated" bash -c \
	"'$VPCFW' lab probe -l '$NATN' app far tcp 9000 | grep -q 'answered: far saw 169.254.101.1\$'"
check_not "the internet -> app (private) is refused" lab probe -l "$NATN" far app tcp 8080
check "lab down of the NAT lab" lab down "$NATN"
check "no namespace of it left" test -z "$(ip netns list | grep "^vl-$NATN-")"

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
