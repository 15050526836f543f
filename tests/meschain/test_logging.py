"""Every JSON log line names the request id, tenant and user it belongs to; Celery tasks
log with the id of the request that queued them (eagerly and through a real worker)."""

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, shared_task
from celery.contrib.testing.worker import start_worker
from django.test import Client

from marketplaces.sandbox.trendyol import TrendyolSandbox
from meschain import context
from meschain.celery import app as project_app
from meschain.logging import JsonFormatter, RequestContextFilter
from meschain.task_context import HEADER, context_headers
from tests.marketplaces.sync_world import fast_sync, make_world, sync_sandbox  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

PROBE = "meschain.tests.probe"


def capture(logger: logging.Logger) -> tuple[logging.Handler, io.StringIO]:
    """A handler writing `logger`'s records through the project's JSON formatter and filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    return handler, stream


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged, as the JSON lines the console handler writes."""
    handler, stream = capture(logging.getLogger())
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture
def probe_lines() -> Iterator[io.StringIO]:
    """The probe logger's lines (a test worker re-runs django.setup(), which resets the root
    logger's handlers)."""
    handler, stream = capture(logging.getLogger(PROBE))
    try:
        yield stream
    finally:
        logging.getLogger(PROBE).removeHandler(handler)


def entries(stream: io.StringIO, logger: str | None = None) -> list[dict]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [e for e in lines if logger is None or e["logger"] == logger]


@shared_task(name="tests.meschain.log_probe")
def log_probe(message: str) -> str:
    logging.getLogger(PROBE).warning(message)
    return context.current().request_id


# --- requests ----------------------------------------------------------------------------


def test_a_users_request_logs_its_tenant_and_user(log_lines, client_for, owner):
    response = client_for(owner).get("/api/users/999999")

    assert response.status_code == 404
    [line] = entries(log_lines, "django.request")
    assert line["message"] == "Not Found: /api/users/999999"
    assert (line["request_id"], line["tenant_id"], line["user_id"]) == (
        response["X-Request-ID"], owner.tenant_id, owner.pk,
    )  # fmt: skip
    assert "api_key" not in line


def test_an_api_key_request_logs_its_tenant_and_key_prefix(log_lines, make_api_key, key_client, tenant_a):
    key, full_key = make_api_key(tenant_a, ["catalog:read"])

    response = key_client(full_key).get("/api/products/999999")

    assert response.status_code == 404
    [line] = entries(log_lines, "django.request")
    assert (line["tenant_id"], line["user_id"], line["api_key"]) == (tenant_a.pk, None, key.prefix)
    assert full_key not in log_lines.getvalue()


def test_an_admin_session_logs_its_user(log_lines, admin_client_for, owner):
    response = admin_client_for(owner).get("/admin/no-such-page/")

    assert response.status_code == 404
    [line] = entries(log_lines, "django.request")
    assert (line["tenant_id"], line["user_id"]) == (owner.tenant_id, owner.pk)


def test_an_anonymous_request_logs_no_tenant_or_user(log_lines):
    response = Client().get("/api/users/me")

    assert response.status_code == 401
    [line] = entries(log_lines, "django.request")
    assert (line["request_id"], line["tenant_id"], line["user_id"]) == (response["X-Request-ID"], None, None)


def test_every_line_has_the_same_keys_and_is_one_json_object(log_lines):
    logging.getLogger(PROBE).warning("outside any request")
    with context.bind(request_id="req_cli_000001", principal=context.Principal(tenant_id=3, user_id=8)):
        logging.getLogger(PROBE).error("inside a command", extra={"rows": 2})

    outside, inside = entries(log_lines, PROBE)
    assert {"time", "level", "logger", "message", "request_id", "tenant_id", "user_id"} <= set(outside)
    assert (outside["request_id"], outside["tenant_id"], outside["user_id"]) == (None, None, None)
    assert (inside["request_id"], inside["tenant_id"], inside["user_id"], inside["rows"]) == (
        "req_cli_000001", 3, 8, 2,
    )  # fmt: skip


# --- Celery tasks --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sync_started_by_a_request_logs_with_that_requests_id(
    log_lines, make_tenant: Any, sync_sandbox: TrendyolSandbox, fast_sync: None, client_for: Any  # noqa: F811
):
    """POST /api/sync queues the job after commit; the task (eager here) logs its end with
    the request id, tenant and user of the request that asked for it."""
    tenant = make_tenant("acme")
    world = make_world(tenant, sync_sandbox, products=2)
    from accounts.models import User

    owner = User.objects.get(username="acme-owner")

    response = client_for(owner).post(
        "/api/sync/trendyol", {"kind": "catalog", "account": world.account.pk}, format="json"
    )

    assert response.status_code == 202, response.content
    [finished] = [e for e in entries(log_lines, "marketplaces.services.jobs") if "succeeded" in e["message"]]
    assert (finished["request_id"], finished["tenant_id"], finished["user_id"]) == (
        response["X-Request-ID"], tenant.pk, owner.pk,
    )  # fmt: skip


def test_headers_carry_the_request_context_to_an_eager_task(log_lines):
    with context.bind(request_id="req_publisher_01", principal=context.Principal(tenant_id=5, user_id=11)):
        headers = {HEADER: context_headers()}
    assert headers[HEADER] == {"request_id": "req_publisher_01", "tenant_id": 5, "user_id": 11, "api_key": ""}

    result = log_probe.apply(("from the task",), headers=headers)  # outside the request now

    assert result.get() == "req_publisher_01"
    [line] = entries(log_lines, PROBE)
    assert (line["message"], line["request_id"], line["tenant_id"], line["user_id"]) == (
        "from the task", "req_publisher_01", 5, 11,
    )  # fmt: skip
    assert context.current().request_id == ""  # nothing leaks out of the task


def test_a_real_worker_restores_the_publishers_context(probe_lines):
    """A message through a broker to a worker thread (which shares no context with the
    publisher): before_task_publish adds the headers, task_prerun binds them."""
    app = Celery("probe", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False

    @app.task(name="probe.log_line")
    def log_line(message: str) -> str:
        logging.getLogger(PROBE).warning(message)
        return context.current().request_id

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            with context.bind(request_id="req_publisher_02", principal=context.Principal(tenant_id=6, user_id=12)):
                queued = log_line.delay("through the broker")
            unrelated = log_line.delay("queued outside any request")
            assert queued.get(timeout=20) == "req_publisher_02"
            own_id = unrelated.get(timeout=20)
    finally:
        # the test worker made the probe app current and the default (what other threads,
        # such as a live server's, fall back to): give both back to the project's app
        project_app.set_default()
        project_app.set_current()

    by_message = {e["message"]: e for e in entries(probe_lines, PROBE)}
    line = by_message["through the broker"]
    assert (line["request_id"], line["tenant_id"], line["user_id"]) == ("req_publisher_02", 6, 12)
    other = by_message["queued outside any request"]
    assert other["request_id"] == own_id and own_id.startswith("req_") and own_id != "req_publisher_02"
    assert (other["tenant_id"], other["user_id"]) == (None, None)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_logs_a_requested_sync_under_the_requests_id(
    settings: Any, make_tenant: Any, sync_sandbox: TrendyolSandbox, client_for: Any, tmp_path: Any,  # noqa: F811
    monkeypatch: Any,
):  # fmt: skip
    """A real `celery worker` process, through Redis: the sync asked for over the API logs
    its end under the request's id, tenant and user; and with PROMETHEUS_MULTIPROC_DIR
    shared, the web's /metrics counts the job the worker ran."""
    from accounts.models import User
    from marketplaces.models import ACTIVE_SYNC_STATES, SyncJob
    from tests.celery_worker import celery_workers
    from tests.meschain.test_metrics import scrape, value

    tenant = make_tenant("acme")
    world = make_world(tenant, sync_sandbox, products=2)
    owner = User.objects.get(username="acme-owner")
    shared = tmp_path / "metrics"
    shared.mkdir()
    worker_env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "MARKETPLACE_BATCH_POLL_SECONDS": "0.05",
                  "MARKETPLACE_RETRY_BASE_SECONDS": "0.02", "MARKETPLACE_RATE_LIMIT": ""}  # fmt: skip
    with celery_workers(settings, worker_env) as start:
        worker = start()
        response = client_for(owner).post(
            "/api/sync/trendyol", {"kind": "catalog", "account": world.account.pk}, format="json"
        )
        assert response.status_code == 202, response.content
        job = SyncJob.objects.get(account=world.account)
        deadline = time.monotonic() + 90
        while SyncJob.objects.get(pk=job.pk).state in ACTIVE_SYNC_STATES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert SyncJob.objects.get(pk=job.pk).state == "succeeded"
        worker_log = worker.log.read_text()

    lines = [json.loads(line) for line in worker_log.splitlines() if line.startswith("{")]
    [finished] = [e for e in lines if e["logger"] == "marketplaces.services.jobs" and f"Sync job {job.pk} " in e["message"]]
    assert (finished["request_id"], finished["tenant_id"], finished["user_id"]) == (
        response["X-Request-ID"], tenant.pk, owner.pk,
    )  # fmt: skip
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    samples = scrape()
    assert value(samples, "meschain_sync_jobs_total", marketplace="trendyol", kind="catalog", result="succeeded") == 1
    assert value(samples, "meschain_sync_items_total", marketplace="trendyol", kind="catalog", result="done") == 2
