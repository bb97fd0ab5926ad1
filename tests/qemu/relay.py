"""Joins stdin/stdout to a TCP connection to 127.0.0.1:PORT.

QEMU runs it for each guest connection to a `guestfwd=...-cmd:` address
(a `tcp:` chardev would carry only the first), so the firmware's client
reaches a test server on the host's loopback and nowhere else.

    python3 relay.py PORT
"""

import os
import select
import socket
import sys


def main():
    port = int(sys.argv[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.settimeout(None)
        stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
        open_in = True
        while True:
            ready, _, _ = select.select([conn] + ([stdin] if open_in else []), [], [], 30)
            if not ready:
                return  # idle for 30 s: end, QEMU closes the guest's side
            if stdin in ready:
                data = os.read(stdin, 65536)
                if data:
                    conn.sendall(data)
                else:
                    open_in = False
                    conn.shutdown(socket.SHUT_WR)
            if conn in ready:
                data = conn.recv(65536)
                if not data:
                    return
                os.write(stdout, data)


if __name__ == "__main__":
    main()
