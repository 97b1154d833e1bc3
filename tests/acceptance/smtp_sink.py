"""An SMTP sink in its own process for the acceptance tests: accepts everything, records each copy.

Every recipient of every message becomes one line `recipient<TAB>message-id` in the output file, flushed at
once so the test can follow progress. `--delay` holds each message that long before answering, so a test can
catch messages in flight.

    python tests/acceptance/smtp_sink.py --port 2525 --out received.tsv [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
from typing import Any, TextIO

from aiosmtpd.smtp import SMTP

MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>\r\n]+)>", re.MULTILINE | re.IGNORECASE)


class Recorder:
    def __init__(self, out: TextIO, delay: float) -> None:
        self._out = out
        self._delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._delay:
            await asyncio.sleep(self._delay)
        found = MESSAGE_ID.search(envelope.content)
        message_id = found.group(1).decode() if found else "-"
        self._out.write("".join(f"{rcpt}\t{message_id}\n" for rcpt in envelope.rcpt_tos))
        self._out.flush()
        return "250 2.0.0 OK"


async def serve(port: int, out: TextIO, delay: float) -> None:
    recorder = Recorder(out, delay)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(recorder, hostname="sink.test", ident="mailyard test sink"), "127.0.0.1", port
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    options = parser.parse_args()
    with open(options.out, "a", encoding="utf-8") as out:
        asyncio.run(serve(options.port, out, options.delay))


if __name__ == "__main__":
    main()
