#!/usr/bin/env python3
"""Holds N idle keep-alive HTTP/1.1 connections open on a server, for the benchmark.

    python3 idle-connections.py HOST PORT N HOLD_SECONDS

Opens N TCP connections to HOST:PORT (in batches, so the server's listen backlog is never
overrun), sends `GET /health HTTP/1.1` with keep-alive on each and reads each complete
response, so that every connection is then an idle keep-alive connection on the server.
Prints `ready N` on stdout once they all are, then holds them for HOLD_SECONDS or until stdin
reaches EOF, whichever comes first, closes them and exits 0. Stdin counts only when it is a pipe,
FIFO, socket or terminal: /dev/null (what a background job of a non-interactive shell gets) or
a file is ignored, so that the connections are held the full time. Exits 1 with a message on stderr
if fewer than N connections could be established (or answered).

Standard library only. Only ever connects to the HOST given.
"""

import errno
import os
import resource
import selectors
import socket
import stat
import sys
import time

BATCH = 500                # connections in flight (connecting or awaiting their answer) at once
SETUP_TIMEOUT = 120.0      # seconds for all N connections to be established and answered
RESPONSE_LIMIT = 65536     # bytes: a /health answer is far smaller


def fail(message):
    print(f"idle-connections: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        fail(f"{needed} connections need {needed} file descriptors, but the limit is {soft} (ulimit -n)")


def response_complete(data):
    """Whether `data` holds one complete response with a Content-Length (or no) body."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end].decode("latin-1").split("\r\n")
    if not head[0].startswith("HTTP/1.1 200"):
        raise ValueError(f"unexpected answer: {head[0]!r}")
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            raise ValueError("the server closes the connection after /health")
        elif name == "transfer-encoding":
            raise ValueError("a chunked /health answer is not expected")
    return len(data) >= end + 4 + length


def stdin_is_a_channel():
    """Whether stdin is a pipe, FIFO, socket or terminal, whose EOF means "let go now".

    /dev/null, a regular file or a closed stdin are at EOF from the start (a background job of a
    non-interactive shell gets /dev/null): then only HOLD_SECONDS counts."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(0)


class Pending:
    __slots__ = ("sock", "sent", "received")

    def __init__(self, sock):
        self.sock = sock
        self.sent = 0
        self.received = b""


def main():
    if len(sys.argv) != 5:
        print("usage: idle-connections.py HOST PORT N HOLD_SECONDS", file=sys.stderr)
        sys.exit(2)
    host = sys.argv[1]
    try:
        port = int(sys.argv[2])
        count = int(sys.argv[3])
        hold = float(sys.argv[4])
    except ValueError:
        print("usage: idle-connections.py HOST PORT N HOLD_SECONDS (PORT, N: integers)", file=sys.stderr)
        sys.exit(2)
    if count < 0 or hold < 0:
        fail("N and HOLD_SECONDS must not be negative")
    raise_fd_limit(count + 64)

    request = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    address = (host, port)
    selector = selectors.DefaultSelector()
    idle = []            # established, answered, now idle
    in_flight = 0
    started = 0
    errors = {}
    deadline = time.monotonic() + SETUP_TIMEOUT

    def drop(pending, reason):
        nonlocal in_flight
        errors[reason] = errors.get(reason, 0) + 1
        selector.unregister(pending.sock)
        pending.sock.close()
        in_flight -= 1

    while len(idle) + sum(errors.values()) < count:
        # Keep at most BATCH connections in progress.
        while started < count and in_flight < BATCH:
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            started += 1
            in_flight += 1
            pending = Pending(sock)
            err = sock.connect_ex(address)
            if err not in (0, errno.EINPROGRESS, errno.EAGAIN):
                errors[os.strerror(err)] = errors.get(os.strerror(err), 0) + 1
                sock.close()
                in_flight -= 1
                continue
            selector.register(sock, selectors.EVENT_WRITE, pending)
        if time.monotonic() > deadline:
            break
        for key, events in selector.select(timeout=1.0):
            pending = key.data
            sock = pending.sock
            if events & selectors.EVENT_WRITE:
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    drop(pending, f"connect: {os.strerror(err)}")
                    continue
                try:
                    pending.sent += sock.send(request[pending.sent:])
                except BlockingIOError:
                    continue
                except OSError as e:
                    drop(pending, f"send: {e.strerror}")
                    continue
                if pending.sent == len(request):
                    selector.modify(sock, selectors.EVENT_READ, pending)
            elif events & selectors.EVENT_READ:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError as e:
                    drop(pending, f"recv: {e.strerror}")
                    continue
                if not data:
                    drop(pending, "closed by the server before answering")
                    continue
                pending.received += data
                try:
                    done = response_complete(pending.received)
                except ValueError as e:
                    drop(pending, str(e))
                    continue
                if len(pending.received) > RESPONSE_LIMIT:
                    drop(pending, "answer too long")
                    continue
                if done:
                    selector.unregister(sock)
                    in_flight -= 1
                    idle.append(sock)

    if len(idle) < count:
        stuck = in_flight
        for key in list(selector.get_map().values()):
            key.data.sock.close()
        for sock in idle:
            sock.close()
        reasons = ", ".join(f"{n} x {reason}" for reason, n in sorted(errors.items()))
        if stuck:
            reasons = (reasons + ", " if reasons else "") + f"{stuck} not answered within {SETUP_TIMEOUT:.0f} s"
        fail(f"only {len(idle)} of {count} connections to {host}:{port} were established and answered ({reasons})")
    selector.close()

    print(f"ready {len(idle)}", flush=True)

    # Hold: until HOLD_SECONDS pass or stdin reaches EOF. A connection the server closes
    # meanwhile is reported but does not change the exit code.
    watch = selectors.DefaultSelector()
    stdin_open = stdin_is_a_channel()
    if stdin_open:
        watch.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    for sock in idle:
        watch.register(sock, selectors.EVENT_READ, sock)
    closed_by_server = 0
    end = time.monotonic() + hold
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready = watch.select(timeout=min(left, 1.0))
        stop = False
        for key, _ in ready:
            if key.data is None:
                if not os.read(sys.stdin.fileno(), 4096):
                    stop = True
            else:
                sock = key.data
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    closed_by_server += 1
                    watch.unregister(sock)
        if stop:
            break
    if stdin_open:
        watch.unregister(sys.stdin.fileno())
    watch.close()
    for sock in idle:
        sock.close()
    if closed_by_server:
        print(f"idle-connections: the server closed {closed_by_server} of {count} idle connections while held",
              file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
