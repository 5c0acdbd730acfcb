#!/bin/bash
#
# t-lab-exercises.sh - `vpcfw lab check EXERCISE`: every shipped exercise
# (labs/exercises/*) fails on its starting file (exit 1, a FAIL line) and
# passes on its reference solution (exit 0, no FAIL line), with real
# traffic; --file takes the learner's copy, a rule file that does not parse
# is reported with the learner's file:line, and every check leaves no lab
# behind. Each check runs under a lab name of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lablib.sh"

lab_test_start
export TMPDIR="$TMPD"
N="e$$"
N=${N:0:10}
LABS_UP=("$N")

no_lab_left() { ! ip netns list | grep -q "^vl-$N-" && [ ! -e "$VPCFW_LAB_RUN/$N" ]; }

count=0
for d in "$VPCFW_SRCDIR"/labs/exercises/*/; do
	exn=$(basename "$d")
	count=$((count + 1))
	"$VPCFW" lab check -l "$N" "$exn" >"$TMPD/out" 2>&1
	rc=$?
	say "$(cat "$TMPD/out")"
	check "$exn: the starting file fails (exit 1)" test "$rc" = 1
	check "$exn: ... with a FAIL line naming the rule it met" grep -qE '^FAIL .*measured (pass|drop|closed)' "$TMPD/out"
	check "$exn: ... and no lab left" no_lab_left
	"$VPCFW" lab check -l "$N" --solution "$exn" >"$TMPD/out" 2>&1
	rc=$?
	say "$(cat "$TMPD/out")"
	check "$exn: the reference solution passes (exit 0)" test "$rc" = 0
	check "$exn: ... every expectation a PASS line" bash -c \
		"! grep -q '^FAIL' '$TMPD/out' && [ \$(grep -c '^PASS' '$TMPD/out') = \$(grep -cvE '^[[:space:]]*(#|\$)' '$d/expect') ]"
	check "$exn: ... and no lab left" no_lab_left
done
check "the seven exercises (the six of issue 11 and ipv6-forgotten)" test "$count" -ge 7

# The learner's own copy: --file; the solution copied there passes.
cp "$VPCFW_SRCDIR"/labs/exercises/ssh-world/solution/bastion-sg.rules "$TMPD/mine.rules"
check "--file: the learner's copy is checked" bash -c \
	"'$VPCFW' lab check -l '$N' --file '$TMPD/mine.rules' ssh-world | grep -q '^checking $TMPD/mine.rules'"
echo "  bogus  0.0.0.0/0" >>"$TMPD/mine.rules"
"$VPCFW" lab check -l "$N" --file "$TMPD/mine.rules" ssh-world >"$TMPD/out" 2>&1
rc=$?
say "$(cat "$TMPD/out")"
check "a file that does not parse: exit 1" test "$rc" = 1
check "... its error names the learner's file and line" grep -q "$TMPD/mine.rules:5:" "$TMPD/out"
check "... and no lab left" no_lab_left
check "no such exercise: exit 1" bash -c "'$VPCFW' lab check -l '$N' no-such 2>/dev/null; test \$? = 1"
check "no check folder left" test -z "$(find "$TMPD" -maxdepth 1 -name 'vpcfw-check.*')"

if [ "$FAILED" = 0 ]; then echo "# $(basename "$0"): all $CHECKS checks passed"
else echo "# $(basename "$0"): FAILED"; fi
exit "$FAILED"
