"""What every command shares: settings, an open runtime, and one-line errors with a non-zero exit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn, TypeVar

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console

try:  # installed with uvicorn[standard] wherever it builds (not on Windows)
    import uvloop
except ImportError:  # pragma: no cover - asyncio's own loop then
    uvloop = None  # type: ignore[assignment]

from mailyard import bootstrap
from mailyard.errors import MailyardError
from mailyard.settings import Settings, load_settings

T = TypeVar("T")


class ApiError(Exception):
    """The native API refused a request; `message` is its own error message, one line."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


console = Console()
error_console = Console(stderr=True, soft_wrap=True)  #: an error stays one line, whatever the width


class CommandState:
    """Options of the top-level command, read by the sub-commands."""

    config_file: Path | None = None
    url: str | None = None  #: a remote server's address (else the local database)
    secret_id: str | None = None
    secret_key: str | None = None


state = CommandState()


def settings() -> Settings:
    return load_settings(state.config_file)


def remote_url() -> str | None:
    """The remote server the commands steer (--url or MAILYARD_URL), or None for the local database."""
    return state.url or settings().url


def require_local(command: str) -> None:
    """Commands that act on the local database or files alone refuse --url rather than ignore it."""
    if remote_url():
        fail(f"`mailyard {command}` works on the local database only; drop --url (and MAILYARD_URL)")


@asynccontextmanager
async def opened_runtime() -> AsyncIterator[bootstrap.Runtime]:
    runtime = await bootstrap.open_runtime(settings())
    try:
        yield runtime
    finally:
        await runtime.close()


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; known errors become one line on stderr and exit code 1.

    It runs on uvloop where installed, as uvicorn's own runner would: its loop, transports and hand-offs from
    threads cost less, which gave 6–12 % more SMTP submissions a second (docs/performance.md)."""
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
            return runner.run(_awaited(work))
    except MailyardError as error:
        fail(error.message)
    except ApiError as error:
        fail(error.message)
    except httpx.HTTPError as error:
        fail(f"cannot reach the server: {error}")
    except ValidationError as error:
        fail(f"bad setting: {error.errors()[0].get('msg', error)}")
    except (OSError, ValueError) as error:
        fail(str(error))


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def fail(message: str, *, code: int = 1) -> NoReturn:
    error_console.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)
