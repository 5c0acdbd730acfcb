#!/usr/bin/python3
"""tcp-peer.py PORT IFACE - a TCP server for t-tcp-rst.sh that can also forge
resets of its own connection.

Listens on IPv4 PORT, accepts one connection, prints "accepted" and then
"got LINE" for every line the client sends. Commands on stdin, one a line:

  push TEXT    send TEXT and a newline to the client
  rst DELTA    send a RST from the server's address and port to the client
               with sequence number snd_nxt + DELTA (mod 2^32), crafted
               with scapy like an off-path host would; prints "rst SEQ"

snd_nxt is learnt by sniffing IFACE: the end (seq + length, +1 for SYN and
FIN) of the last segment the server sent. Python's socket API does not
expose it; sniffing shows what an on-path observer would know.

Needs Debian's python3-scapy, which is for /usr/bin/python3.
"""
import socket
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, conf, send

conf.verb = 0
port = int(sys.argv[1])
iface = sys.argv[2]
snd_nxt = None
lock = threading.Lock()


def out(line):
    print(line, flush=True)


def seen(pkt):
    """Remember where the server's sequence numbers are."""
    global snd_nxt
    if IP not in pkt or TCP not in pkt or pkt[TCP].sport != port:
        return
    t = pkt[TCP]
    if t.flags.R:
        return      # our own forgeries
    end = t.seq + len(t.payload) + (1 if t.flags.S else 0) + (1 if t.flags.F else 0)
    end &= 0xFFFFFFFF
    with lock:
        # Keep the highest, in sequence space: retransmissions come earlier.
        if snd_nxt is None or ((end - snd_nxt) & 0xFFFFFFFF) < 0x80000000:
            snd_nxt = end


def reader(conn):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            out("eof")
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out("got " + line.decode(errors="replace"))


def main():
    started = threading.Event()
    sniffer = AsyncSniffer(iface=iface, prn=seen, store=False,
                           started_callback=started.set)
    sniffer.start()
    if not started.wait(10):
        out("error: sniffer did not start")
        return 1
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(1)
    out("listening")
    conn, peer = srv.accept()
    local = conn.getsockname()
    out("accepted")
    threading.Thread(target=reader, args=(conn,), daemon=True).start()
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "push":
            conn.sendall(arg.encode() + b"\n")
        elif cmd == "rst":
            time.sleep(0.2)     # the sniffer has seen the last segment
            with lock:
                seq = (snd_nxt + int(arg)) & 0xFFFFFFFF
            send(IP(src=local[0], dst=peer[0]) /
                 TCP(sport=local[1], dport=peer[1], flags="R", seq=seq))
            out("rst %d" % seq)
    sniffer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
