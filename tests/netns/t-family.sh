#!/bin/bash
#
# t-family.sh - IPv4 rules never match IPv6 traffic and the reverse
# (doc/aws-semantics.md 1.4, 2.3, classic mistake 4.2.11), for NACLs and SGs.
#
#   peer 10.99.0.2 + fd99::2  --ping, TCP 80, UDP 5353-->  host 10.99.0.1 + fd99::1
#
# 1. NACL allowing all of 0.0.0.0/0 both ways: IPv4 passes, IPv6 falls to the
#    IPv6 '*' deny; the ::/0 rules 101 (as on AWS's default NACL) fix it.
# 2. SG allowing TCP 80, UDP 5353 and ICMP from 0.0.0.0/0: IPv4 passes, IPv6
#    does not; ::/0 and ICMPv6 rules fix it.
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80
serve_udp "$HOST_NS" 5353

traffic() {	# traffic ok|fails ADDR WHY
	local f
	f="IPv$(fam "$2")"
	"tcp_$1" "$f: TCP 80 $3" "$PEER_NS" "$2" 80
	"udp_$1" "$f: UDP 5353 $3" "$PEER_NS" "$2" 5353
	"ping_$1" "$f: ping $3" "$PEER_NS" "$2"
}

say "NACL with IPv4 rules only"
N="$TMPD/nacl.json"
nacl_json "$N" "in 100 allow all 0.0.0.0/0" "out 100 allow all 0.0.0.0/0"
engine_start --nacl "$N"
steer on
traffic ok "$H4" "passes (rule 100)"
traffic fails "$H6" "dropped (IPv4 rules do not match)"
nacl_json "$N" "in 100 allow all 0.0.0.0/0" "out 100 allow all 0.0.0.0/0" \
	"in 101 allow all ::/0" "out 101 allow all ::/0"
check "reload with the ::/0 rules exits 0" engine_reload
traffic ok "$H6" "passes (rule 101)"
traffic ok "$H4" "still passes"
engine_stop

say "security group with IPv4 rules only"
S="$TMPD/sg.json"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in udp:5353 0.0.0.0/0" "in icmp 0.0.0.0/0"
engine_start --sg "$S"
traffic ok "$H4" "passes"
traffic fails "$H6" "dropped (IPv4 rules do not match)"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in udp:5353 0.0.0.0/0" "in icmp 0.0.0.0/0" \
	"in tcp:80 ::/0" "in udp:5353 ::/0" "in icmpv6 ::/0"
check "reload with the ::/0 rules exits 0" engine_reload
traffic ok "$H6" "passes"
traffic ok "$H4" "still passes"

finish
