"""The storefront's cached catalogue: what each catalogue event drops (and what it keeps),
ETag/304, the totals shared by the pages of one filter set, queries and Redis round trips
of a cached answer."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.services import products, stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _generous_rate(settings):
    settings.API_THROTTLE_RATE = "100000/hour"


@pytest.fixture
def shop(make_api_key, key_client, tenant_a, make_product, django_capture_on_commit_callbacks):
    """Two published products with stock, a storefront client; events dispatched on commit."""

    def published(title, sku, units):
        product = make_product(tenant_a, title=title, skus=[sku])
        with django_capture_on_commit_callbacks(execute=True):
            products.change_status(product, "published")
            stock.adjust(tenant_a.pk, product.variants.get().pk, delta=units)
        return product

    first = published("Wool socks", "SOCK-1", 3)
    second = published("Cotton cap", "CAP-1", 10)
    _key, full_key = make_api_key(tenant_a, ["catalog:read"])
    return {"first": first, "second": second, "client": key_client(full_key), "tenant": tenant_a}


def _reserve(shop, product, units, capture):
    with capture(execute=True):
        stock.apply_stock_changes(
            shop["tenant"].pk,
            [stock.StockChange(product.variants.get().pk, reserved_delta=units)],
            reason="order_reserve",
        )


def _available(response):
    return {p["title"]: p["available"] for p in response.json()["data"]}


def test_an_order_drops_its_own_product_page_only(shop, django_capture_on_commit_callbacks):
    client, first, second = shop["client"], shop["first"], shop["second"]
    first_etag = client.get(f"/api/products/{first.pk}")["ETag"]
    second_etag = client.get(f"/api/products/{second.pk}")["ETag"]

    _reserve(shop, first, 1, django_capture_on_commit_callbacks)

    changed = client.get(f"/api/products/{first.pk}", HTTP_IF_NONE_MATCH=first_etag)
    assert changed.status_code == 200
    assert changed.json()["data"]["available"] == 2
    assert changed["ETag"] != first_etag
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(f"/api/products/{second.pk}", HTTP_IF_NONE_MATCH=second_etag)
    assert kept.status_code == 304
    assert kept["ETag"] == second_etag
    assert [q["sql"] for q in queries.captured_queries if "catalog_" in q["sql"]] == []


def test_lists_follow_sold_out_and_restock_at_once(shop, django_capture_on_commit_callbacks):
    client, first = shop["client"], shop["first"]
    assert _available(client.get("/api/products?in_stock=true")) == {"Cotton cap": 10, "Wool socks": 3}

    _reserve(shop, first, 3, django_capture_on_commit_callbacks)  # sold out
    sold_out = client.get("/api/products?in_stock=true")
    assert _available(sold_out) == {"Cotton cap": 10}
    assert sold_out.json()["pagination"]["total"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        stock.adjust(shop["tenant"].pk, first.variants.get().pk, delta=4)
    restocked = client.get("/api/products?in_stock=true")
    assert _available(restocked) == {"Cotton cap": 10, "Wool socks": 4}
    assert restocked.json()["pagination"]["total"] == 2


def test_a_reservation_leaving_stock_keeps_lists_until_they_expire(
    shop, settings, django_capture_on_commit_callbacks
):
    """The documented trade-off: list figures may lag by the list entries' lifetime."""
    settings.CATALOG_LIST_CACHE_SECONDS = 1
    client, first = shop["client"], shop["first"]
    before = client.get("/api/products")

    _reserve(shop, first, 1, django_capture_on_commit_callbacks)

    cached = client.get("/api/products", HTTP_IF_NONE_MATCH=before["ETag"])
    assert cached.status_code == 304
    assert client.get(f"/api/products/{first.pk}").json()["data"]["available"] == 2
    time.sleep(1.1)
    assert _available(client.get("/api/products")) == {"Cotton cap": 10, "Wool socks": 2}


def test_product_events_drop_lists_and_that_product(shop, django_capture_on_commit_callbacks):
    client, first, second = shop["client"], shop["first"], shop["second"]
    list_etag = client.get("/api/products")["ETag"]
    second_etag = client.get(f"/api/products/{second.pk}")["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        products.update_product(first, changes={"title": "Merino socks"})
    with django_capture_on_commit_callbacks(execute=True):
        products.change_status(second, "archived")

    fresh = client.get("/api/products", HTTP_IF_NONE_MATCH=list_etag)
    assert fresh.status_code == 200
    assert _available(fresh) == {"Merino socks": 3}
    assert client.get(f"/api/products/{second.pk}", HTTP_IF_NONE_MATCH=second_etag).status_code == 404
    assert client.get(f"/api/products/{first.pk}").json()["data"]["title"] == "Merino socks"


def test_pages_of_one_filter_set_share_one_count(shop, make_product, django_capture_on_commit_callbacks):
    client = shop["client"]
    assert client.get("/api/products?per_page=1&page=1").json()["pagination"] == {
        "page": 1, "per_page": 1, "total": 2, "pages": 2,
    }  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        second_page = client.get("/api/products?per_page=1&page=2")
    assert second_page.json()["pagination"] == {"page": 2, "per_page": 1, "total": 2, "pages": 2}
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] == []
    assert [p["title"] for p in second_page.json()["data"]] == ["Wool socks"]

    third = make_product(shop["tenant"], title="Silk scarf", skus=["SCARF-1"])
    with django_capture_on_commit_callbacks(execute=True):
        products.change_status(third, "published")
    recounted = client.get("/api/products?per_page=1&page=3")
    assert recounted.json()["pagination"] == {"page": 3, "per_page": 1, "total": 3, "pages": 3}
    assert client.get("/api/products?per_page=1&page=1").json()["pagination"]["total"] == 3


def test_a_cached_answer_runs_no_query(shop):
    client, first = shop["client"], shop["first"]
    client.get("/api/products?in_stock=true")
    client.get(f"/api/products/{first.pk}")
    for path in ("/api/products?in_stock=true", f"/api/products/{first.pk}"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert queries.captured_queries == []


@pytest.mark.redis
def test_a_cached_answer_costs_three_redis_round_trips(shop, monkeypatch):
    """The API key, the page with its version (one MGET), then the rate-limit counter (one EVAL)."""
    import redis

    commands: list[str] = []
    original = redis.Redis.execute_command

    def counted(self, *args, **options):
        commands.append(str(args[0]).upper())
        return original(self, *args, **options)

    client, first = shop["client"], shop["first"]
    etag = client.get(f"/api/products/{first.pk}")["ETag"]
    client.get("/api/products?in_stock=true")
    monkeypatch.setattr(redis.Redis, "execute_command", counted)

    assert client.get(f"/api/products/{first.pk}").status_code == 200
    assert commands == ["GET", "MGET", "EVAL"]
    commands.clear()
    assert client.get(f"/api/products/{first.pk}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert commands == ["GET", "MGET", "EVAL"]
    commands.clear()
    assert client.get("/api/products?in_stock=true").status_code == 200
    assert commands == ["GET", "MGET", "EVAL"]


# --- cache hits answered before routing (catalog.storefront) ------------------

_SAME_HEADERS = (
    "Content-Type", "ETag", "Allow", "X-Frame-Options", "Content-Security-Policy", "Vary",
    "Content-Language", "X-Content-Type-Options", "Referrer-Policy",
)  # fmt: skip


@pytest.mark.parametrize("kind", ["list", "detail"])
def test_a_hit_answers_exactly_like_the_view(shop, kind):
    client = shop["client"]
    path = "/api/products?in_stock=true&per_page=5" if kind == "list" else f"/api/products/{shop['first'].pk}"
    miss = client.get(path)  # through the API view, which fills the cache
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(path)
    assert queries.captured_queries == []
    assert hit.status_code == miss.status_code == 200
    assert {h: hit.get(h) for h in _SAME_HEADERS} == {h: miss.get(h) for h in _SAME_HEADERS}
    assert hit["Allow"] == (
        "GET, POST, HEAD, OPTIONS" if kind == "list" else "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    )
    same = ("success", "data", "message", "pagination")
    assert {k: hit.json().get(k) for k in same} == {k: miss.json().get(k) for k in same}
    assert hit.json()["request_id"] == hit["X-Request-ID"] != miss["X-Request-ID"]


def test_a_cached_page_still_checks_the_key_scope_and_rate(
    shop, make_api_key, key_client, owner, client_for, settings
):
    client, tenant = shop["client"], shop["tenant"]
    assert client.get("/api/products").status_code == 200  # cached now

    _key, other_scope = make_api_key(tenant, ["orders:read"], name="Orders only")
    refused = key_client(other_scope).get("/api/products")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert key_client("mck_nope_nothing").get("/api/products").status_code == 401

    key, revoked = make_api_key(tenant, ["catalog:read"], name="Soon revoked")
    assert key_client(revoked).get("/api/products").status_code == 200
    from accounts import services

    services.revoke_api_key(key, actor=owner)
    assert key_client(revoked).get("/api/products").status_code == 401

    draft = shop["first"]
    with_drafts = client_for(owner).get("/api/products")  # an operator: never the storefront cache
    assert with_drafts.status_code == 200 and "ETag" not in with_drafts
    assert draft.title in [p["title"] for p in with_drafts.json()["data"]]

    settings.API_THROTTLE_RATE = "2/hour"
    _key, limited = make_api_key(tenant, ["catalog:read"], name="Limited")
    limited_client = key_client(limited)
    assert [limited_client.get("/api/products").status_code for _ in range(3)] == [200, 200, 429]
