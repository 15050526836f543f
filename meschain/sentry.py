"""Error reporting to Sentry (on when ``SENTRY_DSN`` is set), with secrets scrubbed.

Nothing personal is sent (``send_default_pii=False``), and every event and breadcrumb
passes through `scrub()` before it leaves the process: values under a sensitive key
(passwords, secrets, tokens, API keys, credentials, authorization, cookies, sessions,
signatures) are replaced, and secret-looking parts of any text (``Bearer …``,
``Basic …``, ``api_key=…``, ``user:password@`` in URLs) are masked — in request headers,
cookies, data and query strings, in extra data and contexts, in breadcrumbs and in the
local variables of exception frames.
"""

import re
import warnings
from typing import Any

from meschain import context

FILTERED = "[Filtered]"

SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|api[-_ ]?key|apikey|auth|credential|cookie|session|csrf|xsrf|"
    r"signature|private[-_]?key|jwt|bearer|dsn|encryption[-_]?key",
    re.IGNORECASE,
)
_KEY_WORDS = (
    r"pass(?:word|wd|phrase)?|secret|token|api[-_]?key|apikey|access[-_]?key|client[-_]?secret|"
    r"authorization|auth|credentials?|cookie|session(?:id)?|csrf(?:token)?|signature|jwt|dsn"
)
_SECRET_TEXT = [
    # "Bearer eyJ…", "Basic dXNlcjpwYXNz", "Token abc…"
    (re.compile(r"\b(bearer|basic|token|digest)(\s+)[A-Za-z0-9._~+/=:-]{6,}", re.IGNORECASE), rf"\1\2{FILTERED}"),
    # password=…, "api_key": "…", secret: …, in query strings, reprs and messages
    (
        re.compile(
            rf"""(["']?\b[\w-]*(?:{_KEY_WORDS})[\w-]*["']?\s*[:=]\s*)(b?["']?)([^\s"'&,;)}}\]]+)""",
            re.IGNORECASE,
        ),
        rf"\1\2{FILTERED}",
    ),
    # scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.IGNORECASE), rf"\1{FILTERED}@"),
]


def scrub_text(text: str) -> str:
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any, *, depth: int = 0) -> Any:
    """A copy of `value` (JSON-like) with secrets replaced."""
    if depth > 20:
        return FILTERED
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and SENSITIVE_KEY.search(key) and value[key] not in (None, "")
            else scrub(item, depth=depth + 1)
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list | tuple):
        return [scrub(item, depth=depth + 1) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _scrub_pairs(pairs: Any) -> Any:
    """Headers may come as [[name, value], …]."""
    if isinstance(pairs, list):
        return [
            [pair[0], FILTERED] if isinstance(pair, list | tuple) and len(pair) == 2
            and isinstance(pair[0], str) and SENSITIVE_KEY.search(pair[0]) else scrub(pair)
            for pair in pairs
        ]  # fmt: skip
    return scrub(pairs)


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    crumbs = (event.get("breadcrumbs") or {}).get("values") if isinstance(event.get("breadcrumbs"), dict) else None
    for crumb in crumbs or []:
        _without_cache_keys(crumb)
    if isinstance(request, dict):
        request.pop("cookies", None)
        if "headers" in request:
            request["headers"] = _scrub_pairs(request["headers"])
    scrubbed = scrub(event)
    ctx = context.current()
    principal = context.current_principal()
    tags = scrubbed.setdefault("tags", {})
    if isinstance(tags, dict):
        if ctx.request_id:
            tags.setdefault("request_id", ctx.request_id)
        if principal.tenant_id is not None:
            tags.setdefault("tenant_id", str(principal.tenant_id))
    return scrubbed


def _without_cache_keys(item: Any) -> Any:
    """A Redis breadcrumb or span names only its command: cache keys hold session keys."""
    if not isinstance(item, dict) or "redis" not in f"{item.get('category', '')}{item.get('op', '')}":
        return item
    for text in ("message", "description"):
        if isinstance(item.get(text), str):
            item[text] = item[text].split(" ", 1)[0]
    for values in (item.get("data"), item.get("tags")):
        if isinstance(values, dict):
            for key in [k for k in values if k.startswith(("redis.key", "redis.args", "cache.key", "db.query"))]:
                values[key] = FILTERED
    return item


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub(_without_cache_keys(crumb))


def before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Performance events (when SENTRY_TRACES_SAMPLE_RATE > 0): the same scrubbing."""
    for span in event.get("spans") or []:
        _without_cache_keys(span)
    return before_send(event, hint)


def init_sentry(
    dsn: str,
    *,
    environment: str = "",
    release: str | None = None,
    traces_sample_rate: float = 0.0,
    **options: Any,
) -> None:
    """Start the SDK for Django and Celery. `options` go to `sentry_sdk.init` (tests pass
    a transport)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    denylist = [*DEFAULT_DENYLIST, "api_secret", "client_secret", "access_key", "refresh", "access",
                "signing_key", "encryption_keys", "x_meschain_signature", "x-api-key"]  # fmt: skip
    # send_default_pii is deprecated in favour of data_collection, which turns the event
    # scrubber off: we keep the scrubber and refuse personal data the older way
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The send_default_pii option is deprecated", DeprecationWarning)
        sentry_sdk.init(
            dsn=dsn,
            environment=environment or None,
            release=release or None,
            send_default_pii=False,
            include_local_variables=True,
            max_request_body_size="small",
            traces_sample_rate=traces_sample_rate,
            integrations=[DjangoIntegration(), CeleryIntegration()],
            event_scrubber=EventScrubber(denylist=denylist, recursive=True),
            before_send=before_send,
            before_breadcrumb=before_breadcrumb,
            before_send_transaction=before_send_transaction,
            **options,
        )
