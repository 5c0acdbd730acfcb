# lablib.sh - the start of every `vpcfw lab` test, sourced after lib.sh:
# a folder of the test's own with the labs' state in it (VPCFW_LAB_RUN, so
# that no user's lab is met), and on exit, pass or fail, every lab named in
# LABS_UP taken down before lib.sh's cleanup.

LABS_UP=()

# shellcheck disable=SC2317
lab_cleanup() {
	local rc=$? n
	for n in "${LABS_UP[@]}"; do "$VPCFW" lab down "$n" >/dev/null 2>&1; done
	(exit "$rc")
	cleanup
}

lab_test_start() {
	require_env
	command -v sha256sum >/dev/null || skip "sha256sum not installed"
	TMPD=$(mktemp -d "/tmp/vpcfw-netns.XXXXXX") || hard_error "mktemp"
	ENGINE_LOG="$TMPD/engine.log"
	: >"$ENGINE_LOG"
	export VPCFW_LAB_RUN="$TMPD/run"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

# session_open NAMESPACE ADDRESS PORT: a TCP session that stays open (the
# responder greets, then echoes); its greeting in GREETING.
session_open() {
	coproc SESSION { exec ip netns exec "$1" socat - "TCP4:$2:$3"; }
	PIDS+=("$SESSION_PID")
	GREETING=""
	read -r -t 5 GREETING <&"${SESSION[0]}"
}

# session_echo TEXT: TEXT through the session; what came back in ECHOED.
session_echo() {
	ECHOED=""
	echo "$1" >&"${SESSION[1]}"
	read -r -t 5 ECHOED <&"${SESSION[0]}"
	eval "exec ${SESSION[1]}>&-"
}
