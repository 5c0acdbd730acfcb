#!/bin/bash
#
# t-examples.sh - the example rule files in rules/ load, and teach what
# rules/README says they teach, with real traffic.
#
#   peer 10.99.0.2 / fd99::2  --ping, TCP 22/80/5432-->  host 10.99.0.1 / fd99::1
#                                                        vpcfw on rules/*.json
. "$(dirname "$0")/lib.sh"

R="$VPCFW_SRCDIR/rules"
setup_topology
serve_tcp "$HOST_NS" 22
serve_tcp "$HOST_NS" 80
serve_tcp "$HOST_NS" 5432
serve_tcp "$PEER_NS" 8080

say "vpcfw check"
for f in "$R"/*.json; do
	case $(basename "$f") in
	db-private-sg.json|default-sg.json)	# they name security groups
		check_not "$(basename "$f"): check refuses a group reference without --map" \
			quiet "$VPCFW" check "$f" ;;
	*)	check "$(basename "$f"): check accepts it" quiet "$VPCFW" check "$f" ;;
	esac
done

say "default-nacl.json: everything passes, IPv4 and IPv6"
engine_start --nacl "$R/default-nacl.json"
steer on
for a in "$H4" "$H6"; do
	ping_ok "IPv$(fam "$a"): ping" "$PEER_NS" "$a"
	tcp_ok "IPv$(fam "$a"): TCP 80" "$PEER_NS" "$a" 80
done
engine_stop

say "fresh-custom-nacl.json: everything is denied but what a VPC never filters"
engine_start --nacl "$R/fresh-custom-nacl.json"
for a in "$H4" "$H6"; do
	ping_fails "IPv$(fam "$a"): ping" "$PEER_NS" "$a"
	tcp_fails "IPv$(fam "$a"): TCP 80" "$PEER_NS" "$a" 80
done
# Neighbour discovery still passes: the peer learns the host's link-layer
# address (its NS goes in, the host's NA comes out) though its ping is dropped.
ip -n "$PEER_NS" -6 neigh flush dev veth0
ip -n "$HOST_NS" -6 neigh flush dev veth0
ping_fails "IPv6: ping after flushing the neighbour caches" "$PEER_NS" "$H6"
neigh_known() { ip -n "$PEER_NS" -6 neigh show "$H6" dev veth0 | grep -Eq 'REACHABLE|STALE|DELAY|PROBE'; }
check "IPv6 neighbour discovery passes the deny-all NACL" wait_for 2 neigh_known
ip -n "$PEER_NS" -6 neigh show dev veth0 | sed 's/^/#   /'
engine_stop

say "web-nacl-windows-ephemeral.json: Linux clients below 49152 fail"
engine_start --nacl "$R/web-nacl-windows-ephemeral.json"
tcp_fails "IPv4: client port 40000 times out" "$PEER_NS" "$H4" 80 ",sourceport=40000,reuseaddr"
tcp_ok "IPv4: client port 50000 works" "$PEER_NS" "$H4" 80 ",sourceport=50000,reuseaddr"
tcp_fails "IPv6: client port 40001 times out" "$PEER_NS" "$H6" 80 ",sourceport=40001,reuseaddr"
tcp_ok "IPv6: client port 50001 works" "$PEER_NS" "$H6" 80 ",sourceport=50001,reuseaddr"
engine_stop

say "web-sg.json: HTTP from anywhere with no outbound rule, SSH only from the office"
engine_start --sg "$R/web-sg.json"
for a in "$H4" "$H6"; do
	tcp_ok "IPv$(fam "$a"): HTTP works (reply tracked)" "$PEER_NS" "$a" 80
	tcp_fails "IPv$(fam "$a"): SSH from outside the office times out" "$PEER_NS" "$a" 22
done
tcp_fails "IPv4: the server cannot open connections itself" "$HOST_NS" "$P4" 8080
engine_stop

say "db-private-sg.json with --map: PostgreSQL from the web tier only"
engine_start --sg "$R/db-private-sg.json" \
	--map "sg-0e5f6a7b8c9d0e1f2=$NET4,$NET6" --map "sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32"
tcp_ok "IPv4: 5432 from a mapped web-tier address works" "$PEER_NS" "$H4" 5432
tcp_ok "IPv6: 5432 from a mapped web-tier address works" "$PEER_NS" "$H6" 5432
tcp_fails "IPv4: SSH from a non-bastion address times out" "$PEER_NS" "$H4" 22
engine_stop

say "default-sg.json with --map: members reach everything, all traffic out"
engine_start --sg "$R/default-sg.json" --map "sg-02b3c4d5e6f7a8b9c=$NET4,$NET6"
tcp_ok "IPv4: a member reaches port 22" "$PEER_NS" "$H4" 22
ping_ok "IPv6: a member's ping" "$PEER_NS" "$H6"
tcp_ok "IPv6: the host opens connections out" "$HOST_NS" "$P6" 8080

finish
