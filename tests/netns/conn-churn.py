#!/usr/bin/python3
"""conn-churn.py ADDR PORT COUNT [RST_EVERY] - short TCP connections, one
after another, for t-week.sh: connect, send one byte, read the one byte the
echo server sends back, close. Every RST_EVERY-th connection (default 0:
none) is closed with a reset (SO_LINGER 0) instead of a FIN, as a client
that gives up does. Prints "ok N failed M" and, for the first failure, what
went wrong. Exit 0 when every connection worked.
"""
import socket
import struct
import sys


def one(addr, port, reset):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                      socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((addr, port))
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise OSError("no echo")
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
    finally:
        s.close()


def main():
    addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rst_every = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    ok = failed = 0
    first = None
    for i in range(count):
        try:
            one(addr, port, rst_every and i % rst_every == rst_every - 1)
            ok += 1
        except OSError as e:
            failed += 1
            if first is None:
                first = "connection %d: %s" % (i, e)
    print("ok %d failed %d" % (ok, failed), flush=True)
    if first:
        print("first failure: " + first, flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
