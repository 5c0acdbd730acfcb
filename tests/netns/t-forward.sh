#!/bin/bash
#
# t-forward.sh - subnet-boundary mode: vpcfw in a router namespace judges
# forwarded traffic, with --inside naming the interface of the protected
# subnet (packets leaving through it are inbound, packets arriving on it
# outbound), as a NACL on the subnet edge would.
#
#   client 10.98.1.2 ---- r1  ROUTER  r2 ---- 10.98.2.2 server (the subnet)
#   fd98:1::2        veth  vpcfw run --inside r2      fd98:2::2
#                          steer on --forward
. "$(dirname "$0")/lib.sh"

require_env
TMPD=$(mktemp -d "/tmp/vpcfw-netns.XXXXXX") || hard_error "mktemp"
CTL="$TMPD/ctl.sock"
ENGINE_LOG="$TMPD/engine.log"
trap cleanup EXIT
trap 'exit 130' INT TERM
CLIENT_NS="$NS_TAG-client"
ROUTER_NS="$NS_TAG-router"
SERVER_NS="$NS_TAG-server"
# The engine helpers of lib.sh run in HOST_NS: here that is the router.
HOST_NS=$ROUTER_NS
for ns in "$CLIENT_NS" "$ROUTER_NS" "$SERVER_NS"; do add_ns "$ns"; done
ip link add r1 netns "$ROUTER_NS" type veth peer name eth0 netns "$CLIENT_NS"
ip link add r2 netns "$ROUTER_NS" type veth peer name eth0 netns "$SERVER_NS"
ip -n "$ROUTER_NS" addr add 10.98.1.1/24 dev r1
ip -n "$ROUTER_NS" addr add 10.98.2.1/24 dev r2
ip -n "$ROUTER_NS" -6 addr add fd98:1::1/64 dev r1 nodad
ip -n "$ROUTER_NS" -6 addr add fd98:2::1/64 dev r2 nodad
ip -n "$CLIENT_NS" addr add 10.98.1.2/24 dev eth0
ip -n "$SERVER_NS" addr add 10.98.2.2/24 dev eth0
ip -n "$CLIENT_NS" -6 addr add fd98:1::2/64 dev eth0 nodad
ip -n "$SERVER_NS" -6 addr add fd98:2::2/64 dev eth0 nodad
for ns in "$CLIENT_NS" "$ROUTER_NS" "$SERVER_NS"; do ip -n "$ns" link set eth0 up 2>/dev/null; done
ip -n "$ROUTER_NS" link set r1 up
ip -n "$ROUTER_NS" link set r2 up
ip -n "$CLIENT_NS" route add default via 10.98.1.1
ip -n "$SERVER_NS" route add default via 10.98.2.1
ip -n "$CLIENT_NS" -6 route add default via fd98:1::1
ip -n "$SERVER_NS" -6 route add default via fd98:2::1
ip netns exec "$ROUTER_NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
wait_for 5 ping_quiet "$CLIENT_NS" 10.98.2.2 || hard_error "no IPv4 route through the router"
wait_for 5 ping_quiet "$CLIENT_NS" fd98:2::2 || hard_error "no IPv6 route through the router"
serve_tcp "$SERVER_NS" 80

N="$TMPD/nacl.json"
# The subnet's NACL: web from the client network in, but outbound only to
# port 80: the replies to the client's ephemeral port are dropped.
nacl_json "$N" "in 100 allow tcp:80 10.98.1.0/24" "in 110 allow tcp:80 fd98:1::/64" \
	"out 100 allow tcp:80 10.98.1.0/24" "out 110 allow tcp:80 fd98:1::/64"
check "steer on --forward" steer on --forward
engine_start --inside r2 --nacl "$N"

tcp_fails "IPv4: client -> server:80 through the router times out (no ephemeral rule)" \
	"$CLIENT_NS" 10.98.2.2 80
tcp_fails "IPv6: client -> server:80 times out likewise" "$CLIENT_NS" fd98:2::2 80
check "the NACL dropped the replies" test "$(counter "dropped by" nacl)" -gt 0

nacl_json "$N" "in 100 allow tcp:80 10.98.1.0/24" "in 110 allow tcp:80 fd98:1::/64" \
	"out 100 allow tcp:1024-65535 10.98.1.0/24" "out 110 allow tcp:1024-65535 fd98:1::/64"
check "reload with the ephemeral rule" engine_reload
tcp_ok "IPv4: client -> server:80 works with the ephemeral rule" "$CLIENT_NS" 10.98.2.2 80
tcp_ok "IPv6: client -> server:80 works" "$CLIENT_NS" fd98:2::2 80
ping_fails "ping into the subnet is denied (no ICMP rule)" "$CLIENT_NS" 10.98.2.2
engine_stop

# Without --inside a forwarded packet has no direction: the failure policy
# applies (fail-open: it passes) and it is counted as unjudged.
engine_start --nacl "$N"
ping_ok "without --inside, forwarded ping passes under fail-open" "$CLIENT_NS" 10.98.2.2
check "and it was counted as unjudged" \
	sh -c "ip netns exec '$ROUTER_NS' '$VPCFW' status --ctl '$CTL' | grep -q '^unjudged.*: [1-9]'"
check "steer off" steer off
finish
