#!/bin/bash
#
# t-lab-quiz.sh - `vpcfw lab quiz LAB`, graded with scripted answers, on
# labs/vpc.lab under a name of its own. The questions of a seed are the
# same run after run; the right answer to each is derived from the lab's
# expected matrix (labs/vpc.expect), not from the quiz: all right gives the
# full score, two wrong take two points off, answers from stdin (-) work
# as from a file, and the quiz exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lablib.sh"

lab_test_start
N="q$$"
N=${N:0:10}
LABS_UP=("$N")

mkdir -p "$TMPD/labs"
cp "$VPCFW_SRCDIR"/labs/vpc.lab "$VPCFW_SRCDIR"/labs/vpc-*.rules "$TMPD/labs/"
sed -i "s/^lab vpc\$/lab $N/" "$TMPD/labs/vpc.lab"
check "lab up" "$VPCFW" lab up "$TMPD/labs/vpc.lab"

COUNT=6
quiz() { "$VPCFW" lab quiz "$N" --seed 42 --count "$COUNT" "$@"; }

# right FROM TO PROTO/PORT KIND: the answer vpc.expect gives.
right() {
	local line layer
	line=$(grep -E "^$1 $2 $3 " "$VPCFW_SRCDIR/labs/vpc.expect") || return 1
	read -r _ _ _ verdict layer _ <<<"$line"
	if [ "$verdict" != drop ]; then echo pass
	elif [ "$4" = request ] && [[ $line == *"(response)" ]]; then echo pass
	else echo "$layer"; fi
}

yes nothing | head -n "$COUNT" >"$TMPD/a0"
quiz --answers "$TMPD/a0" >"$TMPD/out0" 2>&1
check "the quiz exits 0" test $? = 0
say "$(cat "$TMPD/out0")"
check "$COUNT questions" test "$(grep -c '^Q[0-9]*: ' "$TMPD/out0")" = "$COUNT"
check "no answer right: score 0/$COUNT" grep -qx "score: 0/$COUNT" "$TMPD/out0"
: >"$TMPD/a1"
while read -r _ from _ to pp kind _; do
	r=$(right "$from" "$to" "$pp" "$kind") || fail "vpc.expect has $from $to $pp"
	echo "$r" >>"$TMPD/a1"
done < <(grep '^Q[0-9]*: ' "$TMPD/out0")
say "the answers vpc.expect gives: $(tr '\n' ' ' <"$TMPD/a1")"
quiz --answers "$TMPD/a1" >"$TMPD/out1" 2>&1
say "$(grep -E '^(right|wrong)' "$TMPD/out1")"
check "the same questions with the same seed" test \
	"$(grep '^Q' "$TMPD/out0")" = "$(grep '^Q' "$TMPD/out1")"
check "all right: score $COUNT/$COUNT" grep -qx "score: $COUNT/$COUNT" "$TMPD/out1"
check "each question right, with the rule measured" test \
	"$(grep -cE '^right: (pass|nacl|sg)\. Measured: (pass|closed|drop (nacl|sg) [a-z0-9-]+ [a-z]+)' "$TMPD/out1")" = "$COUNT"

# Two answers turned wrong (pass <-> sg), from stdin this time.
awk 'NR == 2 || NR == 5 { print ($0 == "pass" ? "sg" : "pass"); next } { print }' "$TMPD/a1" >"$TMPD/a2"
quiz --answers - <"$TMPD/a2" >"$TMPD/out2" 2>&1
check "two wrong, from stdin: score $((COUNT - 2))/$COUNT" grep -qx "score: $((COUNT - 2))/$COUNT" "$TMPD/out2"
check "... the second and fifth said wrong" test \
	"$(awk '/^(right|wrong):/ { n++ } /^wrong:/ { printf "%d ", n }' "$TMPD/out2")" = "2 5 "
check "usage error: exit 2" bash -c "'$VPCFW' lab quiz '$N' --count x 2>/dev/null; test \$? = 2"
check "lab down" "$VPCFW" lab down "$N"

# A lab file that is not up: the quiz brings it up and takes it down.
A="${N}a"
LABS_UP+=("$A")
cp "$VPCFW_SRCDIR"/labs/arrows-nacl.lab "$VPCFW_SRCDIR"/labs/arrows-nacl.rules "$TMPD/labs/"
sed -i "s/^lab arrowsnacl\$/lab $A/" "$TMPD/labs/arrows-nacl.lab"
echo nacl | "$VPCFW" lab quiz "$TMPD/labs/arrows-nacl.lab" --count 1 >"$TMPD/out3" 2>&1
say "$(cat "$TMPD/out3")"
# Its one packet: client -> web:80, whose request passes and whose response
# the NACL drops; asked about the request (pass) or the response (nacl).
if grep -q '^Q1: client -> web tcp/80 response' "$TMPD/out3"; then verdict=right; else verdict=wrong; fi
check "a lab file: client -> web:80, the truth: the NACL drops the response ($verdict)" \
	grep -qx "$verdict: [a-z]*. Measured: drop nacl edge-public out:\* (response)" "$TMPD/out3"
check "... and the lab is down again" test -z "$(ip netns list | grep "^vl-$A-")"

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
