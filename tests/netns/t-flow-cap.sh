#!/bin/bash
#
# t-flow-cap.sh - the connection-tracking allowance (doc/aws-semantics.md 3.8):
# once the flow table is full, packets that would start a new tracked flow
# are dropped and counted (conntrack_allowance_exceeded, and
# conntrack_allowance_available reads 0); flows already tracked carry on,
# nothing is evicted, not even flows never answered; untracked flows (rules
# open both ways) use none of the allowance. --evict-unestablished brings
# back conntrack's early drop: an unanswered flow gives way.
#
#   peer: sessions 1 and 2 fill the table  ====>  host:80
#         a third connection                --X->  (vpcfw --max-flows 2)
#   peer: a bulk transfer fills the table  ====>  host:80 (--max-flows 1)
#         a new connection during it       --X->  (the transfer goes on)
#   peer: 16 unanswered UDP flows          ====>  host:9 (nobody listens)
#         a new connection                 --X->  host:80 (--max-flows 16)
#                                          ---->  (... --evict-unestablished)
. "$(dirname "$0")/lib.sh"

setup_topology
serve_tcp "$HOST_NS" 80

S="$TMPD/sg.json"
sg_json "$S" "in tcp:80 $NET4" "in tcp:80 $NET6"
engine_start --max-flows 2 --sg "$S"
steer on

session_open s1 "$PEER_NS" "$H4" 80
session_ok "IPv4 session 1 open" s1
session_open s2 "$PEER_NS" "$H6" 80
session_ok "IPv6 session 2 open" s2
exceeded=$(counter flows conntrack_allowance_exceeded)
check "status shows conntrack_allowance_exceeded" test "$exceeded" -ge 0
tcp_fails "IPv4: a third connection times out (table full)" "$PEER_NS" "$H4" 80
tcp_fails "IPv6: so does a fourth" "$PEER_NS" "$H6" 80
check "conntrack_allowance_exceeded moved" \
	test "$(counter flows conntrack_allowance_exceeded)" -gt "$exceeded"
check "conntrack_allowance_available reads 0" \
	test "$(counter flows conntrack_allowance_available)" = 0
check "show stats --json: available 0" test "$(in_host "$VPCFW" show stats --json --ctl "$CTL" |
	jq .flows.conntrack_allowance_available)" = 0
check "show metrics: vpcfw_conntrack_allowance_available 0" bash -c \
	"ip netns exec $HOST_NS $VPCFW show metrics --ctl $CTL | grep -qx 'vpcfw_conntrack_allowance_available 0'"
session_ok "IPv4 session 1 still works" s1
session_ok "IPv6 session 2 still works" s2

say "rules open both ways: new flows are untracked and need no room"
sg_json "$S" "in tcp:80 0.0.0.0/0" "in tcp:80 ::/0" "out all 0.0.0.0/0" "out all ::/0"
check "reload exits 0" engine_reload
tcp_ok "IPv4: a new untracked connection works with the table full" "$PEER_NS" "$H4" 80
tcp_ok "IPv6: likewise" "$PEER_NS" "$H6" 80
session_ok "IPv4 session 1 still works" s1
check "nothing was evicted" test "$(counter flows evicted)" = 0

say "AWS: at the cap a new connection fails while an established bulk transfer goes on"
engine_stop
sg_json "$S" "in tcp:80 $NET4" "in tcp:8080 $NET4"
engine_start --max-flows 1 --sg "$S"
# bulk.py serve PORT FILE: take one connection, count what arrives, write the
#   total to FILE when the sender closes.
# bulk.py send ADDR PORT SECS FILE: send 64 KiB writes for SECS seconds,
#   appending the bytes sent so far to FILE every 100 ms, then the total.
# (Not socat's PIPE echo: it deadlocks on itself under a bulk load.)
cat >"$TMPD/bulk.py" <<'PY'
import socket, sys, time
if sys.argv[1] == "serve":
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(sys.argv[2])))
    ls.listen(1)
    c, _ = ls.accept()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        n += len(b)
    open(sys.argv[3], "w").write("%d\n" % n)
else:
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    sent, chunk, end, mark = 0, b"x" * 65536, time.time() + float(sys.argv[4]), 0.0
    with open(sys.argv[5], "w", buffering=1) as f:
        while time.time() < end:
            s.sendall(chunk)
            sent += len(chunk)
            if time.time() >= mark:
                f.write("%d\n" % sent)
                mark = time.time() + 0.1
        s.close()
        f.write("%d\n" % sent)
PY
bg "$HOST_NS" python3 "$TMPD/bulk.py" serve 8080 "$TMPD/bulk.got"
wait_for 5 listening "$HOST_NS" -t 8080 || hard_error "bulk server did not start"
ip netns exec "$PEER_NS" python3 "$TMPD/bulk.py" send "$H4" 8080 6 "$TMPD/bulk.sent" \
	2>"$TMPD/bulk.err" &
BULK=$!
PIDS+=("$BULK")
bulk_sent() { tail -n1 "$TMPD/bulk.sent" 2>/dev/null || echo 0; }
bulk_past() { [ "$(bulk_sent)" -gt "$1" ]; }
check "the bulk transfer is moving" wait_for 5 bulk_past 1000000
before=$(bulk_sent)
exceeded=$(counter flows conntrack_allowance_exceeded)
tcp_fails "a new connection during the transfer fails (table full)" "$PEER_NS" "$H4" 80
check "conntrack_allowance_exceeded moved" \
	test "$(counter flows conntrack_allowance_exceeded)" -gt "$exceeded"
check "the transfer went on meanwhile" wait_for 5 bulk_past "$before"
check "the sender finished without an error" wait "$BULK"
bulk_got_all() { [ "$(cat "$TMPD/bulk.got" 2>/dev/null)" = "$(bulk_sent)" ]; }
check "the receiver got every byte sent ($(bulk_sent))" wait_for 10 bulk_got_all
check "nothing was evicted" test "$(counter flows evicted)" = 0

stats_json() { in_host "$VPCFW" show stats --json --ctl "$CTL" | jq "$1"; }

# udp_fill N: N one-way UDP flows from peer to host:9 (no reply: unestablished).
udp_fill() {
	in_peer python3 -c '
import socket, sys
socks = []
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", (sys.argv[2], 9))
    socks.append(s)' "$1" "$H4"
}

say "AWS: a table full of unanswered flows still refuses a new one"
sg_json "$S" "in tcp:80 $NET4" "in udp:9 $NET4"
engine_stop
engine_start --max-flows 16 --sg "$S"
udp_fill 16
check "16 unestablished flows fill the table" test "$(stats_json .flows.count)" = 16
tcp_fails "a new connection is refused" "$PEER_NS" "$H4" 80
check "conntrack_allowance_exceeded moved" test "$(counter flows conntrack_allowance_exceeded)" -gt 0
check "nothing was evicted" test "$(counter flows evicted)" = 0

say "--evict-unestablished: an unanswered flow gives way"
engine_stop
engine_start --max-flows 16 --evict-unestablished --sg "$S"
check "show stats names the choice" bash -c \
	"ip netns exec $HOST_NS $VPCFW status --ctl $CTL | grep -q 'at the cap: evict unestablished'"
udp_fill 16
check "16 unestablished flows fill the table" test "$(stats_json .flows.count)" = 16
tcp_ok "a new connection evicts one" "$PEER_NS" "$H4" 80
check "evictions moved" test "$(counter flows evicted)" -gt 0

finish
