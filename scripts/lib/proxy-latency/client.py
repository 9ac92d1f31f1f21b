# 100 concurrent streams; per event: arrival minus the upstream's send stamp (ms). Prints p50/p90/p99.
import asyncio, json, sys, time, statistics
PORT, N, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
BODY = b'{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}'
lat = []
async def stream():
    r, w = await asyncio.open_connection("127.0.0.1", PORT)
    for _ in range(ROUNDS):
        w.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(BODY), BODY))
        await r.readuntil(b"\r\n\r\n")
        while True:
            size = int((await r.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await r.readuntil(b"\r\n"); break
            chunk = await r.readexactly(size + 2)
            now = time.monotonic_ns()
            for part in chunk.split(b"\n\n"):
                if part.startswith(b"data: "):
                    lat.append((now - json.loads(part[6:])["t"]) / 1e6)
    w.close()
async def main():
    await asyncio.gather(*[stream() for _ in range(N)])
asyncio.run(main())
lat.sort(); q = lambda p: lat[int(p * (len(lat) - 1))]
print(f"events {len(lat)} p50 {q(0.5):.3f} p90 {q(0.9):.3f} p99 {q(0.99):.3f} ms")
