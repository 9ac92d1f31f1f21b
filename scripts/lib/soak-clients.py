#!/usr/bin/env python3
"""Mixed, misbehaving load for scripts/soak: CONCURRENCY clients for SECONDS against a server.

    python3 soak-clients.py HOST PORT SECONDS CONCURRENCY SEED

The server's script answers "soak" with a few dozen words and "big" with a long text
(scripts/soak writes it). Each client repeatedly picks one of these (seeded, so a run can be repeated):

  chat        non-streaming OpenAI chat completion, read whole (keep-alive)
  stream      OpenAI stream paced at 1 ms per word, read to the end
  anthropic   Anthropic messages stream, read to the end
  fin         stream, then close (FIN) after a few events
  rst         stream, then reset (RST) after a few events
  slow        stream read 512 bytes at a time with pauses
  stuck       big unpaced stream to a client that stops reading, then resets
  malformed   a request the parser refuses: expects a 400 and a closed connection
  idle        connect, send nothing, close
  partial     half a request head, then close

Prints one JSON line with the count of each kind and the failures (a kind that did not get what
the server must send: a status, the stream terminator, a close). Exits 1 if any failed.
Standard library only; only ever connects to HOST.
"""

import asyncio
import json
import random
import socket
import struct
import sys
import time

def chat_request(stream, headers="", prompt="soak"):
    body = json.dumps({"model": "gpt-4o-mini", "stream": stream,
                       "messages": [{"role": "user", "content": prompt}]})
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def anthropic_request():
    body = json.dumps({"model": "claude-3-5-haiku-latest", "max_tokens": 100, "stream": True,
                       "messages": [{"role": "user", "content": "soak"}]})
    return (f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: 1\r\nx-mockllm-chunking: word\r\n"
            f"anthropic-version: 2023-06-01\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()


PACED = chat_request(True, "x-mockllm-itl-ms: 1\r\nx-mockllm-chunking: word\r\n")
UNPACED_BIG = chat_request(True, "x-mockllm-chunking: character\r\n", prompt="big")
PLAIN = chat_request(False)
MALFORMED = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"


class Failure(Exception):
    pass


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.lower()


async def read_to_terminator(reader, terminator):
    status, head = await read_head(reader)
    if status != 200:
        raise Failure(f"status {status}")
    seen = b""
    while not seen.endswith(b"0\r\n\r\n"):
        data = await reader.read(65536)
        if not data:
            raise Failure("closed before the last chunk")
        seen = (seen + data)[-4096:]
    if terminator not in seen:
        raise Failure("no terminator")


def reset(writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def run_one(kind, host, port, rng):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    try:
        if kind == "chat":
            for _ in range(rng.randint(1, 5)):
                writer.write(PLAIN)
                status, head = await read_head(reader)
                length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                if status != 200:
                    raise Failure(f"status {status}")
        elif kind == "stream":
            writer.write(PACED)
            await read_to_terminator(reader, b"[DONE]")
        elif kind == "anthropic":
            writer.write(anthropic_request())
            await read_to_terminator(reader, b"message_stop")
        elif kind in ("fin", "rst"):
            writer.write(PACED)
            await read_head(reader)
            for _ in range(rng.randint(1, 20)):
                if not await reader.read(256):
                    raise Failure("closed mid-stream")
            if kind == "rst":
                reset(writer)
                return
        elif kind == "slow":
            writer.write(PACED)
            await read_head(reader)
            while True:
                data = await reader.read(512)
                if not data:
                    raise Failure("closed mid-stream")
                if data.endswith(b"0\r\n\r\n"):
                    break
                await asyncio.sleep(0.002)
        elif kind == "stuck":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            writer.write(UNPACED_BIG)
            await read_head(reader)
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            reset(writer)
            return
        elif kind == "malformed":
            writer.write(MALFORMED)
            status, _ = await read_head(reader)
            if status != 400:
                raise Failure(f"status {status}")
            while await reader.read(65536):
                pass  # the server must close
        elif kind == "idle":
            await asyncio.sleep(rng.uniform(0, 0.05))
        elif kind == "partial":
            writer.write(PLAIN[: rng.randint(1, 40)])
            await asyncio.sleep(rng.uniform(0, 0.05))
        writer.close()
    except BaseException:
        writer.transport.abort()
        raise


KINDS = ["chat", "stream", "anthropic", "fin", "rst", "slow", "stuck", "malformed", "idle", "partial"]
WEIGHTS = [20, 15, 10, 10, 10, 5, 3, 10, 8, 9]


async def client(host, port, until, rng, counts, failures):
    while time.monotonic() < until:
        kind = rng.choices(KINDS, WEIGHTS)[0]
        try:
            await asyncio.wait_for(run_one(kind, host, port, rng), timeout=30)
            counts[kind] = counts.get(kind, 0) + 1
        except (Failure, asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError, OSError) as error:
            key = f"{kind}: {type(error).__name__} {error}"[:120]
            failures[key] = failures.get(key, 0) + 1


async def main():
    host, port, seconds, concurrency, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    until = time.monotonic() + seconds
    counts, failures = {}, {}
    await asyncio.gather(*(client(host, port, until, random.Random(seed * 1000 + i), counts, failures)
                           for i in range(concurrency)))
    print(json.dumps({"counts": counts, "total": sum(counts.values()), "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
