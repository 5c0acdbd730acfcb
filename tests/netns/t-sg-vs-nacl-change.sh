#!/bin/bash
#
# t-sg-vs-nacl-change.sh - rule changes and open sessions
# (doc/aws-semantics.md 3.5, 1.1, classic mistake 4.2.6):
#   - removing the SG rule that admitted a tracked session leaves the session
#     open until it idles out; only new connections are refused;
#   - a NACL deny cuts the same session at once;
#   - an untracked session (rules open in both directions) is cut at once
#     when its SG rule goes.
#
#   peer: long-lived TCP sessions  ======>  host:80 echo server
#                                           vpcfw --nacl N --sg S
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80

N="$TMPD/nacl.json"
S="$TMPD/sg.json"
open_nacl=("in 100 allow all 0.0.0.0/0" "in 101 allow all ::/0"
	   "out 100 allow all 0.0.0.0/0" "out 101 allow all ::/0")
nacl_json "$N" "${open_nacl[@]}"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6"
engine_start --nacl "$N" --sg "$S"
steer on

say "tracked sessions, then the SG rule is removed"
session_open s4 "$PEER_NS" "$H4" 80
session_open s6 "$PEER_NS" "$H6" 80
session_ok "IPv4 session open" s4
session_ok "IPv6 session open" s6
sg_json "$S" "in tcp:22 $NET4" "in tcp:22 $NET6"
check "reload without the HTTP rule exits 0" engine_reload
session_ok "IPv4 session still works after the SG rule is gone" s4
session_ok "IPv6 session still works after the SG rule is gone" s6
tcp_fails "IPv4: a new connection times out" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: a new connection times out" "$PEER_NS" "$H6" 80
session_ok "IPv4 session still works" s4

say "a NACL deny is added"
nacl_json "$N" "in 90 deny all $P4/32" "in 91 deny all $P6/128" "${open_nacl[@]}"
check "reload with the NACL deny exits 0" engine_reload
session_fails "IPv4 session cut at once by the NACL deny" s4
session_fails "IPv6 session cut at once by the NACL deny" s6

say "untracked sessions (open both ways), then the SG rule is removed"
nacl_json "$N" "${open_nacl[@]}"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in tcp:80 ::/0" "out all 0.0.0.0/0" "out all ::/0"
check "reload with open rules exits 0" engine_reload
session_open u4 "$PEER_NS" "$H4" 80
session_open u6 "$PEER_NS" "$H6" 80
session_ok "IPv4 untracked session open" u4
session_ok "IPv6 untracked session open" u6
sg_json "$S" "in tcp:22 0.0.0.0/0" "in tcp:22 ::/0" "out all 0.0.0.0/0" "out all ::/0"
check "reload without the HTTP rule exits 0" engine_reload
session_fails "IPv4 untracked session cut at once" u4
session_fails "IPv6 untracked session cut at once" u6

finish
