"""A small HTTP server that takes POSTs as fast as it can and counts them: the receiver of bench-webhooks.

Usage: python bench/webhook_sink.py PORT. `GET /stats` answers {"count": N, "first": t0, "last": t1} (monotonic
seconds); `DELETE /stats` resets them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

stats = {"count": 0, "first": 0.0, "last": 0.0}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            length = next(
                (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0
            )
            if length:
                await reader.readexactly(length)
            body = b"ok"
            if method == "POST":
                now = time.monotonic()
                stats["first"] = stats["first"] or now
                stats["last"] = now
                stats["count"] += 1
            elif method == "GET":
                body = json.dumps(stats).encode()
            elif method == "DELETE":
                stats.update(count=0, first=0.0, last=0.0)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
