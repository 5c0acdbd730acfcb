#!/bin/bash
#
# t-top.sh - `vpcfw top` in an 80x24 terminal (a private tmux server's
# pane, read back with capture-pane) shows live traffic: packets per second
# of the right layer and verdict, the dropping rule among the rules hit most
# and the newest drops, the tracking allowance; it fits the pane, quits on q
# and gives the terminal back as it found it. Without a terminal it writes
# plain blocks; when the engine goes away it says so and exits 3.
#
#   peer 10.99.0.2 --- ping (passes) ------------>  host 10.99.0.1
#                  --- udp :5000 (nacl-in:90 deny) ->  vpcfw: NACL + SG
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || skip "tmux not installed"
setup_topology
N="$TMPD/nacl.json"
S="$TMPD/sg.json"
# IPv6 passes both ways (the kernel's own MLD reports would be drops otherwise).
nacl_json "$N" "in 90 deny udp:5000 $NET4" "in 100 allow all $NET4" "out 100 allow all $NET4" \
	"in 110 allow all ::/0" "out 110 allow all ::/0"
sg_json "$S" "in icmp $NET4" "in all ::/0" "out all 0.0.0.0/0" "out all ::/0"
steer on
engine_start --nacl "$N" --sg "$S"

# A tmux server of our own, gone at the end whatever happens.
TMUX_SOCK="vpcfw-test-$$"
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
TMUX_PATH=""
top_cleanup() {
	tm kill-server 2>/dev/null
	# The server leaves its socket file behind.
	[ -n "$TMUX_PATH" ] && rm -f "$TMUX_PATH"
	cleanup
}
trap top_cleanup EXIT

# Traffic that passes (ping) and traffic the NACL's rule 90 drops (UDP to
# port 5000), both steady, so that every interval top shows counts them.
bg "$PEER_NS" ping -q -i 0.1 "$H4" >/dev/null
bg "$PEER_NS" bash -c 'while :; do echo drop-me >/dev/udp/$0/5000; sleep 0.1; done' "$H4"

# The pane: a plain shell with a prompt we can find, in the host namespace.
tm new-session -d -x 80 -y 24 -s top \
	"ip netns exec $HOST_NS env -i PATH=$PATH TERM=screen PS1='top-test\$ ' bash --norc --noprofile" ||
	hard_error "cannot start tmux"
TMUX_PATH=$(tm display-message -p '#{socket_path}')
pane() { tm capture-pane -p -t top; }
# The prompt is back when it is the pane's last line that is not empty.
prompt_back() { [ "$(pane | grep -v '^$' | tail -n1)" = 'top-test$' ]; }
wait_for 5 prompt_back || hard_error "no shell prompt in the tmux pane"
check "the pane is 80x24" test "$(tm display-message -p -t top '#{pane_width}x#{pane_height}')" = 80x24
tm send-keys -t top "stty -g >$TMPD/stty.before" Enter
wait_for 5 test -s "$TMPD/stty.before" || hard_error "stty in the pane"

HIST=$(tm display-message -p -t top '#{history_size}')
tm send-keys -t top "$VPCFW top --ctl $CTL; echo top-exit=\$?; stty -g >$TMPD/stty.after" Enter

# rate ROW COLUMN: a number of the packets/s table (column 1 pass, 2 drop).
rate() {
	awk -v row="$1" -v fld="$2" '$1 == row { print $(fld + 1) + 0; found = 1; exit }
		END { if (!found) print -1 }' "$TMPD/screen"
}
# Once per second top repaints: wait for a screen with both kinds of traffic
# counted and the drop named, then judge that one screen.
screen_ready() {
	pane >"$TMPD/screen" || return 1
	[ "$(rate nacl 1)" -gt 0 ] && [ "$(rate nacl 2)" -gt 0 ] &&
		grep -q '^  [0-9:]\{8\} nacl-in:90 deny' "$TMPD/screen"
}
if ! wait_for 10 screen_ready; then
	fail "top showed the traffic within 10 s"
	sed 's/^/#   /' "$TMPD/screen"
fi
say "the screen:"
sed 's/^/#   |/' "$TMPD/screen"

check "the screen is 24 lines" test "$(wc -l <"$TMPD/screen")" = 24
# A line longer than the pane would have wrapped; -J joins wrapped lines back
# (and keeps trailing blanks, not top's).
longest() { awk '{ sub(/ +$/, "") } length($0) > n { n = length($0) } END { print n + 0 }'; }
check "no line wrapped: every line fits in 80 columns (top leaves the last free)" \
	test "$(tm capture-pane -p -J -t top | longest)" -le 79
check "the first line is top's title (nothing scrolled)" grep -q '^vpcfw top - ' <(head -n1 "$TMPD/screen")
check "nothing scrolled into the pane's history: top drew in place" \
	test "$(tm display-message -p -t top '#{history_size}')" = "$HIST"
check "the pane shows top's screen, not the shell's (alternate screen)" \
	test "$(tm display-message -p -t top '#{alternate_on}')" = 1
check "nacl pass per second above 0 (the pings)" test "$(rate nacl 1)" -gt 0
check "nacl drop per second above 0 (udp :5000)" test "$(rate nacl 2)" -gt 0
check "sg pass per second above 0 (the pings, a rule then the tracked flow)" test "$(rate sg 1)" -gt 0
check "sg drop per second is 0 (the SG dropped nothing)" test "$(rate sg 2)" = 0
check "total pass and drop above 0" test "$(rate total 1)" -gt 0 -a "$(rate total 2)" -gt 0
check "the total drops are the NACL's" test "$(rate total 2)" = "$(rate nacl 2)"
# The rules, between their title and the drops' title.
awk '/^rules hit most/ { on = 1; next } /^newest drops/ { on = 0 } on' "$TMPD/screen" >"$TMPD/rules"
awk '/^newest drops/ { on = 1; next } on' "$TMPD/screen" >"$TMPD/drops"
check "the dropping rule is among the rules hit most, with a rate" \
	grep -Eq '^ +[1-9][0-9]*  nacl-in:90  deny udp 5000 10.99.0.0/24' "$TMPD/rules"
check "the rule the pings pass by is too" grep -Eq '^ +[1-9][0-9]*  nacl-in:100  allow all 10.99.0.0/24' "$TMPD/rules"
check "the newest drops name the rule and the packet" \
	grep -Eq "^  [0-9:]{8} nacl-in:90 deny +in +udp $P4:[0-9]+ -> $H4:5000" "$TMPD/drops"
check_not "and nothing that passed (the pings)" grep -q ' icmp ' "$TMPD/drops"
check "the tracking allowance" grep -Eq '^tracking allowance: available [0-9]+ of 262144, exceeded 0' "$TMPD/screen"
check "the flows by state (the ping's tracked flow)" grep -Eq '^flows [1-9][0-9]*: .*ESTABLISHED [1-9]' "$TMPD/screen"
check_not "ASCII only" grep -qP '[^\x20-\x7e]' "$TMPD/screen"

# A resize repaints at the new size at once (SIGWINCH).
tm resize-window -t top -x 60 -y 15 2>/dev/null || tm resize-pane -t top -x 60 -y 15
fits_60x15() {
	tm capture-pane -p -J -t top >"$TMPD/small" &&
		[ "$(wc -l <"$TMPD/small")" = 15 ] && grep -q '^vpcfw top - ' "$TMPD/small" &&
		[ "$(longest <"$TMPD/small")" -le 59 ]
}
check "resized to 60x15, top fits it (59 columns, 15 lines)" wait_for 5 fits_60x15
tm resize-window -t top -x 80 -y 24 2>/dev/null || tm resize-pane -t top -x 80 -y 24

tm send-keys -t top q
check "q quits: the shell prompt comes back" wait_for 5 prompt_back
check "top exited 0" grep -q '^top-exit=0$' <(pane)
check "the alternate screen is left" test "$(tm display-message -p -t top '#{alternate_on}')" = 0
wait_for 5 test -s "$TMPD/stty.after"
check "the terminal settings are back as they were (stty -g)" cmp -s "$TMPD/stty.before" "$TMPD/stty.after"

# Ctrl-C quits too, and restores the terminal the same way.
rm -f "$TMPD/stty.after"
tm send-keys -t top "$VPCFW top --ctl $CTL; echo top-exit=\$?; stty -g >$TMPD/stty.after" Enter
top_drawn() { pane | grep -q '^vpcfw top'; }
check "top runs again" wait_for 5 top_drawn
tm send-keys -t top C-c
check "Ctrl-C quits: the prompt comes back" wait_for 5 prompt_back
wait_for 5 test -s "$TMPD/stty.after"
check "the terminal settings are back after Ctrl-C" cmp -s "$TMPD/stty.before" "$TMPD/stty.after"

# `show flows summary`, top's request, counts what a filter lets through.
summary() {
	printf '%b' "show\0flows\0json\0summary\0$1\0\0" |
		in_host timeout 5 socat -t 2 - UNIX-CONNECT:"$CTL" 2>/dev/null | sed 1d |
		jq -r "$2"
}
check "summary: the ping's one ICMP flow, ESTABLISHED" \
	test "$(summary proto=icmp '"\(.flows) \(.tracked) \(.by_state.ESTABLISHED)"')" = "1 1 1"
check "summary: no UDP flow (the NACL drops it before the SG)" \
	test "$(summary proto=udp .flows)" = 0

# Not a terminal: plain blocks, one per interval, then it stops.
if in_host timeout 20 "$VPCFW" top --ctl "$CTL" --count 2 --interval 0.5 | cat >"$TMPD/plain"; then
	pass "top --count 2 | cat exits 0"
else
	fail "top --count 2 | cat exits 0"
fi
sed 's/^/#   |/' "$TMPD/plain"
check "two blocks" test "$(grep -c '^vpcfw top - ' "$TMPD/plain")" = 2
check_not "no escape sequence" grep -q $'\033' "$TMPD/plain"
check "the blocks carry the rates" grep -Eq '^  nacl +[1-9][0-9]* +[1-9]' "$TMPD/plain"
# A reader that leaves ends top too (SIGPIPE), rather than leaving it to run on.
in_host timeout 10 "$VPCFW" top --ctl "$CTL" --interval 0.2 | head -n 2 >/dev/null
rc=${PIPESTATUS[0]}
check "top | head ends once head has its lines (status $rc; 124: still running at 10 s)" \
	test "$rc" != 124

# The engine goes away under a running top: a clear word, exit 3.
in_host "$VPCFW" top --ctl "$CTL" --interval 0.2 >"$TMPD/gone.out" 2>"$TMPD/gone.err" &
TOP_PID=$!
PIDS+=("$TOP_PID")
wait_for 5 grep -qs '^vpcfw top - ' "$TMPD/gone.out"
engine_stop
if wait_for 5 proc_gone "$TOP_PID"; then
	wait "$TOP_PID"; rc=$?
	check "top exits 3 when the engine goes away (got $rc)" test "$rc" = 3
	check "and says so" grep -q "^vpcfw top: the engine went away (no engine answers on $CTL" "$TMPD/gone.err"
else
	fail "top ends when the engine goes away"
fi
steer off
finish
