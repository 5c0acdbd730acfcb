#!/bin/bash
#
# t-completion.sh - the bash completion (completion/vpcfw.bash) offers what
# the program takes: subcommands from its own table (`vpcfw help`), each
# one's options, file names where a file goes, show's views, steer on|off,
# the values usage lines spell out, the --proto names (each one checked
# against the program), IFACE=FILE for --eni. Both with bash-completion's
# helpers loaded (as installed) and without them. A stand-in program with
# subcommands vpcfw does not have (yet) shows that a new table entry
# completes with no change to the completion.
#
# Usage: VPCFW=build/src/vpcfw VPCFW_SRCDIR=. bash tests/completion/t-completion.sh
set -u

: "${VPCFW:?set VPCFW to the vpcfw binary}"
: "${VPCFW_SRCDIR:?set VPCFW_SRCDIR to the source tree}"
VPCFW=$(cd "$(dirname "$VPCFW")" && pwd)/$(basename "$VPCFW")
VPCFW_SRCDIR=$(cd "$VPCFW_SRCDIR" && pwd)
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || { echo "SKIP: bash-completion is not installed"; exit 77; }
COMPLETION=$VPCFW_SRCDIR/completion/vpcfw.bash
FAILED=0 CHECKS=0
TMPD=$(mktemp -d /tmp/vpcfw-completion.XXXXXX) || exit 99
trap 'rm -rf "$TMPD"' EXIT
mkdir -p "$TMPD/rules/sub"
touch "$TMPD/rules/web.rules" "$TMPD/rules/web-sg.json" "$TMPD/rules/other.json"

# complete WITH_BC LINE: the candidates for the end of LINE, sorted, one
# line. Runs in a fresh bash: COMP_WORDS split as bash splits them (blanks,
# and the word breaks = and : as words of their own), COMP_CWORD the last.
complete_line() {
	local with_bc=$1 line=$2
	(cd "$TMPD" && bash --norc --noprofile -c '
		[ "$1" = 1 ] && . "$2"
		. "$3"
		COMP_LINE=$4 COMP_POINT=${#4}
		COMP_WORDS=() w=""
		s=$4
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			case $c in
			" ") [ -n "$w" ] && COMP_WORDS+=("$w"); w="" ;;
			=|:) [ -n "$w" ] && COMP_WORDS+=("$w"); COMP_WORDS+=("$c"); w="" ;;
			*) w+=$c ;;
			esac
		done
		COMP_WORDS+=("$w")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_vpcfw
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
	' complete_line "$with_bc" "$BC" "$COMPLETION" "$line")
}

expect() {
	local desc=$1 line=$2 want=$3 got with_bc
	for with_bc in 1 0; do
		[ "$with_bc" = 0 ] && [ "${NO_BC_TOO:-1}" = 0 ] && continue
		got=$(complete_line "$with_bc" "$line")
		CHECKS=$((CHECKS + 1))
		if [ "$got" = "$want" ]; then
			echo "ok - $desc$([ $with_bc = 0 ] && echo ' (without bash-completion)')"
		else
			FAILED=1
			echo "FAIL - $desc$([ $with_bc = 0 ] && echo ' (without bash-completion)')"
			echo "#   '$line' gave '$got', expected '$want'"
		fi
	done
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

V=$VPCFW
names=$("$V" help | sed -n 's/^  vpcfw \([^ ]*\).*/\1/p')
expect "the subcommands are the program's table, and --help --version" \
	"$V " "$(sorted $names --help --version)"
for c in run check convert apply confirm show steer trace demo; do
	printf '%s\n' $names | grep -qx "$c" || { FAILED=1; echo "FAIL - vpcfw help lists $c"; }
done
expect "a prefix narrows them" "$V s" "show status steer"
expect "show: its views" "$V show " "flows metrics rules stats"
expect "show: a view's prefix" "$V show st" "stats"
expect "show: its options" "$V show flows --" "$(sorted --addr --ctl --iface --json --port --proto --shadow)"
expect "--proto: the protocol names" "$V show flows --proto " "icmp icmpv6 tcp udp"
expect "--proto of trace too" "$V trace --proto ic" "icmp icmpv6"
expect "steer: on or off" "$V steer " "off on"
expect "steer on: nothing more to say but options" "$V steer on " ""
expect "steer: its options" "$V steer on --" "$(sorted --fail-closed --forward --queue)"
expect "convert --to: the forms" "$V convert --to " "nacl-json native sg-json"
expect "run --flow-log-format" "$V run --flow-log-format " "default extended"
expect "check: files" "$V check rules/w" "rules/web-sg.json rules/web.rules"
expect "check: files after an option's value" "$V check --map sg-1=10.0.0.0/8 rules/o" "rules/other.json"
expect "check: any number of files" "$V check rules/web.rules rules/o" "rules/other.json"
expect "apply: files and its options" "$V apply --" "$(sorted --confirm --ctl --force --nacl --sg --shadow --shadow-nacl --shadow-sg)"
expect "apply --confirm SECONDS: no guess" "$V apply --confirm " ""
expect "--ctl PATH: files" "$V status --ctl rules/web." "rules/web.rules"
expect "demo --fast" "$V demo --f" "--fast"
expect "an unknown subcommand: nothing" "$V frobnicate " ""
expect "run --conntrack: nitro-v6 or a file" "$V run --conntrack n" "nitro-v6"
NO_BC_TOO=0
expect "--sg=FILE as one word" "$V run --sg=rules/web" "rules/web-sg.json rules/web.rules"
expect "run --eni: interface names with '='" "$V run --eni l" "lo="
expect "run --eni IFACE=: files after '='" "$V run --eni lo=rules/web-" "rules/web-sg.json"
expect "run --eni IFACE=FILE,: the next file" "$V run --eni lo=rules/web.rules,rules/o" \
	"rules/web.rules,rules/other.json"
NO_BC_TOO=1

# Each --proto name the completion offers is one the program takes: a bad
# one is a usage error (2) before any engine is asked (3: none answers).
for p in $(complete_line 1 "$V show flows --proto "); do
	"$V" show flows --proto "$p" --ctl "$TMPD/none.sock" >/dev/null 2>&1
	rc=$?
	CHECKS=$((CHECKS + 1))
	if [ "$rc" = 3 ]; then echo "ok - vpcfw takes --proto $p"
	else FAILED=1; echo "FAIL - vpcfw takes --proto $p (exit $rc, 2 is a usage error)"; fi
done

# A program whose table has subcommands vpcfw has not: the completion
# learns them from its help alone.
cat >"$TMPD/vpcfw" <<'EOS'
#!/bin/sh
cat <<'EOH'
vpcfw: a stand-in

  vpcfw lab list|start|stop [--dir DIR] [--fast] [NAME]
  vpcfw explain [--map ID=CIDR[,CIDR...]]... --packet SPEC
           [--json] FILE...
           | --replay TRACE-FILE
  vpcfw pod plan [--json] FILE | up FILE | down [POD]
           | probe [-l POD] FROM TO tcp|udp PORT
  vpcfw help 

See vpcfw(8).
EOH
EOS
chmod +x "$TMPD/vpcfw"
V=$TMPD/vpcfw
expect "a new subcommand completes from the table" "$V " "--help --version explain help lab pod"
expect "its words" "$V lab s" "start stop"
expect "its options, continuation lines and other forms included" "$V explain --" \
	"--json --map --packet --replay"
expect "a NAME-FILE: files" "$V explain --replay rules/o" "rules/other.json"
expect "forms named by a first word: those words" "$V pod " "down plan probe up"
expect "a form's own positionals" "$V pod up rules/web." "rules/web.rules"
expect "a form's own options" "$V pod plan --" "--json"
expect "a form's words further on" "$V pod probe a b " "tcp udp"
expect "no form of that name: nothing" "$V pod frob " ""
expect "a DIR option: directories" "$V lab list --dir rules/" "rules/sub"
expect "a flag takes no value: files follow" "$V explain --json rules/web." "rules/web.rules"
expect "past its one positional word, nothing" "$V lab start x " ""

if [ "$FAILED" = 0 ]; then echo "# all $CHECKS checks passed"; else echo "# FAILED"; fi
exit "$FAILED"
