"""Fixed-count HTTP load for the callgrind count of `cargo xtask bench overhead`'s endpoint.

Sends exactly COUNT identical `POST /api/tasks` requests (the benchmark's body
and the server's printed cookie) over CONNS keep-alive connections, COUNT /
CONNS each, and fails unless every answer is a 201. Instruction counts do not
depend on how fast this runs, so plain sockets and threads are enough.

usage: load.py PORT COOKIE COUNT CONNS
"""

import socket
import sys
import threading

BODY = b'{"title":"Write the release notes","description":"For version 1.2","status":"in_progress","tags":["docs","release"]}'


def request(cookie: str) -> bytes:
    head = (
        "POST /api/tasks HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"Cookie: {cookie}\r\n"
        f"Content-Length: {len(BODY)}\r\n"
        "\r\n"
    )
    return head.encode() + BODY


def read_response(sock: socket.socket, buf: bytearray) -> int:
    """Reads one response (Content-Length framed) and returns its status."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end]).decode("latin-1")
    status = int(head.split(" ", 2)[1])
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(buf) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed mid-body")
        buf += chunk
    del buf[: end + length]
    return status


def worker(port: int, req: bytes, n: int, failures: list) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        for _ in range(n):
            sock.sendall(req)
            status = read_response(sock, buf)
            if status != 201:
                failures.append(status)


def main() -> None:
    port, cookie, count, conns = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if count % conns:
        sys.exit(f"COUNT ({count}) must be a multiple of CONNS ({conns})")
    req = request(cookie)
    failures: list = []
    threads = [
        threading.Thread(target=worker, args=(port, req, count // conns, failures))
        for _ in range(conns)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit(f"{len(failures)} of {count} answers were not 201 (first: {failures[0]})")


if __name__ == "__main__":
    main()
