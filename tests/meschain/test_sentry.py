"""Sentry: with SENTRY_DSN set, errors of requests and tasks reach Sentry, and no secret
(marketplace credentials, Authorization, cookies, passwords, API keys) is in what is sent.

The real SDK sends to a small HTTP server of the test's own on 127.0.0.1."""

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from celery import shared_task
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from marketplaces import services as marketplace_services
from marketplaces.models import MarketplaceAccount, SyncState
from marketplaces.services.sync import adapter_for
from meschain.sentry import FILTERED, init_sentry, scrub
from tests.webhooks.receiver import free_port

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SELLER, API_KEY, API_SECRET = "778899", "mk-live-Qw3rTy7Ui9", "ms-live-Zx8Cv6Bn4M"
SUPPLIER_TOKEN = "sup-tok-Lk2Jh5Gf8D"
PASSWORD = "Hunter2-Battery-Staple"
BASIC = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()


class SentryInbox:
    """What the SDK sent: envelopes, decompressed."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                inbox.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_address[1]}/42"

    def raw(self) -> str:
        return b"\n".join(self.bodies).decode("utf-8", "replace")

    def events(self) -> list[dict[str, Any]]:
        """Every item of type "event" in the envelopes."""
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox() -> Iterator[SentryInbox]:
    inbox = SentryInbox()
    init_sentry(inbox.dsn, environment="test")
    try:
        yield inbox
    finally:
        client = sentry_sdk.get_client()
        client.flush(timeout=5)
        client.close()
        sentry_sdk.get_global_scope().set_client(None)
        inbox.stop()


def flushed(inbox: SentryInbox) -> SentryInbox:
    sentry_sdk.get_client().flush(timeout=10)
    return inbox


@pytest.fixture
def account(tenant_a: Any) -> MarketplaceAccount:
    """A Trendyol account with known credentials, pointing at a port nobody listens on."""
    return marketplace_services.connect_account(
        tenant=tenant_a, marketplace="trendyol", name="Trendyol TR",
        base_url=f"http://127.0.0.1:{free_port()}",
        credentials={"seller_id": SELLER, "api_key": API_KEY, "api_secret": API_SECRET},
        settings={"default_brand_id": 1791},
    )  # fmt: skip


def assert_no_secret(text: str) -> None:
    for secret in (API_KEY, API_SECRET, BASIC, SUPPLIER_TOKEN, PASSWORD):
        assert secret not in text, secret
        assert json.dumps(secret)[1:-1] not in text


# --- a view and a task in which a marketplace call fails and nothing catches it ------------


@csrf_exempt
def pull_orders_now(request: HttpRequest) -> HttpResponse:
    """Fetches the account's orders right away; a marketplace failure escapes (a crash)."""
    account = MarketplaceAccount.objects.get(pk=request.POST["account"])
    credentials = account.credential_values  # as any code handling them holds them
    with adapter_for(account) as adapter:
        adapter.fetch_orders(since=timezone.now() - timedelta(hours=1))
    return HttpResponse(str(len(credentials)))


urlpatterns = [path("pull-now", pull_orders_now)]


@shared_task(name="tests.meschain.pull_orders_now")
def pull_orders_task(account_id: int, token: str) -> None:
    account = MarketplaceAccount.objects.get(pk=account_id)
    supplier = {"token": token, "note": f"supplier token={token}"}
    with adapter_for(account) as adapter:
        adapter.fetch_orders(since=timezone.now() - timedelta(hours=1))
    del supplier


# --- tests ----------------------------------------------------------------------------------


def test_a_failed_sync_leaves_only_scrubbed_breadcrumbs(inbox: SentryInbox, account: MarketplaceAccount):
    job = marketplace_services.request_sync(account, "orders", actor="test", enqueue=False)
    assert marketplace_services.run_job(job.pk, worker="sentry-test") == SyncState.FAILED

    try:  # what an unexpected crash of that sync would report, with its frames
        with adapter_for(account) as adapter:
            adapter.fetch_orders(since=timezone.now() - timedelta(hours=1))
    except Exception:
        sentry_sdk.capture_exception()

    [event] = flushed(inbox).events()
    assert event["exception"]["values"][-1]["type"] == "MarketplaceError"
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert any(frame.get("vars") for frame in frames)  # local variables were sent (scrubbed)
    crumbs = [c.get("message", "") for c in event["breadcrumbs"]["values"]]
    assert any("attempt" in message for message in crumbs)  # the sync's warnings came along
    assert_no_secret(inbox.raw())


def call_wsgi(method: str, path: str, *, query: str = "", form: dict[str, str], headers: dict[str, str]) -> Any:
    """One request through the real WSGI application (as gunicorn calls it), so Sentry's
    WSGI layer records the request's URL and headers too."""
    from django.core import signals
    from django.db import close_old_connections

    from meschain.wsgi import application

    body = urlencode(form).encode()
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update({
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), **headers,
    })  # fmt: skip
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list, exc_info: Any = None) -> None:
        answer.update(status=int(status.split()[0]), headers=dict(response_headers))

    # as Django's test client does: keep the test's database connection (and transaction)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        b"".join(result)
        result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer


@pytest.mark.urls(__name__)
def test_a_crashing_request_reaches_sentry_without_secrets(inbox: SentryInbox, account: MarketplaceAccount):
    answer = call_wsgi(
        "POST", "/pull-now", query=f"api_key={API_KEY}&page=1",
        form={"account": str(account.pk), "password": PASSWORD, "note": f"secret={API_SECRET}"},
        headers={"HTTP_AUTHORIZATION": f"Basic {BASIC}", "HTTP_X_API_KEY": API_KEY,
                 "HTTP_X_SUPPLIER": f"Bearer {SUPPLIER_TOKEN}", "HTTP_COOKIE": f"sessionid={SUPPLIER_TOKEN}"},
    )  # fmt: skip

    assert answer["status"] == 500
    [event] = flushed(inbox).events()
    assert event["exception"]["values"][-1]["type"] == "MarketplaceError"
    request = event["request"]
    assert (request["method"], request["url"]) == ("POST", "http://127.0.0.1/pull-now")
    assert request["query_string"] == f"api_key={FILTERED}&page=1"
    assert request["data"]["account"] == str(account.pk)  # the body is there, scrubbed
    assert request["headers"]["X-Supplier"] == f"Bearer {FILTERED}"
    assert event["tags"]["request_id"] == answer["headers"]["X-Request-ID"]
    view_frame = next(f for f in event["exception"]["values"][-1]["stacktrace"]["frames"]
                      if f["function"] == "pull_orders_now")  # fmt: skip
    assert view_frame["vars"]["credentials"] == FILTERED
    assert_no_secret(inbox.raw())


@pytest.mark.urls(__name__)
def test_performance_traces_carry_no_secrets_either(inbox: SentryInbox, account: MarketplaceAccount):
    """With tracing on, spans of SQL, cache (session lookups) and HTTP calls are scrubbed."""
    init_sentry(inbox.dsn, environment="test", traces_sample_rate=1.0)

    answer = call_wsgi(
        "POST", "/pull-now", query=f"token={SUPPLIER_TOKEN}", form={"account": str(account.pk)},
        headers={"HTTP_AUTHORIZATION": f"Basic {BASIC}", "HTTP_COOKIE": f"sessionid={SUPPLIER_TOKEN}"},
    )  # fmt: skip

    assert answer["status"] == 500
    flushed(inbox)
    types = {json.loads(line).get("type") for body in inbox.bodies for line in body.split(b"\n")[1::2] if line}
    assert {"event", "transaction"} <= types
    assert_no_secret(inbox.raw())


def test_a_failing_task_reaches_sentry_without_secrets(inbox: SentryInbox, account: MarketplaceAccount):
    with pytest.raises(Exception, match="could not be reached"):
        pull_orders_task.apply((account.pk, SUPPLIER_TOKEN))

    events = flushed(inbox).events()
    assert events and events[-1]["exception"]["values"][-1]["type"] == "MarketplaceError"
    assert_no_secret(inbox.raw())


def test_scrub_masks_secret_keys_and_secret_looking_text():
    event = {
        "request": {"headers": {"Authorization": "Bearer abc.def.ghi", "Accept": "text/html"},
                    "query_string": "page=2&api_key=k-123456&sort=id"},
        "extra": {"config": "AccountConfig(seller_id='1', token='t-998877')", "count": 3,
                  "url": "redis://user:pa55word@127.0.0.1:6379/0"},
        "breadcrumbs": {"values": [{"message": "calling with Basic dXNlcjpwYXNzd29yZA==",
                                    "data": {"client_secret": "cs-1", "rows": [1, 2]}}]},
    }  # fmt: skip

    clean = scrub(event)

    assert clean["request"]["headers"] == {"Authorization": FILTERED, "Accept": "text/html"}
    assert clean["request"]["query_string"] == f"page=2&api_key={FILTERED}&sort=id"
    assert clean["extra"] == {"config": f"AccountConfig(seller_id='1', token='{FILTERED}')", "count": 3,
                              "url": f"redis://{FILTERED}@127.0.0.1:6379/0"}  # fmt: skip
    crumb = clean["breadcrumbs"]["values"][0]
    assert crumb == {"message": f"calling with Basic {FILTERED}", "data": {"client_secret": FILTERED, "rows": [1, 2]}}


def test_sentry_dsn_turns_the_sdk_on_for_django_and_celery(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="meschain.settings", SENTRY_DSN="http://publickey@127.0.0.1:9/1",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")  # fmt: skip
    script = (
        "import django, json, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); "
        "print(json.dumps([c.is_active(), sorted(c.integrations), c.options['send_default_pii'], "
        "c.options['before_send'].__module__]))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    active, integrations, pii, hook = json.loads(done.stdout.strip().splitlines()[-1])
    assert (active, pii, hook) == (True, False, "meschain.sentry")
    assert {"django", "celery", "logging"} <= set(integrations)

    env.pop("SENTRY_DSN")
    script = "import django, sentry_sdk; django.setup(); print(sentry_sdk.get_client().is_active())"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "False"
