"""Celery tasks run in the context of the request that queued them.

`before_task_publish` puts the publisher's request id, tenant and user in the message
headers; `task_prerun` binds them in the worker, so the task's log lines and audit rows
carry the id of the request that started it. A task queued outside any request (beat)
gets an id of its own. Eager tasks run inside the caller's context already.
"""

import contextvars
import logging
import os
from typing import Any

from celery import signals

from meschain import context

logger = logging.getLogger(__name__)

HEADER = "meschain_context"
_tokens: dict[str, contextvars.Token] = {}


def context_headers() -> dict[str, Any]:
    """What a published task carries: the current request id and principal."""
    ctx = context.current()
    if not ctx.request_id:
        return {}
    principal = context.current_principal()
    return {
        "request_id": ctx.request_id,
        "tenant_id": principal.tenant_id,
        "user_id": principal.user_id,
        "api_key": principal.api_key,
    }


@signals.before_task_publish.connect(weak=False)
def _add_context_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    carried = context_headers()
    if headers is not None and carried and HEADER not in headers:
        headers[HEADER] = carried


def _carried(task: Any) -> dict[str, Any]:
    request = getattr(task, "request", None)
    value = getattr(request, HEADER, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(HEADER)  # headers given to apply_async directly
    return value if isinstance(value, dict) else {}


@signals.task_prerun.connect(weak=False)
def _bind_task_context(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    carried = _carried(task)
    if not carried and getattr(getattr(task, "request", None), "is_eager", False):
        return  # runs inside the caller, whose context is already bound
    request_id = str(carried.get("request_id") or "")[:64] or None
    principal = context.Principal(
        tenant_id=carried.get("tenant_id"), user_id=carried.get("user_id"), api_key=carried.get("api_key") or ""
    )
    ctx = context.RequestContext(request_id=request_id or context.new_request_id(), principal=principal)
    if task_id:
        _tokens[task_id] = context.activate(ctx)


@signals.task_postrun.connect(weak=False)
def _unbind_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        context.deactivate(token)


@signals.worker_process_shutdown.connect(weak=False)
def _forget_process_metrics(**kwargs: Any) -> None:
    # imported here: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when first imported,
    # which must be after the settings have read .env
    from meschain import metrics

    metrics.mark_process_dead(os.getpid())
