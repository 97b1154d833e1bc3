"""A small SMTP relay that misbehaves one way, for `make soak`: plain asyncio, loopback only.

    python bench/fault_relay.py --port 2525 --fault greeting-421 --out received.tsv

Faults: none, greeting-421, data-451 (after the message), drop-in-data, reject-one (550 to the recipients
whose address starts with "bad"), auth-535, stall (accepts the connection and never answers). Accepted
recipients are recorded one a line in --out. Prints "ready" once listening.
"""

from __future__ import annotations

import argparse
import asyncio

FAULTS = ("none", "greeting-421", "data-451", "drop-in-data", "reject-one", "auth-535", "stall")


class Session:
    def __init__(self, fault: str, out_path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.fault, self.out_path, self.reader, self.writer = fault, out_path, reader, writer
        self.recipients: list[str] = []

    async def say(self, line: str) -> None:
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    async def run(self) -> None:
        if self.fault == "stall":
            await asyncio.sleep(3600)
            return
        if self.fault == "greeting-421":
            await self.say("421 4.3.2 service busy, come back later")
            return
        await self.say("220 fault.relay ESMTP")
        while line := await self.reader.readline():
            if not await self.command(line.decode("latin-1").rstrip("\r\n")):
                return

    async def command(self, line: str) -> bool:
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            await self.say("250-fault.relay\r\n250-AUTH PLAIN\r\n250 8BITMIME")
        elif verb == "AUTH":
            await self.say("535 5.7.8 authentication credentials invalid" if self.fault == "auth-535" else "235 ok")
        elif verb in ("MAIL", "RSET", "NOOP"):
            self.recipients = [] if verb != "NOOP" else self.recipients
            await self.say("250 2.0.0 ok")
        elif verb == "RCPT":
            address = line.partition(":")[2].strip().strip("<>")
            if self.fault == "reject-one" and address.startswith("bad"):
                await self.say("550 5.1.1 no such user")
            else:
                self.recipients.append(address)
                await self.say("250 2.1.5 ok")
        elif verb == "DATA":
            return await self.data()
        elif verb == "QUIT":
            await self.say("221 bye")
            return False
        else:
            await self.say("502 5.5.2 not implemented")
        return True

    async def data(self) -> bool:
        if not self.recipients:
            await self.say("554 5.5.1 no valid recipients")
            return True
        await self.say("354 go ahead")
        if self.fault == "drop-in-data":
            await self.reader.readline()
            self.writer.close()
            return False
        while await self.reader.readline() not in (b".\r\n", b""):
            pass
        if self.fault == "data-451":
            await self.say("451 4.3.0 temporary failure after the message")
            return True
        with open(self.out_path, "a", encoding="utf-8") as out:  # noqa: ASYNC230 - a few bytes, loopback tool
            out.write("".join(f"{address}\n" for address in self.recipients))
        await self.say("250 2.0.0 queued")
        return True


async def serve(port: int, fault: str, out_path: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await Session(fault, out_path, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fault", choices=FAULTS, default="none")
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    asyncio.run(serve(options.port, options.fault, options.out))


if __name__ == "__main__":
    main()
