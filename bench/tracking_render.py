"""What tracking costs a copy: render many copies of one compiled message with and without it, in one run.

Usage: python bench/tracking_render.py [--copies 20000] [--rounds 5]

The message is the delivery benchmark's (a text part and an HTML part with five links, about 5 KB), compiled
once as the sending service compiles a run's message; tracking rewrites that HTML once and then adds one MAC
per copy. Prints microseconds per copy both ways (CPU time, medians of interleaved rounds) and the ratio of the rates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import harness

from mailyard.domain.tracking import CopyRef, TrackingOptions
from mailyard.mail import mime
from mailyard.services.tracking import TrackingLinks
from mailyard.system.signing import HmacSigner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--copies", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    links = TrackingLinks(HmacSigner(b"k" * 32, purpose="bench"), "https://mail.example.com")
    html = harness.template_html(2560)
    plain = _compiled(html)
    tracked = _compiled(links.rewrite(html, 1, TrackingOptions()))
    untracked_times, tracked_times = [], []
    for _round in range(arguments.rounds):
        untracked_times.append(_render(plain, None, arguments.copies))
        tracked_times.append(_render(tracked, links, arguments.copies))
    without, with_tracking = statistics.median(untracked_times), statistics.median(tracked_times)
    print(f"untracked: {without * 1e6:.1f} µs per copy")
    print(f"tracked:   {with_tracking * 1e6:.1f} µs per copy")
    print(f"tracking adds {(with_tracking - without) * 1e6:.1f} µs of CPU per copy")
    print(f"ratio of render rates (tracked / untracked): {without / with_tracking:.3f}")


def _compiled(html: str) -> mime.CompiledMessage:
    blueprint = mime.MessageBlueprint(
        from_address="news@bench.example",
        subject="Hello {{name}}",
        text=harness.template_text(2560),
        html=html,
        message_id_domain="bench.example",
    )
    return mime.compile_message(blueprint)


def _render(message: mime.CompiledMessage, links: TrackingLinks | None, copies: int) -> float:
    moment = datetime(2026, 12, 7, tzinfo=UTC)
    started = time.process_time()  # CPU time of this process: steady on a shared machine
    for number in range(copies):
        values = {"name": f"Reader {number}", "n": str(number % 97)}
        if links is not None:
            values = links.copy_values(values, CopyRef(delivery_id=number + 1, run_id=1))
        message.render(
            recipient=f"r{number}@example.org", values=values, message_id=f"{number}.bench@bench.example", date=moment
        )
    return (time.process_time() - started) / copies


if __name__ == "__main__":
    main()
