"""Request-scoped context (request id, client IP, acting user) for logs and audit rows.

Set by RequestContextMiddleware for HTTP requests; Celery tasks carry it from the request
that queued them (meschain/task_context.py), and commands may set it with `bind()` so
their log lines and audit rows carry an id too.
"""

import contextvars
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import LazyObject, empty


@dataclass(frozen=True)
class Principal:
    """Who acts: a tenant, and a user or an API key (by its public prefix)."""

    tenant_id: int | None = None
    user_id: int | None = None
    api_key: str = ""


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    #: the acting principal when known up front (a task queued by a request)
    principal: Principal = field(default_factory=Principal)
    #: the HTTP request, whose user is read once authentication has resolved it
    request: Any = field(default=None, repr=False, compare=False)


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "meschain_request_context",
    default=RequestContext(),  # noqa: B039 (frozen)
)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def current() -> RequestContext:
    return _current.get()


def principal_of(user: Any) -> Principal:
    """The tenant and user (or API key) of an authenticated user or API-key principal."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Principal()
    api_key = getattr(user, "api_key", None)
    return Principal(
        tenant_id=getattr(user, "tenant_id", None),
        user_id=getattr(user, "pk", None),
        api_key=getattr(api_key, "prefix", "") if api_key is not None else "",
    )


def _resolved_user(request: Any) -> Any:
    """request.user if authentication has already resolved it; never queries for it (a
    log line must not hit the database)."""
    user = getattr(request, "__dict__", {}).get("user")
    if isinstance(user, LazyObject) and user._wrapped is empty:
        return None
    return user


def current_principal() -> Principal:
    ctx = current()
    if ctx.request is not None:
        found = principal_of(_resolved_user(ctx.request))
        if found != Principal():
            return found
    return ctx.principal


def activate(ctx: RequestContext) -> contextvars.Token:
    """Make `ctx` current until `deactivate(token)`; for hooks that cannot use `bind()`."""
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    try:
        _current.reset(token)
    except ValueError:  # made current in another context: start clean
        _current.set(RequestContext())


@contextmanager
def bind(
    request_id: str | None = None,
    ip: str | None = None,
    *,
    principal: Principal | None = None,
    request: Any = None,
) -> Iterator[RequestContext]:
    ctx = RequestContext(
        request_id=request_id or new_request_id(), ip=ip, principal=principal or Principal(), request=request
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
