"""Logs are one JSON object a line, and every line of a request carries its request id."""

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest
from django.test import Client

from meschain import context
from meschain.logging import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The root logger's output through the project's JSON formatter and context filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_log_line_inside_a_view_carries_the_request_id(log_lines, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = Client().get("/ready")

    assert response.status_code == 503
    request_id = response["X-Request-ID"]
    assert request_id.startswith("req_")
    readiness = [e for e in _entries(log_lines) if e["logger"] == "meschain.health"]
    assert len(readiness) == 1
    entry = readiness[0]
    assert entry["level"] == "WARNING"
    assert entry["message"].startswith("Readiness check broker failed:")
    assert entry["request_id"] == request_id
    assert entry["time"].endswith("+00:00")


def test_error_answer_log_line_carries_the_request_id(log_lines):
    """Django's own "Unauthorized: /api/…" line is written inside the request context."""
    response = Client().get("/api/users/me")

    assert response.status_code == 401
    request_lines = [e for e in _entries(log_lines) if e["logger"] == "django.request"]
    assert [(e["level"], e["message"], e["status_code"]) for e in request_lines] == [
        ("WARNING", "Unauthorized: /api/users/me", 401)
    ]
    assert request_lines[0]["request_id"] == response["X-Request-ID"] == response.json()["request_id"]


def test_a_callers_request_id_is_kept_in_logs_and_headers(log_lines):
    response = Client().get("/api/no-such-thing", HTTP_X_REQUEST_ID="shop-7f3a9c21")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "shop-7f3a9c21"
    request_lines = [e for e in _entries(log_lines) if e["logger"] == "django.request"]
    assert [(e["message"], e["request_id"]) for e in request_lines] == [
        ("Not Found: /api/no-such-thing", "shop-7f3a9c21")
    ]


def test_every_line_is_one_json_object(log_lines):
    logger = logging.getLogger("meschain.tests")
    with context.bind(request_id="req_job_0001"):
        logger.warning("Sync %s done", "trendyol", extra={"account_id": 7})
    logger.warning("outside any request")

    lines = log_lines.getvalue().splitlines()
    assert len(lines) == 2
    inside, outside = (json.loads(line) for line in lines)
    assert (inside["message"], inside["request_id"], inside["account_id"]) == (
        "Sync trendyol done",
        "req_job_0001",
        7,
    )
    assert (outside["message"], outside["request_id"]) == ("outside any request", None)
