"""Request-scoped context (request id, client IP, acting user) for logs and audit rows.

Set by RequestContextMiddleware for HTTP requests; Celery tasks and commands may set it
with `bind()` so their log lines and audit rows carry an id too.
"""

import contextvars
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "meschain_request_context",
    default=RequestContext(),  # noqa: B039 (frozen)
)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def current() -> RequestContext:
    return _current.get()


@contextmanager
def bind(request_id: str | None = None, ip: str | None = None) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or new_request_id(), ip=ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
