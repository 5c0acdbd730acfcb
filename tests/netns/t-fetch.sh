#!/bin/bash
#
# t-fetch.sh - `vpcfw fetch ... | vpcfw apply - --confirm 60` puts the rules
# AWS enforces for an instance in force on a running engine, and `vpcfw
# confirm` keeps them. The AWS CLI asks the local EC2 endpoint
# (tests/fetch/ec2-endpoint.py) on the peer's loopback; the fixture's
# instance is the host (10.99.0.1, fd99::1) and the db member of the group
# its rules name is the peer (10.99.0.2, fd99::2):
#
#   peer 10.99.0.2 fd99::2                         host 10.99.0.1 fd99::1 (vpcfw)
#     ec2-endpoint.py on 127.0.0.1                   :80 :8080 :22 servers
#     vpcfw fetch -> aws ----------- stdout | ---->  vpcfw apply - --confirm 60
#     :5432 :5433 servers  <----------------------   clients
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fetch/endpoint.sh"

setup_topology
endpoint_start "$PEER_NS"
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 8080
serve_tcp "$HOST_NS" 22
serve_tcp "$PEER_NS" 5432
serve_tcp "$PEER_NS" 5433

# Before: everything through the NACL, the group opens 8080 only.
nacl_json "$TMPD/nacl.json" "in 100 allow all 0.0.0.0/0" "in 101 allow all ::/0" \
	"out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0"
sg_json "$TMPD/sg.json" "in tcp:8080 $NET4" "in tcp:8080 $NET6" "out all 0.0.0.0/0" "out all ::/0"
steer on
engine_start --nacl "$TMPD/nacl.json" --sg "$TMPD/sg.json"

generation() { counter rules generation; }
copies() { find "$TMPD" -maxdepth 1 -name 'vpcfw-stdin.*' | wc -l; }
apply_stdin() { in_host "$VPCFW" apply --ctl "$CTL" - "$@" 2>"$TMPD/apply.err"; }
# fetch_apply INSTANCE [SECONDS]: the pipe, failing when either side fails.
fetch_apply() {
	set -o pipefail
	fetch_in "$PEER_NS" --instance "$1" 2>"$TMPD/fetch.err" | apply_stdin --confirm "${2:-60}"
	local rc=$?
	set +o pipefail
	return "$rc"
}

tcp_ok "before: peer -> host:8080 passes" "$PEER_NS" "$H4" 8080
tcp_fails "before: peer -> host:80 is dropped" "$PEER_NS" "$H4" 80
g0=$(generation)

check_not "a failed fetch (unknown instance) applies nothing" fetch_apply i-0f1e2d3c4b5a60000
check "... apply said its standard input was empty" grep -q "standard input is empty" "$TMPD/apply.err"
check "... and the rules in force did not change" test "$(generation)" = "$g0"
check_not "rules the engine refuses are not applied" \
	apply_stdin --confirm 60 <<<"sg sg-1 \"x\""$'\n'"inbound"$'\n'"  tcp 99999 0.0.0.0/0"
check "... the engine said why, at the line of the copy" \
	grep -q "vpcfw-stdin\.[A-Za-z0-9]*:3:[0-9]*: error:" "$TMPD/apply.err"
check "... and their copy is gone" test "$(copies)" = 0

# stdin= names the engine's own copy only: it loads and later removes that
# file, so a path outside the socket's directory is refused and left alone.
mkdir "$TMPD/elsewhere"
printf 'not rules\n' >"$TMPD/elsewhere/vpcfw-stdin.AAAAAA"
raw_apply() { printf 'apply\0confirm=60\0stdin=%s\0\0' "$1" | socat -t 5 - UNIX-CONNECT:"$CTL"; }
check "stdin= outside the control socket's directory is refused" \
	eval 'raw_apply "$TMPD/elsewhere/vpcfw-stdin.AAAAAA" | head -1 | grep -qx ERR'
check "... and that file is not removed" test -e "$TMPD/elsewhere/vpcfw-stdin.AAAAAA"
check "stdin= reaching the directory by '..' is refused" \
	eval 'raw_apply "$TMPD/elsewhere/../elsewhere/vpcfw-stdin.AAAAAA" | head -1 | grep -qx ERR'
check "... and that file is not removed either" test -e "$TMPD/elsewhere/vpcfw-stdin.AAAAAA"

check "vpcfw fetch ... | vpcfw apply - --confirm 60" fetch_apply i-0f1e2d3c4b5a69788
check "... the engine took the rules (a new generation)" test "$(generation)" = $((g0 + 1))
tcp_ok "fetched: peer -> host:80 passes (sg-web, NACL 100)" "$PEER_NS" "$H4" 80
tcp_ok "fetched: peer -> host:80 over IPv6 (::/0, NACL 101)" "$PEER_NS" "$H6" 80
tcp_fails "fetched: peer -> host:8080 is dropped (in no rule now)" "$PEER_NS" "$H4" 8080
tcp_ok "fetched: peer -> host:22 passes (the prefix list holds 10.99.0.0/24)" "$PEER_NS" "$H4" 22
tcp_fails "fetched: peer -> host:22 over IPv6 is dropped (the list is IPv4)" "$PEER_NS" "$H6" 22
tcp_ok "fetched: host -> peer:5432 passes (the peer is a member of sg-db)" "$HOST_NS" "$P4" 5432
tcp_ok "fetched: host -> peer:5432 over IPv6 (its IPv6 address too)" "$HOST_NS" "$P6" 5432
tcp_fails "fetched: host -> peer:5433 is dropped" "$HOST_NS" "$P4" 5433

check "vpcfw confirm keeps them" in_host "$VPCFW" confirm --ctl "$CTL"
check_not "... nothing is pending any more (no rollback to come)" in_host "$VPCFW" confirm --ctl "$CTL"
check "the engine keeps one copy of the applied standard input" test "$(copies)" = 1
check "reload reads that copy" engine_reload
tcp_ok "after the reload: peer -> host:80 passes" "$PEER_NS" "$H4" 80
tcp_fails "after the reload: peer -> host:8080 is dropped" "$PEER_NS" "$H4" 8080
gen_is() { [ "$(generation)" = "$1" ]; }
g1=$(generation)
check "apply the fetched rules again, 1 s to confirm" fetch_apply i-0f1e2d3c4b5a69788 1
check "nobody confirms: the rollback comes" wait_for 5 gen_is $((g1 + 2))
check "... and removes that apply's copy, keeping the confirmed one" test "$(copies)" = 1
steer off
engine_stop
check "the engine removed the copy when it exited" test "$(copies)" = 0
finish
