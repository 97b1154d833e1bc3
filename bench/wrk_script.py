"""The Lua script that drives `wrk` with one pre-signed request, and the reading of what it prints."""

from __future__ import annotations

import json
from dataclasses import dataclass

# wrk keeps one Lua state per thread: `done` adds up the threads' error counts through `thread:get`.
_CHECKS = """
errors = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  local found = string.find(body, EXPECTED, 1, true)
  if status ~= 200 or (EXPECT_ERROR and not found) or (not EXPECT_ERROR and found) then
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  #: failed connections, non-200 answers and answers with the wrong (or an unexpected) error


def render(body: str, headers: dict[str, str], expect_error: str | None) -> str:
    """A script that POSTs `body` with `headers` and counts answers that are not as expected."""
    lines = ["wrk.method = 'POST'", f"wrk.body = {_lua_string(body)}"]
    lines += [f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}" for name, value in headers.items()]
    expected = '{"Response":{"Error":' if expect_error is None else '"Code":"' + expect_error + '"'
    lines += [f"EXPECT_ERROR = {'false' if expect_error is None else 'true'}", f"EXPECTED = {_lua_string(expected)}"]
    return "\n".join(lines) + _CHECKS


def parse(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith("RESULT "):
            requests, microseconds, p50, p99, errors = line.split()[1:]
            return WrkResult(int(requests), int(microseconds) / 1e6, float(p50), float(p99), int(errors))
    raise RuntimeError(f"wrk printed no result:\n{output}")


def _lua_string(text: str) -> str:
    # A JSON string literal is a valid Lua string literal for the ASCII text used here.
    if not text.isascii():
        raise ValueError("only ASCII text can be passed to the wrk script")
    return json.dumps(text)
