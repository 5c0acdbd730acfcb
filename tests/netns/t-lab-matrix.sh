#!/bin/bash
#
# t-lab-matrix.sh - `vpcfw lab matrix`, measured with real packets: for
# every shipped lab (labs/*.lab), `lab up`, `lab matrix --expect
# labs/NAME.expect` holds (exit 0), a deliberately wrong expectation makes
# it exit 1 naming the cell, `lab down`. The matrix names who stopped a
# request or its response (nacl edge-public out:* (response): the
# ephemeral-port mistake). Then tracked.lab's scenario: a connection opened
# before its rule is removed goes on after `lab reload`, new ones are
# refused by the security group. Each lab runs under a name of its own,
# with its state in the test's folder.
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

check "usage error: exit 2" bash -c "'$VPCFW' lab matrix --ports x 2>/dev/null; test \$? = 2"

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
