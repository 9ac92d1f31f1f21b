# An SSE upstream stamping each event with its send time (CLOCK_MONOTONIC, ns): 40 events, 20 ms apart.
import asyncio, sys, time
async def handle(r, w):
    try:
        while True:
            head = await r.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
            if length: await r.readexactly(length)
            w.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            start = time.monotonic()
            for i in range(40):
                await asyncio.sleep(max(0, start + 0.002 + i * 0.02 - time.monotonic()))
                data = b'data: {"t":%d}\n\n' % time.monotonic_ns()
                w.write(b"%x\r\n%s\r\n" % (len(data), data))
                await w.drain()
            w.write(b"0\r\n\r\n"); await w.drain()
    except Exception:
        w.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server: await server.serve_forever()
asyncio.run(main())
