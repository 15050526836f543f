"""/metrics: Prometheus counters that move with syncs, webhooks, refused reservations and
requests; outbox lag read at scrape time; only allowed networks or the token may scrape."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from marketplaces import services as marketplace_services
from marketplaces.models import SyncState
from marketplaces.sandbox.trendyol import TrendyolSandbox
from meschain.models import Event
from tests.marketplaces.sync_world import World, fast_sync, make_world, sync_sandbox  # noqa: F401 (fixtures)
from tests.webhooks.receiver import Receiver, free_port
from webhooks import services as webhook_services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset], float]


def scrape(client: Client | None = None, **headers: Any) -> Samples:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and wanted <= lbls)


@pytest.fixture
def world(make_tenant: Any, sync_sandbox: TrendyolSandbox, fast_sync: None) -> World:  # noqa: F811
    return make_world(make_tenant("acme"), sync_sandbox, products=3, variants_per_product=2)


def test_a_sync_moves_the_sync_request_database_and_cache_counters(
    world: World, make_api_key: Any, key_client: Any
):
    _key, full_key = make_api_key(world.tenant, ["catalog:read"])
    before = scrape()

    job = marketplace_services.request_sync(world.account, "catalog", actor="test", enqueue=False)
    assert marketplace_services.run_job(job.pk, worker="metrics-test") == SyncState.SUCCEEDED
    Client().get("/api/users/me")  # one more request to count (401)
    assert key_client(full_key).get("/api/products").status_code == 200  # key and page looked up in the cache
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    jobs = "meschain_sync_jobs_total"
    assert moved(jobs, marketplace="trendyol", kind="catalog", result="succeeded") == 1
    assert moved(jobs, marketplace="trendyol", kind="catalog", result="failed") == 0
    assert moved("meschain_sync_items_total", marketplace="trendyol", kind="catalog", result="done") == 6
    assert moved("meschain_sync_items_total", marketplace="trendyol", kind="catalog", result="failed") == 0
    # requests by view and status, with latency histograms (the first scrape is counted by now)
    assert moved("django_http_responses_total_by_status_view_method_total", view="metrics", status="200") == 1
    assert moved("django_http_responses_total_by_status_view_method_total", status="401", method="GET") == 1
    assert moved("django_http_requests_latency_seconds_by_view_method_count", view="metrics") == 1
    assert total(after, "django_http_requests_latency_seconds_by_view_method_bucket", view="metrics", le="+Inf") >= 1
    # the database and cache the sync used, counted by django-prometheus's wrappers
    from django.db import connection

    assert moved("django_db_execute_total", alias="default", vendor=connection.vendor) > 20
    assert moved("django_db_query_duration_seconds_count", alias="default", vendor=connection.vendor) > 20
    assert moved("django_cache_get_total") > 0


def test_a_failed_sync_is_counted_as_failed(make_tenant: Any, sync_sandbox: TrendyolSandbox, fast_sync: None):  # noqa: F811
    world = make_world(make_tenant("shut"), sync_sandbox, products=1)
    sync_sandbox.stop()  # the marketplace goes away
    before = scrape()

    job = marketplace_services.request_sync(world.account, "catalog", actor="test", enqueue=False)
    assert marketplace_services.run_job(job.pk, worker="metrics-test") == SyncState.FAILED

    after = scrape()
    labels = {"marketplace": "trendyol", "kind": "catalog", "result": "failed"}
    assert value(after, "meschain_sync_jobs_total", **labels) - value(before, "meschain_sync_jobs_total", **labels) == 1


def test_webhook_deliveries_are_counted_by_result(tenant_a: Any, settings: Any):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver = Receiver(free_port(), script=["200", "500", "500"]).start()
    try:
        endpoint, _secret = webhook_services.create_endpoint(
            tenant=tenant_a, url=receiver.url, event_types=["order.created"]
        )
        before = scrape()
        ok = webhook_services.send_test(endpoint, actor=None)
        flaky = webhook_services.send_test(endpoint, actor=None)
        assert webhook_services.attempt_delivery(ok.pk).state == "succeeded"
        assert webhook_services.attempt_delivery(flaky.pk).state == "pending"  # 500: tried again later
        type(flaky).objects.filter(pk=flaky.pk).update(next_attempt_at=timezone.now())
        assert webhook_services.attempt_delivery(flaky.pk).state == "failed"  # attempts used up
        after = scrape()
    finally:
        receiver.stop()

    name = "meschain_webhook_deliveries_total"
    moved = {r: value(after, name, result=r) - value(before, name, result=r) for r in ("succeeded", "retrying", "failed")}
    assert moved == {"succeeded": 1, "retrying": 1, "failed": 1}


def test_refused_reservations_are_counted(make_api_key: Any, key_client: Any, tenant_a: Any):
    from catalog.services import products, stock

    product = products.create_product(tenant_a.pk, data={"title": "Mug"}, variants=[{"sku": "MUG", "price": "9.00"}])
    products.change_status(product, "published")
    stock.adjust(tenant_a.pk, product.variants.get().pk, delta=2)
    _key, full_key = make_api_key(tenant_a, ["orders:write"])
    client = key_client(full_key)
    name, labels = "meschain_stock_reservations_refused_total", {"reason": "order_reserve"}
    before = value(scrape(), name, **labels)

    short = client.post("/api/orders", {"lines": [{"sku": "MUG", "quantity": 3}]}, format="json")
    fits = client.post("/api/orders", {"lines": [{"sku": "MUG", "quantity": 2}]}, format="json")

    assert (short.status_code, fits.status_code) == (409, 201)
    assert value(scrape(), name, **labels) - before == 1


def test_imported_orders_short_of_stock_are_counted(client_for: Any, owner: Any, tenant_a: Any):
    from catalog.services import products, stock

    product = products.create_product(tenant_a.pk, data={"title": "Cap"}, variants=[{"sku": "CAP", "price": "5.00"}])
    stock.adjust(tenant_a.pk, product.variants.get().pk, delta=1)
    rows = [{"external_id": f"M-{n}", "lines": [{"sku": "CAP", "quantity": 1, "unit_price": "5.00"}]} for n in range(3)]
    name, labels = "meschain_stock_reservations_refused_total", {"reason": "order_reserve"}
    before = value(scrape(), name, **labels)

    answer = client_for(owner).post("/api/orders/import?channel=trendyol:4&stock_policy=force", rows, format="json")

    assert answer.json()["data"]["counts"]["created"] == 3  # taken, the two short ones flagged
    assert value(scrape(), name, **labels) - before == 2


def test_outbox_lag_is_read_when_scraped(tenant_a: Any):
    assert value(scrape(), "meschain_outbox_lag_seconds") == 0
    event = Event.objects.create(tenant=tenant_a, type="product.updated", payload={})
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(seconds=90))

    samples = scrape()

    assert 90 <= value(samples, "meschain_outbox_lag_seconds") < 120
    assert value(samples, "meschain_outbox_pending_events") == 1
    Event.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
    assert value(scrape(), "meschain_outbox_lag_seconds") == 0


# --- who may scrape ---------------------------------------------------------------------


def test_other_addresses_get_403_without_metrics():
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")

    assert response.status_code == 403
    assert b"meschain_" not in response.content and b"django_" not in response.content


def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(settings: Any):
    settings.TRUSTED_PROXY_COUNT = 0
    forged = Client(REMOTE_ADDR="203.0.113.9").get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403


def test_behind_a_trusted_proxy_the_forwarded_client_address_decides(settings: Any):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    proxy = Client(REMOTE_ADDR="127.0.0.1")

    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.20.3.4").status_code == 200
    assert proxy.get("/metrics").status_code == 403  # the proxy itself is not in the network


def test_configured_networks_replace_the_default(settings: Any):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]

    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="2001:db8::7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_the_bearer_token_works_from_anywhere(settings: Any):
    settings.METRICS_TOKEN = "scrape-Tk-93hd02"
    outside = Client(REMOTE_ADDR="203.0.113.9")

    samples = scrape(outside, HTTP_AUTHORIZATION="Bearer scrape-Tk-93hd02")

    assert any(name == "django_http_requests_before_middlewares_total" for name, _ in samples)
    assert outside.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    assert outside.get("/metrics", HTTP_AUTHORIZATION="Basic scrape-Tk-93hd02").status_code == 403
    assert outside.get("/metrics").status_code == 403


def test_no_token_configured_means_no_token_accepted(settings: Any):
    settings.METRICS_TOKEN = ""
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_metrics_is_not_caught_by_the_api_or_admin_routes():
    response = Client().get("/metrics")

    assert response.status_code == 200
    assert b"# TYPE meschain_sync_jobs_total counter" in response.content
    assert Client().post("/metrics").status_code == 405
    assert Client().get("/api/metrics").json()["error"]["code"] == "NOT_FOUND"


# --- several processes --------------------------------------------------------------------

_COUNT_IN_A_PROCESS = """
from meschain import metrics
metrics.record_sync_job("trendyol", "orders", "succeeded")
metrics.record_sync_items("trendyol", "orders", done=4)
"""

_SCRAPE_IN_A_PROCESS = """
import django, json
django.setup()
from django.test import Client
from meschain import metrics
metrics.record_sync_job("trendyol", "orders", "succeeded")
response = Client().get("/metrics")
print(json.dumps({"status": response.status_code, "body": response.content.decode()}))
"""


@pytest.fixture
def process_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL", "CELERY_", "PROMETHEUS_"))}  # fmt: skip
    (tmp_path / "metrics").mkdir()
    env.update(
        DJANGO_SETTINGS_MODULE="meschain.settings",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # no tables: the outbox gauge is left out
    )
    yield env


def test_multiprocess_mode_adds_up_every_process(process_env: dict[str, str]):
    """Two worker processes count; a third serves /metrics with everyone's samples."""
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _COUNT_IN_A_PROCESS], cwd=ROOT, env=process_env, check=True,
                       timeout=120)  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _SCRAPE_IN_A_PROCESS], cwd=ROOT, env=process_env,
                          check=True, timeout=120, capture_output=True, text=True)  # fmt: skip
    answer = json.loads(done.stdout.strip().splitlines()[-1])

    assert answer["status"] == 200
    samples = parse(answer["body"])
    assert value(samples, "meschain_sync_jobs_total", marketplace="trendyol", kind="orders", result="succeeded") == 3
    assert value(samples, "meschain_sync_items_total", marketplace="trendyol", kind="orders", result="done") == 8
    assert "meschain_outbox_lag_seconds" not in {name for name, _ in samples}


def test_a_malformed_network_stops_the_start(process_env: dict[str, str]):
    env = {**process_env, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,not-a-network"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS: 'not-a-network' is not a network" in done.stderr
