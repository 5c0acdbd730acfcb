#!/bin/bash
#
# t-sg-stateful.sh - a security group is stateful: the replies of a flow it
# allowed pass whatever the other direction's rules say (doc/aws-semantics.md
# 3.1), and nothing else does. No rule here has peer 0.0.0.0/0, so every
# flow is tracked (doc/aws-semantics.md 3.3).
#
#   peer 10.99.0.2 / fd99::2                    host 10.99.0.1 / fd99::1
#     servers TCP 8080, 8081, UDP 5355          servers TCP 80, 81, UDP 5353, 5354
#
# SG inbound:  TCP 80, UDP 5353, echo requests (ICMP 8, ICMPv6 128) from the
#              peer's subnet
# SG outbound: TCP 8080, UDP 5355, UDP 5356 to the peer only
#
# Also: a tracked flow is its 5-tuple (another source port is not a reply),
# and ICMP errors about a tracked flow are not "related": they need a rule
# of their own (doc/aws-semantics.md 3.7).
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 81
serve_udp "$HOST_NS" 5353
serve_udp "$HOST_NS" 5354
serve_tcp "$PEER_NS" 8080
serve_tcp "$PEER_NS" 8081
serve_udp "$PEER_NS" 5355

S="$TMPD/sg.json"
rules=("in tcp:80 $NET4" "in tcp:80 $NET6" "in udp:5353 $NET4" "in udp:5353 $NET6"
       "in icmp:8/-1 $NET4" "in icmpv6:128/-1 $NET6"
       "out tcp:8080 $P4/32" "out tcp:8080 $P6/128" "out udp:5355 $P4/32" "out udp:5355 $P6/128"
       "out udp:5356 $P4/32" "out udp:5356 $P6/128")
sg_json "$S" "${rules[@]}"
engine_start --sg "$S"
steer on

for a in "$H4" "$H6"; do
	f="IPv$(fam "$a")"
	tcp_ok "$f: peer -> host:80 works, no outbound rule (reply tracked)" "$PEER_NS" "$a" 80
	tcp_fails "$f: peer -> host:81 (no inbound rule) times out" "$PEER_NS" "$a" 81
	udp_ok "$f: UDP peer -> host:5353 answered (reply tracked)" "$PEER_NS" "$a" 5353
	udp_fails "$f: UDP peer -> host:5354 (no inbound rule) unanswered" "$PEER_NS" "$a" 5354
	ping_ok "$f: peer pings host, echo reply leaves without an outbound rule" "$PEER_NS" "$a"
done
for a in "$P4" "$P6"; do
	f="IPv$(fam "$a")"
	tcp_ok "$f: host -> peer:8080 works, no inbound rule (reply tracked)" "$HOST_NS" "$a" 8080
	tcp_fails "$f: host -> peer:8081 (no outbound rule) times out" "$HOST_NS" "$a" 8081
	udp_ok "$f: UDP host -> peer:5355 answered, no inbound rule (reply tracked)" \
		"$HOST_NS" "$a" 5355
	ping_fails "$f: host pings peer (no outbound ICMP rule)" "$HOST_NS" "$a"
	check_not "$f: the peer's port unreachable for UDP 5356 is dropped (no ICMP error rule)" \
		udp_refused "$HOST_NS" "$a" 5356
done

say "a reply is the exact reverse 5-tuple"
# host:40000 -> peer:5355 makes a tracked flow; then a server on host:40000
# gets the peer's datagrams from port 5355 (the flow's reverse), but not
# from port 5999.
for a in "$P4" "$P6"; do
	udp_ok "IPv$(fam "$a"): host:40000 -> peer:5355 answered" "$HOST_NS" "$a" 5355 40000
done
serve_udp "$HOST_NS" 40000
for a in "$H4" "$H6"; do
	f="IPv$(fam "$a")"
	udp_ok "$f: peer:5355 -> host:40000 passes (the tracked flow's reverse)" \
		"$PEER_NS" "$a" 40000 5355
	udp_fails "$f: peer:5999 -> host:40000 dropped (not part of the flow)" \
		"$PEER_NS" "$a" 40000 5999
done

say "ICMP errors need a rule"
sg_json "$S" "${rules[@]}" "in icmp:3/-1 $NET4" "in icmpv6:1/-1 $NET6"
check "reload with inbound destination-unreachable rules exits 0" engine_reload
for a in "$P4" "$P6"; do
	check "IPv$(fam "$a"): the peer's port unreachable for UDP 5356 now reaches the host" \
		udp_refused "$HOST_NS" "$a" 5356
done

finish
