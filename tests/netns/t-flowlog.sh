#!/bin/bash
#
# t-flowlog.sh - VPC Flow Logs with real traffic: AWS's own ping example
# (flow-logs-records-examples): the SG allows inbound ICMP, the NACL allows
# inbound ICMP but not outbound, so the request is an ACCEPT record inbound
# and the reply a REJECT record outbound; packets and bytes are what was
# sent. Then the extended format names the rule that decided.
#
#   peer 10.99.0.2 --- 3 x ping --->  host 10.99.0.1 (vpcfw --flow-log)
. "$(dirname "$0")/lib.sh"

setup_topology
N="$TMPD/nacl.json"
S="$TMPD/sg.json"
LOG="$TMPD/flow.log"
nacl_json "$N" "in 100 allow icmp $NET4"
sg_json "$S" "in icmp $NET4"
steer on
engine_start --nacl "$N" --sg "$S" --flow-log "$LOG" --flow-log-interval 600

ping_fails "the peer's pings get no answer (the NACL drops the replies)" "$PEER_NS" "$H4"
in_peer ping -q -c2 -i0.2 -W1 "$H4" >/dev/null 2>&1
engine_stop		# writes what is pending

# fields: 1 version .. 4 src 5 dst 6 sport 7 dport 8 proto 9 packets 10 bytes 13 action 14 status
sum() { awk -v s="$1" -v d="$2" -v a="$3" -v f="$4" '$4 == s && $5 == d && $13 == a { n += $f } END { print n + 0 }' "$LOG"; }
say "$(cat "$LOG")"
check "every record has the 14 fields of version 2" \
	awk 'NF != 14 || $1 != 2 { exit 1 }' "$LOG"
check "the requests: ACCEPT, inbound, 3 packets" test "$(sum "$P4" "$H4" ACCEPT 9)" = 3
check "of 84 bytes each" test "$(sum "$P4" "$H4" ACCEPT 10)" = 252
check "the replies: REJECT, outbound, 3 packets" test "$(sum "$H4" "$P4" REJECT 9)" = 3
check "ICMP records have ports 0 0 and protocol 1" \
	awk -v s="$P4" '$4 == s && !($6 == 0 && $7 == 0 && $8 == 1) { exit 1 }' "$LOG"
check "no reply was accepted" test "$(sum "$H4" "$P4" ACCEPT 9)" = 0
check "log-status OK, start <= end" awk '$14 == "OK" && $11 > $12 { exit 1 }' "$LOG"

# The extended format: a header line, tcp-flags and the deciding rule.
XL="$TMPD/flow-ext.log"
serve_tcp "$HOST_NS" 80
sg_json "$S" "in icmp $NET4" "in tcp:80 $NET4"
nacl_json "$N" "in 100 allow icmp $NET4" "in 110 allow tcp:80 $NET4" \
	"out 100 allow tcp:1024-65535 $NET4"
engine_start --nacl "$N" --sg "$S" --flow-log "$XL" --flow-log-format extended
tcp_ok "peer -> host:80 works" "$PEER_NS" "$H4" 80
engine_stop
say "$(cat "$XL")"
check "the extended format starts with its field names" \
	grep -q "^version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags decided-by$" "$XL"
# decided-by is the record's last packet's: a packet of the tracked flow.
check "the client's record OR-s SYN and FIN (3); NACL 110 then the SG's flow decided" \
	grep -q "^3 .* $P4 $H4 [0-9]* 80 6 .* ACCEPT OK 3 nacl-in:110,sg:flow\$" "$XL"
check "the server's record has SYN-ACK (18) OR FIN: 19" \
	grep -q "^3 .* $H4 $P4 80 [0-9]* 6 .* ACCEPT OK 19 " "$XL"
steer off
finish
