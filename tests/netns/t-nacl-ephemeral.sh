#!/bin/bash
#
# t-nacl-ephemeral.sh - a stateless NACL needs an outbound rule for the
# client's ephemeral ports (doc/aws-semantics.md 1.6, classic mistakes 4.2.1/3).
#
#   peer (client, ports 32768-60999) --SYN--> host:80   inbound rule 100: ok
#   peer <--SYN-ACK to the peer's ephemeral port-- host  outbound rule ?
#
# 1. outbound allows only TCP 80 (the inbound rules mirrored): the SYN-ACK is
#    dropped, the connection times out, the drop counter moves;
# 2. outbound 32768-65535 added (AWS's example NACLs): it works;
# 3. outbound 49152-65535 (the Windows range): a Linux client fails whenever
#    its port is below 49152 and passes above it, so the mistake shows up
#    only now and then - source ports are pinned here to show both;
# 4. outbound 1024-65535 (AWS's general advice): every client port passes;
# 5. the same holds for ping (doc/aws-semantics.md 1.7): echo requests allowed in, the echo reply
#    (type 0 / ICMPv6 129) needs an outbound rule of its own.
. "$(dirname "$0")/lib.sh"

setup_topology
in_peer sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
check "peer's ephemeral range is the Linux default 32768-60999" \
	test "$(in_peer cat /proc/sys/net/ipv4/ip_local_port_range | tr -s '\t ' ' ')" = "32768 60999"
serve_tcp "$HOST_NS" 80

N="$TMPD/web-nacl.json"
inbound=("in 100 allow tcp:80 $NET4" "in 101 allow tcp:80 $NET6")

say "outbound allows TCP 80 only"
nacl_json "$N" "${inbound[@]}" "out 100 allow tcp:80 $NET4" "out 101 allow tcp:80 $NET6"
engine_start --nacl "$N"
steer on
dropped=$(counter totals dropped)
tcp_fails "IPv4: peer -> host:80 times out (SYN-ACK to the peer's ephemeral port dropped)" \
	"$PEER_NS" "$H4" 80
tcp_fails "IPv6: peer -> host:80 times out" "$PEER_NS" "$H6" 80
check "drop counter moved" test "$(counter totals dropped)" -gt "$dropped"

say "outbound 32768-65535 added"
nacl_json "$N" "${inbound[@]}" "out 100 allow tcp:80 $NET4" "out 101 allow tcp:80 $NET6" \
	"out 120 allow tcp:32768-65535 $NET4" "out 121 allow tcp:32768-65535 $NET6"
check "reload exits 0" engine_reload
tcp_ok "IPv4: peer -> host:80 works" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: peer -> host:80 works" "$PEER_NS" "$H6" 80
tcp_ok "IPv4: client port 32768 (range start) works" "$PEER_NS" "$H4" 80 ",sourceport=32768,reuseaddr"
tcp_ok "IPv6: client port 60999 (range end) works" "$PEER_NS" "$H6" 80 ",sourceport=60999,reuseaddr"

say "outbound 49152-65535 instead (Windows clients' range)"
nacl_json "$N" "${inbound[@]}" \
	"out 120 allow tcp:49152-65535 $NET4" "out 121 allow tcp:49152-65535 $NET6"
check "reload exits 0" engine_reload
tcp_fails "IPv4: Linux client port 40000 times out" "$PEER_NS" "$H4" 80 ",sourceport=40000,reuseaddr"
tcp_fails "IPv6: Linux client port 40001 times out" "$PEER_NS" "$H6" 80 ",sourceport=40001,reuseaddr"
tcp_fails "IPv4: Linux client port 49151 times out" "$PEER_NS" "$H4" 80 ",sourceport=49151,reuseaddr"
tcp_ok "IPv4: Linux client port 49152 works" "$PEER_NS" "$H4" 80 ",sourceport=49152,reuseaddr"
tcp_ok "IPv6: Linux client port 55000 works" "$PEER_NS" "$H6" 80 ",sourceport=55000,reuseaddr"

say "outbound 1024-65535 (AWS's advice)"
nacl_json "$N" "${inbound[@]}" \
	"out 120 allow tcp:1024-65535 $NET4" "out 121 allow tcp:1024-65535 $NET6"
check "reload exits 0" engine_reload
tcp_ok "IPv4: client port 40002 works" "$PEER_NS" "$H4" 80 ",sourceport=40002,reuseaddr"
tcp_ok "IPv6: client port 40003 works" "$PEER_NS" "$H6" 80 ",sourceport=40003,reuseaddr"
tcp_ok "IPv4: client port 1024 works" "$PEER_NS" "$H4" 80 ",sourceport=1024,reuseaddr"
tcp_fails "IPv4: client port 1023 times out" "$PEER_NS" "$H4" 80 ",sourceport=1023,reuseaddr"

say "ping: echo requests allowed in, replies not allowed out"
echo_in=("in 100 allow icmp:8/0 $NET4" "in 101 allow icmpv6:128/0 $NET6")
nacl_json "$N" "${echo_in[@]}" "out 100 allow icmp:3/-1 $NET4" "out 101 allow icmpv6:1/-1 $NET6"
check "reload exits 0" engine_reload
ping_fails "IPv4: ping fails (no outbound rule for type 0)" "$PEER_NS" "$H4"
ping_fails "IPv6: ping fails (no outbound rule for type 129)" "$PEER_NS" "$H6"
nacl_json "$N" "${echo_in[@]}" "out 100 allow icmp:0/0 $NET4" "out 101 allow icmpv6:129/0 $NET6"
check "reload exits 0" engine_reload
ping_ok "IPv4: ping works with outbound type 0" "$PEER_NS" "$H4"
ping_ok "IPv6: ping works with outbound type 129" "$PEER_NS" "$H6"

finish
