"""What the parts of the Trendyol sandbox share: its error answers, a seller account's state
and small helpers for times, amounts and query parameters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from marketplaces.sandbox import base

MAX_STOCK = 20000


def error_body(exception: str, message: str, key: str | None = None, now_ms: int | None = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {
        "timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
        "exception": exception,
        "errors": [{"key": key or exception, "message": message, "errorParams": []}],
    }


class SandboxError(base.SandboxError):
    """An error answer: HTTP status, Trendyol-style exception name and message (the body is
    :func:`error_body`; the sandbox stamps it with its own clock)."""

    def __init__(self, status: int, exception: str, message: str, key: str | None = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(status, error_body(exception, message, key), headers)
        self.args = (message,)
        self.exception = exception
        self.message = message
        self.key = key or exception


@dataclass
class Seller:
    """One seller account: its credentials and everything the sandbox keeps for it."""

    seller_id: str
    api_key: str
    api_secret: str
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_price_items: dict[str, float] = field(default_factory=dict)  # fingerprint -> time
    packages: dict[int, dict[str, Any]] = field(default_factory=dict)
    rate_windows: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (minute, count)


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def money(value: float) -> float:
    return round(value + 0.0, 2)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values or values[0] == "":
        return default
    try:
        return int(values[0])
    except ValueError as exc:
        raise SandboxError(400, "BadRequestException", f"{name} must be a whole number.") from exc


def page_of(rows: list[Any], page: int, size: int, total: int | None = None, sliced: bool = False) -> dict[str, Any]:
    """A Trendyol page: ``rows`` are all rows (sliced here) or, with ``sliced``, this page's."""
    total = len(rows) if total is None else total
    content = rows if sliced else rows[page * size:(page + 1) * size]
    return {"page": page, "size": size, "totalPages": (total + size - 1) // size, "totalElements": total,
            "content": content}  # fmt: skip
