#!/bin/bash
#
# t-lab-matrix.sh - `vpcfw lab matrix`, measured with real packets: for
# every shipped lab (labs/*.lab), `lab up`, `lab matrix --expect
# labs/NAME.expect` holds (exit 0), a deliberately wrong expectation makes
# it exit 1 naming the cell, `lab down`. The matrix names who stopped a
# request or its response (nacl edge-public out:* (response): the
# ephemeral-port mistake). Then tracked.lab's scenario: a connection opened
# before its rule is removed goes on after `lab reload`, new ones are
# refused by the security group. Then IPv6 (the ipv6-forgotten exercise's
# lab, solved): tcp6 cells measured with IPv6 packets, the trace showing
# the hosts' IPv6 addresses and the ::/0 rules that let them in. Each lab
# runs under a name of its own, with its state in the test's folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lablib.sh"

lab_test_start
BASE="m$$"
BASE=${BASE:0:9}

lab() { "$VPCFW" lab "$@"; }

mkdir -p "$TMPD/labs"
cp "$VPCFW_SRCDIR"/labs/*.lab "$VPCFW_SRCDIR"/labs/*.rules "$VPCFW_SRCDIR"/labs/*.expect "$TMPD/labs/"

k=0
for f in "$VPCFW_SRCDIR"/labs/*.lab; do
	name=$(basename "$f" .lab)
	n="$BASE$k"
	k=$((k + 1))
	LABS_UP+=("$n")
	sed -i "s/^lab [a-z0-9]*\$/lab $n/" "$TMPD/labs/$name.lab"
	check "$name: lab up" lab up "$TMPD/labs/$name.lab"
	check "$name: has an expected matrix" test -s "$TMPD/labs/$name.expect"
	t0=$(date +%s)
	check "$name: the matrix is as $name.expect expects" bash -c \
		"'$VPCFW' lab matrix -l '$n' --expect '$TMPD/labs/$name.expect' >'$TMPD/out' 2>&1"
	say "$(cat "$TMPD/out") ($(( $(date +%s) - t0 )) s)"
	# A wrong expectation: the first cell's verdict turned over.
	read -r a b c v _ < <(grep -v '^#' "$TMPD/labs/$name.expect" | head -n 1)
	if [ "$v" = pass ]; then w=drop; else w=pass; fi
	{ echo "# wrong on purpose"; echo "$a $b $c $w"; grep -v '^#' "$TMPD/labs/$name.expect" | tail -n +2; } >"$TMPD/wrong"
	"$VPCFW" lab matrix -l "$n" --expect "$TMPD/wrong" >"$TMPD/out" 2>&1
	check "$name: a wrong expectation exits 1" test $? = 1
	say "$(cat "$TMPD/out")"
	check "$name: ... and names the cell ($a $b $c)" grep -q "^differs: $a $b $c: expected $w, measured $v" "$TMPD/out"
	check "$name: ... and no other" test "$(grep -c '^differs:' "$TMPD/out")" = 1
	if [ "$name" = vpc ]; then
		check "vpc: the table has a row per host" bash -c \
			"'$VPCFW' lab matrix -l '$n' --from client --to web --ports 80 --proto tcp | grep -qE '^client +\\|ok'"
		check "vpc: --json names the layer, engine and rule" bash -c \
			"'$VPCFW' lab matrix -l '$n' --from client --to db --ports 5432 --proto tcp --json | grep -q '\"layer\":\"route\"'"
	fi
	if [ "$name" = tracked ]; then
		# The scenario (labs/README): a session app -> db:5432 is open...
		session_open "vl-$n-app" 10.0.2.30 5432
		check "tracked: a session app -> db:5432 is open" test "$GREETING" = "db tcp 5432"
		# ...the rule that admitted it goes, the lab reloads...
		sed -i 's/^  postgresql  sg-app/# removed: postgresql sg-app/' "$TMPD/labs/tracked-db-sg.rules"
		check "tracked: lab reload" bash -c "'$VPCFW' lab reload '$n' | grep -q '^db (sg): reloaded'"
		# ...new connections are refused by db's group, the open one goes on.
		echo "app db tcp/5432 drop sg db sg-in:none (request)" >"$TMPD/after"
		check "tracked: a new connection is refused by sg db sg-in:none" \
			lab matrix -l "$n" --expect "$TMPD/after"
		session_echo still-here
		check "tracked: the session opened before still echoes" test "$ECHOED" = still-here
	fi
	check "$name: lab down" lab down "$n"
	check "$name: no namespace left" test -z "$(ip netns list | grep "^vl-$n-")"
done

# IPv6 (the exercise ipv6-forgotten's lab, solved): a tcp6 cell is measured
# with IPv6 packets, between the hosts' IPv6 addresses, and judged by the
# rules for ::/0, not those for 0.0.0.0/0.
n="${BASE}6"
LABS_UP+=("$n")
mkdir -p "$TMPD/v6"
cp "$VPCFW_SRCDIR"/labs/exercises/ipv6-forgotten/* "$TMPD/v6/" 2>/dev/null
cp "$VPCFW_SRCDIR"/labs/exercises/ipv6-forgotten/solution/web-sg.rules "$TMPD/v6/"
sed -i "s/^lab [a-z0-9]*\$/lab $n/" "$TMPD/v6/exercise.lab"
check "ipv6: lab plan gives web its IPv6 address (the subnet's /64 + 10.0.1.10's host part)" bash -c \
	"'$VPCFW' lab plan '$TMPD/v6/exercise.lab' | grep -qx 'address6 web 2001:db8:1:1::a'"
check "ipv6: ... and sg-web both its addresses" bash -c \
	"'$VPCFW' lab plan '$TMPD/v6/exercise.lab' | grep -qx 'map sg-web 10.0.1.10/32,2001:db8:1:1::a/128'"
check "ipv6: lab up" lab up "$TMPD/v6/exercise.lab"
check "ipv6: web has its IPv6 address, usable (no DAD)" bash -c \
	"ip -n 'vl-$n-web' -6 addr show dev eth0 | grep -q 'inet6 2001:db8:1:1::a/64 .*nodad' &&
	 ! ip -n 'vl-$n-web' -6 addr show dev eth0 | grep -q tentative"
lab trace -l "$n" web >"$TMPD/v6trace" 2>&1 &
PIDS+=("$!")
cat >"$TMPD/v6expect" <<'EOT'
client web tcp6/80 pass
client web tcp/80 pass
client web tcp6/22 drop sg web sg-in:none (request)
client web icmp6 drop nacl edge-public in:*
EOT
check "ipv6: the cells of both families as expected" bash -c \
	"'$VPCFW' lab matrix -l '$n' --expect '$TMPD/v6expect' >'$TMPD/out' 2>&1"
say "$(cat "$TMPD/out")"
check "ipv6: lab probe tcp6 is answered" lab probe -l "$n" client web tcp6 80
check "ipv6: the trace shows the probe as IPv6: client's IPv6 address to web's, port 80" \
	wait_for 5 grep -qE 'web sg .*tcp \[2001:db8:ff::20\]:[0-9]+ -> \[2001:db8:1:1::a\]:80 .*ACCEPT' "$TMPD/v6trace"
check "ipv6: ... let in by the rules for ::/0 (the NACL's 101, the group's second)" bash -c \
	"grep -qE 'edge-public nacl .*tcp \\[2001:db8:ff::20\\]:[0-9]+ -> \\[2001:db8:1:1::a\\]:80 .*ACCEPT: nacl-in:101' '$TMPD/v6trace' &&
	 grep -qE 'web sg .*tcp \\[2001:db8:ff::20\\]:[0-9]+ -> \\[2001:db8:1:1::a\\]:80 .*ACCEPT: sg-in:sg-web#2' '$TMPD/v6trace'"
check "ipv6: the matrix has tcp6 cells (--proto tcp6)" bash -c \
	"'$VPCFW' lab matrix -l '$n' --from client --to web --ports 80 --proto tcp6 --list | grep -qx 'client web tcp6/80 pass'"
check "ipv6: lab down" lab down "$n"
check "ipv6: no namespace left" test -z "$(ip netns list | grep "^vl-$n-")"
# IPv6 between subnets and at the router: a private subnet's IPv6 block is
# out of the internet's reach; with a NAT line (AWS's egress-only gateway
# for IPv6) its connections out go and their replies come back (a reset:
# the client has no service), without one they are dropped.
n="${BASE}p"
LABS_UP+=("$n")
printf 'nacl acl-open\ninbound\n  100 allow all 0.0.0.0/0\n  101 allow all ::/0\noutbound\n  100 allow all 0.0.0.0/0\n  101 allow all ::/0\n' >"$TMPD/v6/open6.rules"
cat >"$TMPD/v6/p.lab" <<EOT
lab $n
vpc 10.0.0.0/16 2001:db8:1::/56
subnet public 10.0.1.0/24 public nacl open6.rules ipv6 2001:db8:1:1::/64
subnet private 10.0.2.0/24 private nacl open6.rules ipv6 2001:db8:1:2::/64
subnet back 10.0.3.0/24 private nacl open6.rules ipv6 2001:db8:1:3::/64
nat private
instance web subnet public address 10.0.1.10
instance db subnet private address 10.0.2.30
instance be subnet back address 10.0.3.30
service db tcp 5432
service db udp 53
internet client 198.51.100.20 2001:db8:ff::20
EOT
cat >"$TMPD/v6/p.expect" <<'EOT'
web db tcp6/5432 pass
web db icmp6 pass
web db udp6/53 pass
web db udp6/54 closed
client db tcp6/5432 drop route router (request)
db client tcp6/80 closed
be client tcp6/80 drop route router (request)
client web tcp6/80 closed
EOT
check "ipv6 routing: lab up" lab up "$TMPD/v6/p.lab"
check "ipv6 routing: subnet to subnet (tcp6, udp6, icmp6), internet to private refused, egress-only out" bash -c \
	"'$VPCFW' lab matrix -l '$n' --expect '$TMPD/v6/p.expect' >'$TMPD/out' 2>&1"
say "$(cat "$TMPD/out")"
check "ipv6 routing: lab down" lab down "$n"

printf 'client web tcp6/80 pass\n' >"$TMPD/v4only"
"$VPCFW" lab up "$TMPD/labs/vpc.lab" >/dev/null 2>&1
LABS_UP+=("$(awk '$1 == "lab" { print $2 }' "$TMPD/labs/vpc.lab")")
"$VPCFW" lab matrix -l "$(awk '$1 == "lab" { print $2 }' "$TMPD/labs/vpc.lab")" --expect "$TMPD/v4only" >"$TMPD/out" 2>&1
check "ipv6: a tcp6 expectation in an IPv4 lab: exit 1" test $? = 1
check "... at its file, line and place" grep -q "v4only:1:1: error: host 'client' has no IPv6 address" "$TMPD/out"
"$VPCFW" lab down "$(awk '$1 == "lab" { print $2 }' "$TMPD/labs/vpc.lab")" >/dev/null 2>&1

check "usage error: exit 2" bash -c "'$VPCFW' lab matrix --ports x 2>/dev/null; test \$? = 2"

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
