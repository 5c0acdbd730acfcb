# shellcheck shell=bash
#
# lib.sh - the harness every tests/netns/t-*.sh sources.
#
# Each test builds two throwaway namespaces with random names, joined by one
# veth pair, and runs vpcfw inside "host", which filters its own INPUT and
# OUTPUT exactly as it would on a lab VM:
#
#   +------------------------------+              +------------------------+
#   | vpcfw-NNNN-host              |              | vpcfw-NNNN-peer        |
#   |   vpcfw run  (queue 0..)     |    veth      |   clients and servers  |
#   |   iptables INPUT/OUTPUT ->   | veth0 -- veth0                        |
#   |     NFQUEUE (vpcfw steer)    |              |                        |
#   |   10.99.0.1/24   fd99::1/64  |              | 10.99.0.2/24 fd99::2/64|
#   +------------------------------+              +------------------------+
#
# Shape taken from the kernel's selftests/net/netfilter/nft_queue.sh and
# wireguard-tools' netns.sh: random names so tests may run in parallel, one
# trap that kills what we started and deletes what we created, waits that
# poll a condition with a deadline instead of sleeping, and assertions on
# what a user sees (a connection passes or not, a counter moves).
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (not root,
# a tool or kernel feature missing), 99 the harness itself broke.

set -u

# The addresses, for the tests that source us.
# shellcheck disable=SC2034
readonly H4=10.99.0.1 P4=10.99.0.2 NET4=10.99.0.0/24 \
	 H6=fd99::1 P6=fd99::2 NET6=fd99::/64

NS_TAG="vpcfw-$$-$RANDOM"
HOST_NS="$NS_TAG-host"
PEER_NS="$NS_TAG-peer"
TMPD=""
CTL=""
ENGINE_PID=""
ENGINE_LOG=""
FAILED=0
CHECKS=0
PIDS=()
NAMESPACES=()
SESSION_FDS=()
REC_PID=""		# the differential check's recorder (see "the differential check")
REC_N=0
REC_FILE=""
REC_ARGS=()
REC_WHY=""
REC_MARK=0
REC_LISTENERS=0
REC_CUT=0
REC_RECEIVED=0
REC_RUN_ARGS=()
REC_ORIG=()
REC_COPY=()
REC_CT_ORIG=()
REC_CT_COPY=()

: "${VPCFW:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src" 2>/dev/null && pwd)/vpcfw}"
: "${VPCFW_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export VPCFW VPCFW_SRCDIR

# ---------------------------------------------------------------- reporting

skip() { echo "SKIP: $*"; exit 77; }
hard_error() { echo "ERROR: $*"; exit 99; }
say() { echo "# $*"; }

pass() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILED=1; echo "FAIL - $*"; }

# check DESC CMD...: the command must succeed.
check() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_not DESC CMD...: the command must fail.
check_not() {
	local desc=$1; shift
	if "$@"; then fail "$desc"; else pass "$desc"; fi
}

quiet() { "$@" >/dev/null 2>&1; }

# ---------------------------------------------------------------- waiting

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or time runs out.
wait_for() {
	local limit=$(( $(now_ms) + ${1%.*} * 1000 )); shift
	while true; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$limit" ] && return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- set-up

require_env() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	local t
	for t in ip iptables ip6tables iptables-save ip6tables-save socat ping ss timeout; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
	done
	[ -x "$VPCFW" ] || hard_error "no vpcfw binary at $VPCFW (set VPCFW)"
	case $(iptables --version 2>/dev/null) in
	*nf_tables*) ;;
	*) skip "iptables is not the nf_tables variant" ;;
	esac
}

add_ns() {
	ip netns add "$1" || hard_error "cannot create namespace $1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	# Addresses must be usable at once: no duplicate address detection.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# setup_topology: the two namespaces of the diagram above.
setup_topology() {
	require_env
	TMPD=$(mktemp -d "/tmp/vpcfw-netns.XXXXXX") || hard_error "mktemp"
	CTL="$TMPD/ctl.sock"
	ENGINE_LOG="$TMPD/engine.log"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	add_ns "$HOST_NS"
	add_ns "$PEER_NS"
	ip link add veth0 netns "$HOST_NS" type veth peer name veth0 netns "$PEER_NS" ||
		hard_error "cannot create veth pair"
	ip -n "$HOST_NS" addr add "$H4/24" dev veth0
	ip -n "$PEER_NS" addr add "$P4/24" dev veth0
	ip -n "$HOST_NS" -6 addr add "$H6/64" dev veth0 nodad
	ip -n "$PEER_NS" -6 addr add "$P6/64" dev veth0 nodad
	ip -n "$HOST_NS" link set veth0 up
	ip -n "$PEER_NS" link set veth0 up
	probe_nfqueue
	wait_for 5 ping_quiet "$PEER_NS" "$H4" || hard_error "no IPv4 between the namespaces"
	wait_for 5 ping_quiet "$PEER_NS" "$H6" || hard_error "no IPv6 between the namespaces"
}

# The kernel must offer NFQUEUE through iptables-nft (nft's own queue
# expression is missing on some lab kernels, see doc/testing.md section 2).
probe_nfqueue() {
	if ! in_host iptables -N vpcfw-probe 2>/dev/null ||
	   ! in_host iptables -A vpcfw-probe -j NFQUEUE --queue-num 9 --queue-bypass 2>/dev/null; then
		skip "iptables NFQUEUE target not available"
	fi
	in_host iptables -F vpcfw-probe
	in_host iptables -X vpcfw-probe
}

in_host() { ip netns exec "$HOST_NS" "$@"; }
in_peer() { ip netns exec "$PEER_NS" "$@"; }

# bg NS CMD...: start CMD in NS in the background; its pid lands in BG_PID.
bg() {
	local ns=$1; shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

cleanup() {
	local rc=$? pid ns fd
	trap - EXIT INT TERM
	for fd in "${SESSION_FDS[@]}"; do exec {fd}>&-; done 2>/dev/null
	# A test that ends without finish: what its engine judged is replayed too.
	[ -n "$REC_PID" ] && { replay_end; [ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1; }
	if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		kill -TERM "$ENGINE_PID" 2>/dev/null
		wait_for 3 proc_gone "$ENGINE_PID" || kill -KILL "$ENGINE_PID" 2>/dev/null
	fi
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	# Whatever else runs inside our namespaces was started by this test
	# (forked socat children): end it by pid before deleting the namespace.
	for ns in "${NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "$rc" != 0 ] && [ -n "$ENGINE_LOG" ] && [ -s "$ENGINE_LOG" ]; then
		echo "# engine log (last 30 lines):"
		tail -n 30 "$ENGINE_LOG" | sed 's/^/#   /'
	fi
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	exit "$rc"
}

proc_gone() { ! kill -0 "$1" 2>/dev/null; }

# finish: the checks every test ends with, then the exit status.
finish() {
	assert_drained
	[ -n "$ENGINE_PID" ] && engine_stop
	# With a sanitizer build (configure --enable-sanitizers) a report is a failure.
	check_not "the engine log shows no sanitizer report" \
		grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|WARNING: ThreadSanitizer' \
		"$ENGINE_LOG"
	if [ "$FAILED" = 0 ]; then
		echo "# $(basename "$0"): all $CHECKS checks passed"
	else
		echo "# $(basename "$0"): FAILED"
	fi
	exit "$FAILED"
}

# ---------------------------------------------------------------- the engine

# engine_start ARGS...: `vpcfw run --ctl $CTL ARGS...` in host, in the
# background; returns once `vpcfw status` answers (queues bound, rules loaded).
engine_start() {
	# The engine before, stopped by the test itself: its recording first.
	[ -n "$REC_PID" ] && replay_end
	echo "### vpcfw run $*" >>"$ENGINE_LOG"
	ip netns exec "$HOST_NS" "$VPCFW" run --ctl "$CTL" "$@" >>"$ENGINE_LOG" 2>&1 &
	ENGINE_PID=$!
	if ! wait_for 5 engine_ready; then
		fail "engine started (vpcfw run $*)"
		exit 1		# cleanup shows the engine's log
	fi
	replay_begin "$@"
}

engine_ready() {
	kill -0 "$ENGINE_PID" 2>/dev/null || return 1
	status_quiet
}

vpcfw_status() { in_host "$VPCFW" status --ctl "$CTL"; }
status_quiet() { quiet vpcfw_status; }

# engine_stop: SIGTERM; the engine must exit 0 within 5 s.
engine_stop() {
	local rc
	[ -n "$ENGINE_PID" ] || return 0
	kill -TERM "$ENGINE_PID" 2>/dev/null
	if wait_for 5 proc_gone "$ENGINE_PID"; then
		wait "$ENGINE_PID"; rc=$?
		if [ "$rc" = 0 ]; then pass "engine exits 0 on SIGTERM"
		else fail "engine exits 0 on SIGTERM (got $rc)"; fi
	else
		fail "engine exits within 5 s of SIGTERM"
		kill -KILL "$ENGINE_PID" 2>/dev/null
		wait "$ENGINE_PID" 2>/dev/null
	fi
	ENGINE_PID=""
	replay_end
}

# engine_reload: `vpcfw reload`; its output is kept in $TMPD/reload.{out,err}.
# The recording is cut there: what came before is replayed with the rules
# before, and a new one begins with the rules the engine then holds.
engine_reload() {
	local rc r1="" lines i ct_same=1 rules=()
	# Files changed: the recording gets a "# rules:" line where the new
	# rules take over (explain --replay keeps its flow table there, as the
	# engine does), if no packet is judged while the rules are swapped.
	if [ -n "$REC_PID" ] && [ -z "$REC_WHY" ] && ! replay_files_same; then
		for i in "${!REC_CT_ORIG[@]}"; do
			cmp -s -- "${REC_CT_ORIG[$i]}" "${REC_CT_COPY[$i]}" || ct_same=""
		done
		# The count first, then its lines: a packet that comes between
		# the two moves the count past r1 and the segment is cut below.
		r1=$(counter totals received)
		if ! wait_for 5 recorded "$r1"; then
			REC_WHY="the recording had not caught up when a reload came"
			r1=""
		fi
		lines=$(wc -l <"$REC_FILE")
	fi
	in_host "$VPCFW" reload --ctl "$CTL" >"$TMPD/reload.out" 2>"$TMPD/reload.err"; rc=$?
	if [ -n "$r1" ] && [ "$rc" = 0 ]; then
		if [ "$(counter totals received)" != "$r1" ]; then
			REC_WHY="packets were judged while a reload swapped the rules"
		elif [ -z "$ct_same" ]; then
			REC_WHY="a reload changed the --conntrack timeouts (explain keeps its own)"
		else
			replay_args "${REC_RUN_ARGS[@]}"
			# The rule options: the flow table's stay as they were.
			for ((i = 0; i < ${#REC_ARGS[@]}; i++)); do
				case ${REC_ARGS[$i]} in
				--max-flows|--conntrack) i=$((i + 1)) ;;
				--evict-unestablished) ;;
				*) rules+=("${REC_ARGS[$i]}") ;;
				esac
			done
			printf '%s\t# rules: %s\n' "$lines" "${rules[*]}" >>"$REC_FILE.rules"
			REC_ARGS=("${REC_ARGS0[@]}")
			REC_MARK=$((REC_MARK + 1))
		fi
	elif [ -n "$REC_PID" ] && [ -z "$r1" ] && [ "$rc" = 0 ]; then
		REC_MARK=$((REC_MARK + 1))	# the same rules again: not a change
	fi
	return "$rc"
}

# ---------------------------------------------------------------- the differential check
#
# Issue 10, point 5: explain agrees with the live engine on every packet of
# these tests. While an engine of engine_start runs, `vpcfw trace` records
# every verdict (REC_FILE); when the engine stops the recording is judged
# again, offline, by `vpcfw explain --replay` with copies of the rule files
# the engine read, and the check fails on the first packet whose verdict or
# deciding rules differ. An engine_reload that changes the files puts a
# "# rules:" line (copies of the new files) where the new rules take over,
# and explain keeps its flow table there as the engine does. A recording
# explain cannot model is said to be "not replayable" in the log, with why,
# and not judged: the rules changed under it other than by engine_reload
# (apply, SIGHUP: tests call replay_cut before), packets were judged while
# a reload swapped the rules, the recorder lost lines, or the engine has an
# option that changes verdicts and explain lacks
# (--offload: the kernel passes a flow's packets unseen), or many queues
# (the trace writes its lines queue by queue, not in the order judged).
# VPCFW_NO_REPLAY=WHY, set by a test that cannot be replayed at all,
# records nothing and says WHY in the log. The recorder is a trace
# listener: tests counting listeners add REC_LISTENERS (trace_listeners).

# trace_listeners N: the engine has N trace listeners besides the recorder.
trace_listeners() { vpcfw_status 2>/dev/null | grep -qx "trace listeners: $(($1 + REC_LISTENERS))"; }

# Rule changes the engine logged so far (reload, apply, rollback, SIGHUP).
rule_changes() { grep -cE 'rules in force \(generation|rules are back \(generation' "$ENGINE_LOG" 2>/dev/null; }

# replay_files IFACE=F1,F2 | FILE: into RV, the files copied as the engine
# read them now (REC_ORIG and REC_COPY keep which is whose copy).
replay_files() {
	local v=$1 f sep="" files dst i
	RV=""
	if [[ $v == *=* && ${v%%=*} != */* ]]; then RV="${v%%=*}="; v=${v#*=}; fi
	IFS=, read -r -a files <<<"$v"
	for f in "${files[@]}"; do
		dst=""
		# One copy per file: run takes one file as both --nacl and --sg.
		for i in "${!REC_ORIG[@]}"; do
			[ "${REC_ORIG[$i]}" = "$f" ] && dst=${REC_COPY[$i]}
		done
		if [ -z "$dst" ]; then
			# No space in the copy's name: a "# rules:" line splits on them.
			dst=$(mktemp --suffix="-$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)" \
				"$TMPD/differential.$REC_N/fXXXX") &&
				cp -- "$f" "$dst" 2>/dev/null || dst=$f
			REC_ORIG+=("$f"); REC_COPY+=("$dst")
		fi
		RV+="$sep$dst"; sep=,
	done
}

# replay_files_same: the rule files still hold what the engine read.
replay_files_same() {
	local i
	for i in "${!REC_ORIG[@]}"; do
		cmp -s -- "${REC_ORIG[$i]}" "${REC_COPY[$i]}" || return 1
	done
}

# replay_args RUN-ARGS...: explain's options into REC_ARGS; REC_WHY if an
# option changes verdicts in a way explain does not model.
replay_args() {
	local o v
	REC_ARGS=(); REC_ORIG=(); REC_COPY=(); REC_CT_ORIG=(); REC_CT_COPY=()
	while [ $# -gt 0 ]; do
		o=$1; shift; v=""
		case $o in
		--*=*) v=${o#*=}; o=${o%%=*} ;;
		-[nsqc]?*) v=${o:2}; o=${o:0:2} ;;
		esac
		case $o in
		--nacl|-n|--sg|-s|--eni|--map|--subnet|--vpc|--queue|-q|--ctl|-c|--inside|\
		--flow-log|--flow-log-interval|--flow-log-format|--max-flows|--conntrack|\
		--shadow-nacl|--shadow-sg)
			[ -n "$v" ] || { v=${1:-}; shift; } ;;
		esac
		case $o in
		--nacl|-n|--sg|-s|--eni) replay_files "$v"; REC_ARGS+=("$o" "$RV") ;;
		--map|--subnet|--vpc) REC_ARGS+=("$o" "$v") ;;
		--judge-aws-services|--no-quotas|--evict-unestablished) REC_ARGS+=("$o") ;;
		--max-flows) REC_ARGS+=("$o" "$v") ;;
		--conntrack)	# settings, or a file read again on reload
			# An interface's own timeouts (IFACE=..., or a file whose
			# entries differ, matched to interfaces by MAC): explain
			# models the host's only.
			if [[ $v == *=* && ${v%%=*} != */* && ${v%%=*} != tcp-established &&
			      ${v%%=*} != udp-stream && ${v%%=*} != udp ]] ||
			   { [ -f "$v" ] && jq -e '[.NetworkInterfaces[]?.ConnectionTrackingConfiguration]
						   | unique | length > 1' "$v" >/dev/null 2>&1; }; then
				REC_WHY="--conntrack $v (an interface's own timeouts: explain models the host's)"
			fi
			if [ -f "$v" ]; then
				replay_files "$v"; REC_CT_ORIG+=("$v"); REC_CT_COPY+=("$RV"); v=$RV
			fi
			REC_ARGS+=("$o" "$v") ;;
		--queue|-q) [[ $v == *:* && ${v%%:*} != "${v#*:}" ]] &&
			REC_WHY="--queue $v (the trace writes its lines queue by queue, not in the order judged)" ;;
		# No effect on a verdict (--inside: the trace says each direction;
		# a shadow is never enforced, and plain trace lines are the enforced).
		--ctl|-c|--inside|--flow-log|--flow-log-interval|--flow-log-format|\
		--shadow-nacl|--shadow-sg|\
		--verbose|-v|--fail-closed|--log-drops|--force) ;;
		--offload) REC_WHY="--offload (the kernel carries offloaded flows, unseen)" ;;
		*) REC_WHY="run option $o (unknown to the differential check)" ;;
		esac
	done
}

# replay_begin RUN-ARGS...: a new segment, recorded, for the rules of these options.
replay_begin() {
	REC_RUN_ARGS=("$@")
	if [ -n "${VPCFW_NO_REPLAY:-}" ]; then
		say "differential check: off for this test (VPCFW_NO_REPLAY: $VPCFW_NO_REPLAY)"
		return 0
	fi
	REC_N=$((REC_N + 1))
	mkdir -p "$TMPD/differential.$REC_N"
	REC_WHY=""
	replay_args "$@"
	replay_record "$REC_WHY" "${REC_ARGS[@]}"
}

listener_count() { vpcfw_status 2>/dev/null | sed -n 's/^trace listeners: //p'; }
recorder_attached() { [ "$(listener_count)" = "$1" ]; }

# replay_record WHY EXPLAIN-ARGS...: start the recorder; returns once the
# engine counts it among its listeners.
replay_record() {
	local n
	REC_WHY=$1; shift
	REC_ARGS=("$@")
	REC_ARGS0=("$@")	# the engine's first rules: explain's options
	REC_FILE="$TMPD/differential.$REC_N/trace.$((++REC_CUT))"
	: >"$REC_FILE.rules"
	n=$(listener_count)
	# Not through in_host: $! must be the trace itself (ip execs it), not
	# a subshell whose death would leave the listener attached.
	ip netns exec "$HOST_NS" "$VPCFW" trace --ctl "$CTL" >"$REC_FILE" 2>"$REC_FILE.err" &
	REC_PID=$!
	PIDS+=("$REC_PID")
	REC_LISTENERS=1
	wait_for 5 recorder_attached $((${n:-0} + 1)) ||
		REC_WHY="the recorder did not attach ($(vpcfw_status 2>&1 | grep 'trace listeners'))"
	REC_MARK=$(rule_changes)
	REC_RECEIVED=$(counter totals received)
}

# caught_up: the recording holds a line for every packet the engine has
# received since the recorder attached (it writes them every 50 ms).
caught_up() { recorded "$(counter totals received)"; }
# recorded N: the recording holds a line for each of the first N packets received.
recorded() { [ "$(grep -vc '^#' "$REC_FILE")" -ge $(($1 - REC_RECEIVED)) ]; }

# replay_cut WHY: before the test changes the rules other than by
# engine_reload (apply, a bare `vpcfw reload`): what was recorded so far is
# replayed, and what comes after is recorded as not replayable, for WHY.
replay_cut() {
	[ -n "$REC_PID" ] && [ -z "$REC_WHY" ] || return 0
	replay_end
	replay_record "$1" "${REC_ARGS[@]}"
}

# replay_spliced: the recording with its "# rules:" lines (REC_FILE.rules:
# after which line) where the reloads put new rules in force.
replay_spliced() {
	[ -s "$REC_FILE.rules" ] || { cat "$REC_FILE"; return; }
	awk -F '\t' 'FNR == NR { at[$1] = at[$1] $2 "\n"; next }
		FNR == 1 && (0 in at) { printf "%s", at[0] }
		{ print } (FNR in at) { printf "%s", at[FNR] }' \
		"$REC_FILE.rules" "$REC_FILE" 2>/dev/null || cat "$REC_FILE"
}

# replay_end: stop the recorder (at once if the engine still runs; else
# once it has written the engine's last lines) and judge the recording.
replay_end() {
	local out n rc seg
	[ -n "$REC_PID" ] || return 0
	seg="recording ${REC_FILE##*.}"
	if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		# Cut while the engine runs: its last lines first (a second at most).
		wait_for 1 caught_up
		n=$(listener_count)
		kill -TERM "$REC_PID" 2>/dev/null
		wait "$REC_PID" 2>/dev/null
		# The engine has let it go before anyone counts listeners again.
		[ -n "$n" ] && wait_for 5 recorder_attached $((n - 1))
	fi
	wait_for 5 proc_gone "$REC_PID" || kill -TERM "$REC_PID" 2>/dev/null
	wait "$REC_PID" 2>/dev/null
	REC_PID=""; REC_LISTENERS=0
	[ "$(rule_changes)" = "$REC_MARK" ] ||
		REC_WHY=${REC_WHY:-"the rules changed while it ran (apply, rollback, SIGHUP, a reload not through engine_reload)"}
	grep -q '^# .*lines lost' "$REC_FILE" &&
		REC_WHY=${REC_WHY:-"the recorder lost lines: $(grep -m1 '^# .*lines lost' "$REC_FILE")"}
	if [ -n "$REC_WHY" ]; then
		say "differential check, $seg: not replayable: $REC_WHY"
		return 0
	fi
	out="$REC_FILE.replay"
	replay_spliced >"$REC_FILE.full"
	"$VPCFW" explain "${REC_ARGS[@]}" --replay "$REC_FILE.full" >"$out" 2>&1; rc=$?
	n=$(sed -n 's/^replayed \([0-9]*\) packets.*/\1/p' "$out")
	[ -s "$REC_FILE.rules" ] && seg+=", $(wc -l <"$REC_FILE.rules") reloads"
	if [ "$rc" = 0 ]; then
		pass "explain agrees with the engine on ${n:-0} packets ($seg)"
	else
		fail "explain agrees with the engine on every packet ($seg: exit $rc)"
		echo "#   vpcfw explain ${REC_ARGS[*]} --replay $REC_FILE.full"
		head -n 30 "$out" | sed 's/^/#   /'
	fi
}

# steer on|off ARGS...: `vpcfw steer` in host.
steer() { in_host "$VPCFW" steer "$@"; }

# counter LINE FIELD: a number from `vpcfw status`, e.g. `counter totals
# received` or `counter "queue 1" accepted`; prints -1 when absent.
counter() {
	vpcfw_status 2>/dev/null | awk -v line="$1:" -v field="$2" '
		{ s = $0; sub(/^[ \t]+/, "", s) }
		index(s, line) == 1 {
			n = split(substr(s, length(line) + 1), kv, ",")
			for (i = 1; i <= n; i++) {
				split(kv[i], w, " ")
				if (w[1] == field) { print w[2] + 0; found = 1; exit }
			}
		}
		END { if (!found) print -1 }'
}

# queued_packets: packets the kernel holds for a verdict, all queues of host
# (3rd column of nfnetlink_queue: queue_total).
queued_packets() {
	in_host awk '{ s += $3 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue
}

queues_empty() { [ "$(queued_packets)" = 0 ]; }

# assert_drained: no packet may wait for a verdict once traffic has stopped.
assert_drained() {
	if wait_for 1 queues_empty; then
		pass "no packet left waiting in any queue"
	else
		fail "no packet left waiting in any queue ($(queued_packets) waiting)"
		in_host cat /proc/net/netfilter/nfnetlink_queue | sed 's/^/#   /'
	fi
}

# ---------------------------------------------------------------- rule files
#
# Tests write their rules as AWS CLI JSON, the way `aws ec2
# describe-network-acls` / `describe-security-groups` print them. A rule is
# one word list:
#   nacl: "in|out NUMBER allow|deny PROTO[:PORTS|:TYPE/CODE] CIDR"
#   sg:   "in|out PROTO[:PORTS|:TYPE/CODE] CIDR"
# PROTO is tcp, udp, icmp, icmpv6, all or a number; PORTS "80" or "1024-65535".
# Files are replaced atomically (rename) so a reload never reads half a file.

proto_number() {
	case $1 in
	tcp) echo 6 ;; udp) echo 17 ;; icmp) echo 1 ;; icmpv6) echo 58 ;;
	all) echo -1 ;; *) echo "$1" ;;
	esac
}

# port_args PROTO SPEC: "FROM TO" (ports, or ICMP type and code).
port_args() {
	local spec=$2
	case $spec in
	"") echo "-1 -1" ;;
	*/*) echo "${spec%/*} ${spec#*/}" ;;
	*-*) echo "${spec%-*} ${spec#*-}" ;;
	*) echo "$spec $spec" ;;
	esac
}

nacl_entry_json() {
	local dir=$1 num=$2 action=$3 pspec=$4 cidr=$5 proto spec egress=false
	proto=${pspec%%:*}; spec=""
	[ "$proto" != "$pspec" ] && spec=${pspec#*:}
	[ "$dir" = out ] && egress=true
	local pn; pn=$(proto_number "$proto")
	local from to; read -r from to <<<"$(port_args "$proto" "$spec")"
	printf '                {\n'
	case $cidr in
	*:*) ;;
	*) printf '                    "CidrBlock": "%s",\n' "$cidr" ;;
	esac
	printf '                    "Egress": %s,\n' "$egress"
	case $pn in
	1|58) printf '                    "IcmpTypeCode": {\n                        "Code": %s,\n                        "Type": %s\n                    },\n' "$to" "$from" ;;
	esac
	case $cidr in
	*:*) printf '                    "Ipv6CidrBlock": "%s",\n' "$cidr" ;;
	esac
	case $pn in
	6|17) printf '                    "PortRange": {\n                        "From": %s,\n                        "To": %s\n                    },\n' "$from" "$to" ;;
	esac
	printf '                    "Protocol": "%s",\n' "$pn"
	printf '                    "RuleAction": "%s",\n' "$action"
	printf '                    "RuleNumber": %s\n' "$num"
	printf '                }'
}

# nacl_json FILE RULE...: one custom network ACL; the '*' entries are added.
nacl_json() {
	local file=$1 sep="" r; shift
	{
		printf '{\n    "NetworkAcls": [\n        {\n            "Associations": [],\n'
		printf '            "Entries": [\n'
		for r in "$@" "out 32767 deny all 0.0.0.0/0" "out 32768 deny all ::/0" \
			 "in 32767 deny all 0.0.0.0/0" "in 32768 deny all ::/0"; do
			printf '%s' "$sep"
			# shellcheck disable=SC2086
			nacl_entry_json $r
			sep=$',\n'
		done
		printf '\n            ],\n            "IsDefault": false,\n'
		printf '            "NetworkAclId": "acl-0c0ffee0123456789",\n'
		printf '            "Tags": [],\n            "VpcId": "vpc-0a1b2c3d4e5f60718",\n'
		printf '            "OwnerId": "111122223333"\n        }\n    ]\n}\n'
	} >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# sg_perms_json DIR RULE...: the IpPermissions list of one direction, rules
# with the same protocol and ports grouped into one permission as AWS does.
sg_perms_json() {
	local want=$1 r dir pspec cidr proto spec key keys=() sep=""; shift
	declare -A v4 v6
	for r in "$@"; do
		read -r dir pspec cidr <<<"$r"
		[ "$dir" = "$want" ] || continue
		key=$pspec
		[[ -v "v4[$key]" ]] || { keys+=("$key"); v4[$key]=""; v6[$key]=""; }
		case $cidr in
		*:*) v6[$key]+="${v6[$key]:+,}{\"CidrIpv6\": \"$cidr\"}" ;;
		*) v4[$key]+="${v4[$key]:+,}{\"CidrIp\": \"$cidr\"}" ;;
		esac
	done
	printf '['
	for key in "${keys[@]}"; do
		proto=${key%%:*}; spec=""
		[ "$proto" != "$key" ] && spec=${key#*:}
		local from to name
		read -r from to <<<"$(port_args "$proto" "$spec")"
		case $proto in all) name=-1 ;; *) name=$proto ;; esac
		printf '%s\n                {' "$sep"
		[ "$name" != -1 ] && printf '"FromPort": %s, ' "$from"
		printf '"IpProtocol": "%s", "IpRanges": [%s], "Ipv6Ranges": [%s], "PrefixListIds": [], ' \
			"$name" "${v4[$key]}" "${v6[$key]}"
		[ "$name" != -1 ] && printf '"ToPort": %s, ' "$to"
		printf '"UserIdGroupPairs": []}'
		sep=","
	done
	[ ${#keys[@]} -gt 0 ] && printf '\n            '
	printf ']'
}

# sg_json FILE RULE...: one security group.
sg_json() {
	local file=$1; shift
	{
		printf '{\n    "SecurityGroups": [\n        {\n'
		printf '            "Description": "vpcfw test group",\n'
		printf '            "GroupName": "vpcfw-test",\n'
		printf '            "IpPermissions": %s,\n' "$(sg_perms_json in "$@")"
		printf '            "OwnerId": "111122223333",\n'
		printf '            "GroupId": "sg-0123456789abcdef0",\n'
		printf '            "IpPermissionsEgress": %s,\n' "$(sg_perms_json out "$@")"
		printf '            "VpcId": "vpc-0a1b2c3d4e5f60718"\n        }\n    ]\n}\n'
	} >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# ---------------------------------------------------------------- traffic
#
# Servers echo what they receive; clients send a fresh token and pass only
# when exactly that token comes back. Expected failures use 1 s timeouts.

is_v6() { [[ $1 == *:* ]]; }
sockaddr() { if is_v6 "$1"; then echo "[$1]:$2"; else echo "$1:$2"; fi; }
fam() { if is_v6 "$1"; then echo 6; else echo 4; fi; }

listening() { ss -N "$1" -Hln "$2" "sport = :$3" 2>/dev/null | grep -q .; }

# serve_tcp NS PORT: TCP echo server on IPv4 and IPv6.
serve_tcp() {
	bg "$1" socat TCP4-LISTEN:"$2",reuseaddr,fork PIPE
	bg "$1" socat TCP6-LISTEN:"$2",ipv6only=1,reuseaddr,fork PIPE
	wait_for 5 listening "$1" -t "$2" || hard_error "TCP server on port $2 did not start"
}

# serve_udp NS PORT: UDP echo server on IPv4 and IPv6.
serve_udp() {
	bg "$1" socat -T 2 UDP4-RECVFROM:"$2",reuseaddr,fork PIPE
	bg "$1" socat -T 2 UDP6-RECVFROM:"$2",ipv6only=1,reuseaddr,fork PIPE
	wait_for 5 listening "$1" -u "$2" || hard_error "UDP server on port $2 did not start"
}

# tcp_try NS ADDR PORT [TIMEOUT [SOCAT-OPTIONS]]: connect, send, expect the echo.
tcp_try() {
	local ns=$1 addr=$2 port=$3 t=${4:-2} opts=${5:-} tok out
	tok="tcp-$RANDOM$RANDOM"
	out=$(echo "$tok" | timeout $((t + 3)) ip netns exec "$ns" socat -t "$t" -T "$t" - \
		"TCP$(fam "$addr"):$(sockaddr "$addr" "$port"),connect-timeout=$t$opts" 2>/dev/null)
	[ "$out" = "$tok" ]
}

# udp_try NS ADDR PORT [TIMEOUT [SOURCE-PORT]]: one datagram out, its echo back.
# bash's /dev/udp and one read of a whole datagram (dd), because that returns
# as soon as the reply is there (socat would sit out its -t timeout).
udp_try() {
	local ns=$1 addr=$2 port=$3 t=${4:-2} sport=${5:-} tok out
	tok="udp-$RANDOM$RANDOM"
	if [ -n "$sport" ]; then
		out=$(echo "$tok" | timeout $((t + 3)) ip netns exec "$ns" socat -t "$t" - \
			"UDP$(fam "$addr"):$(sockaddr "$addr" "$port"),sourceport=$sport,reuseaddr" 2>/dev/null | head -n1)
	else
		out=$(timeout $((t + 3)) ip netns exec "$ns" bash -c \
			'exec 3<>"/dev/udp/$1/$2" && echo "$3" >&3 &&
			 timeout "$4" dd bs=65536 count=1 status=none <&3' \
			udp_try "$addr" "$port" "$tok" "$t" 2>/dev/null)
	fi
	[ "$out" = "$tok" ]
}

# udp_refused NS ADDR PORT: one datagram to a port nobody serves; succeeds
# when the ICMP port unreachable came back (the read fails ECONNREFUSED).
udp_refused() {
	local err
	err=$(timeout 4 ip netns exec "$1" bash -c \
		'exec 3<>"/dev/udp/$1/$2" && echo probe >&3 &&
		 timeout 1 dd bs=65536 count=1 status=none <&3' udp_refused "$2" "$3" 2>&1 >/dev/null)
	[[ $err == *"Connection refused"* ]]
}

ping_quiet() { ip netns exec "$1" ping -"$(fam "$2")" -q -c1 -W"${3:-1}" "$2" >/dev/null 2>&1; }

# ping_answered NS ADDR: one reply within 3 s, a request sent every second.
ping_answered() { ip netns exec "$1" ping -"$(fam "$2")" -q -c1 -w3 "$2" >/dev/null 2>&1; }

# udp_answered NS ADDR PORT [SOURCE-PORT]: udp_try, once more if the first
# datagram went unanswered (UDP has no retransmission of its own).
udp_answered() { udp_try "$1" "$2" "$3" 2 "${4:-}" || udp_try "$1" "$2" "$3" 2 "${4:-}"; }

# The checks tests write: NS is the client's namespace. What must pass gets
# a generous deadline (it costs nothing when things work, and keeps a loaded
# machine from failing a test); what must fail gets 1 s.
# tcp_ok/tcp_fails DESC NS ADDR PORT [SOCAT-OPTIONS]  e.g. ",sourceport=40000,reuseaddr"
# udp_ok/udp_fails DESC NS ADDR PORT [SOURCE-PORT]
# ping_ok/ping_fails DESC NS ADDR
tcp_ok() { check "$1" tcp_try "$2" "$3" "$4" 4 "${5:-}"; }
tcp_fails() { check_not "$1" tcp_try "$2" "$3" "$4" 1 "${5:-}"; }
udp_ok() { check "$1" udp_answered "$2" "$3" "$4" "${5:-}"; }
udp_fails() { check_not "$1" udp_try "$2" "$3" "$4" 1 "${5:-}"; }
ping_ok() { check "$1" ping_answered "$2" "$3"; }
ping_fails() { check_not "$1" ping_quiet "$2" "$3" 1; }

# ---------------------------------------------------------------- sessions
#
# A long-lived TCP session: a socat client whose input is a fifo we keep open
# and whose output is a file, so a test can send a line now and another one
# after a reload, and see whether the echo still comes back.

# session_open NAME NS ADDR PORT
session_open() {
	local name=$1 ns=$2 addr=$3 port=$4 fd
	mkfifo "$TMPD/$name.in"
	: >"$TMPD/$name.out"
	# Read-write open first: it never blocks, and as the fifo then has a
	# writer, the client's read-only open below does not block either.
	exec {fd}<>"$TMPD/$name.in"
	# Not through bg(): a background job's stdin is /dev/null unless the
	# job itself carries the redirection.
	ip netns exec "$ns" socat - \
		"TCP$(fam "$addr"):$(sockaddr "$addr" "$port"),connect-timeout=2" \
		<"$TMPD/$name.in" >"$TMPD/$name.out" 2>"$TMPD/$name.err" &
	PIDS+=("$!")
	SESSION_FDS+=("$fd")
	printf -v "SESSION_FD_$name" '%s' "$fd"
	printf -v "SESSION_N_$name" '%s' 0
}

# session_echo NAME [TIMEOUT]: send one fresh line, succeed if it comes back.
session_echo() {
	local name=$1 t=${2:-2} fdvar="SESSION_FD_$1" nvar="SESSION_N_$1" tok fd
	printf -v "$nvar" '%s' $(( ${!nvar} + 1 ))
	tok="$name-line-${!nvar}"
	fd=${!fdvar}
	{ echo "$tok" >&"$fd"; } 2>/dev/null || return 1
	wait_for "$t" grep -qxF "$tok" "$TMPD/$name.out"
}

session_ok() { check "$1" session_echo "$2" 4; }
session_fails() { check_not "$1" session_echo "$2" 1; }
