"""Where the current request (or CLI run) came from, for audit rows. Set by middleware and the CLI."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    channel: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "keel_request",
    default=_EMPTY,
)


def current() -> RequestContext:
    return _current.get()


def enter(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    """Make `ctx` current until `leave(token)`: `bind` without the generator, for the middleware every request
    goes through (issue #21)."""
    return _current.set(ctx)


def leave(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)


@contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
