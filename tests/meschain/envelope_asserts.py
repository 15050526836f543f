"""Assertions on the API envelope, shared by the API suites."""

import re
from typing import Any

from django.http import HttpResponse

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
GENERATED_REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")


def _common(response: HttpResponse, body: dict[str, Any]) -> None:
    assert response["Content-Type"] == "application/json"
    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    assert body["request_id"] == response["X-Request-ID"]
    assert body["request_id"]


def assert_ok(response: HttpResponse, status: int = 200, message: str | None = None) -> dict[str, Any]:
    """A success envelope with `status`; returns the body."""
    body = response.json()
    assert response.status_code == status, body
    assert body["success"] is True
    assert set(body) - {"pagination"} == {"success", "data", "message", "timestamp", "request_id"}
    if message is not None:
        assert body["message"] == message
    _common(response, body)
    return body


def assert_error(
    response: HttpResponse,
    status: int,
    code: str,
    *,
    details: Any = None,
    message: str | None = None,
) -> dict[str, Any]:
    """An error envelope with `status` and `code` (and exactly `details` when given)."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"success", "error", "timestamp", "request_id"}, body
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if message is not None:
        assert body["error"]["message"] == message
    if details is not None:
        assert body["error"]["details"] == details
    _common(response, body)
    return body
