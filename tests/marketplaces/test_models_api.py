"""Marketplace accounts, sync requests and listings over the API: credentials never leave,
tenants stay apart, one queued job per account and kind."""

import json
import logging
import threading
from typing import Any

import pytest
from django.db import connection, connections

from marketplaces import services
from marketplaces.models import MAX_JOB_ERRORS, Listing, ListingStatus, MarketplaceAccount, SyncJob
from meschain.errors import Conflict, ValidationFailed
from meschain.models import AuditLog
from tests.marketplaces.factories import API_KEY, API_SECRET, connect, make_variant, trendyol_credentials

pytestmark = pytest.mark.django_db


def _create_body(**overrides: Any) -> dict[str, Any]:
    return {
        "marketplace": "trendyol",
        "name": "Trendyol TR",
        "credentials": trendyol_credentials(),
        **overrides,
    }


def _leaks(text: str) -> bool:
    return API_SECRET in text or API_KEY in text


# --- Credentials -------------------------------------------------------------------


def test_connecting_an_account_never_returns_the_credentials(
    owner: Any, client_for: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(owner)
    response = client.post("/api/marketplace-accounts", _create_body(), format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["credentials_configured"] is True
    assert data["seller_id"] == "555001"
    assert data["base_url"] == "https://apigw.trendyol.com/integration"
    assert data["settings"] == {"markup_percent": 0, "stock_buffer": 0}
    assert "credentials" not in data
    pk = data["id"]
    responses = [
        response,
        client.get(f"/api/marketplace-accounts/{pk}"),
        client.get("/api/marketplace-accounts"),
        client.get("/api/marketplaces"),
        client.patch(
            f"/api/marketplace-accounts/{pk}",
            {"credentials": {"api_secret": "new-" + API_SECRET}},
            format="json",
        ),
    ]
    for answer in responses:
        assert answer.status_code == 200 or answer.status_code == 201
        assert not _leaks(answer.content.decode())
    assert not _leaks(caplog.text)
    audit_rows = json.dumps(list(AuditLog.objects.values("before", "after", "object_repr")), default=str)
    assert not _leaks(audit_rows)
    assert AuditLog.objects.filter(action="marketplace.account_updated").get().after[
        "credential_keys_changed"
    ] == ["api_secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM marketplaces_marketplaceaccount WHERE id = %s", [pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and not _leaks(stored) and "api_key" not in stored
    account = MarketplaceAccount.objects.get(pk=pk)
    assert account.credential_values == {**trendyol_credentials(), "api_secret": "new-" + API_SECRET}


def test_overview_lists_marketplaces_with_their_credential_keys_and_accounts_with_health(
    owner: Any, client_for: Any
) -> None:
    account = connect(owner)
    listing = services.ensure_listing(account, make_variant(owner))
    Listing.objects.filter(pk=listing.pk).update(
        status=ListingStatus.ERROR, last_error="Barcode already used"
    )
    job = services.request_sync(account, "catalog", actor=owner)
    data = client_for(owner).get("/api/marketplaces").json()["data"]
    trendyol = next(m for m in data["marketplaces"] if m["code"] == "trendyol")
    assert trendyol["credential_fields"] == ["seller_id", "api_key", "api_secret"]
    assert [m["code"] for m in data["marketplaces"]] == ["trendyol", "hepsiburada", "n11", "amazon", "ozon"]
    [shown] = data["accounts"]
    assert shown["id"] == account.pk
    assert shown["health"]["listings"] == 1
    assert shown["health"]["listings_in_error"] == 1
    assert shown["health"]["sync_active"] is True
    assert shown["health"]["last_job"]["id"] == job.pk
    assert shown["health"]["last_job"]["state"] == "queued"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_create_body(credentials={"seller_id": "1", "api_key": "k"}), "credentials"),
        (_create_body(credentials={**trendyol_credentials(), "password": "x"}), "credentials"),
        (_create_body(credentials={**trendyol_credentials(), "api_key": ""}), "credentials"),
        (_create_body(marketplace="ebay"), "marketplace"),
        (_create_body(base_url="ftp://example.com"), "base_url"),
        (_create_body(settings={"markup_percent": "lots"}), "settings"),
        (_create_body(settings={"colour": "red"}), "settings"),
        (_create_body(seller_id="999"), "seller_id"),
        (_create_body(is_admin=True), "is_admin"),
    ],
)
def test_bad_account_input_is_a_400_and_creates_nothing(
    owner: Any, client_for: Any, body: dict[str, Any], field: str
) -> None:
    response = client_for(owner).post("/api/marketplace-accounts", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    assert not _leaks(response.content.decode())
    assert MarketplaceAccount.objects.count() == 0
    assert not AuditLog.objects.filter(action__startswith="marketplace.").exists()


def test_same_seller_account_twice_is_a_conflict(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    assert client.post("/api/marketplace-accounts", _create_body(), format="json").status_code == 201
    response = client.post("/api/marketplace-accounts", _create_body(name="Again"), format="json")
    assert response.status_code == 409
    assert MarketplaceAccount.objects.count() == 1


def test_update_merges_credentials_and_bad_update_changes_nothing(owner: Any, client_for: Any) -> None:
    account = connect(owner)
    client = client_for(owner)
    bad = client.patch(
        f"/api/marketplace-accounts/{account.pk}",
        {"name": "Renamed", "credentials": {"api_key": ""}},
        format="json",
    )
    assert bad.status_code == 400
    account.refresh_from_db()
    assert account.name == "Trendyol TR"
    assert account.credential_values == trendyol_credentials()
    response = client.patch(
        f"/api/marketplace-accounts/{account.pk}",
        {"name": "Renamed", "settings": {"markup_percent": 12.5, "stock_buffer": 3}, "is_active": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["data"]["settings"] == {"markup_percent": 12.5, "stock_buffer": 3}
    assert response.json()["data"]["is_active"] is False
    account.refresh_from_db()
    assert account.credential_values == trendyol_credentials()
    marketplace_change = client.patch(
        f"/api/marketplace-accounts/{account.pk}", {"marketplace": "n11"}, format="json"
    )
    assert marketplace_change.status_code == 400
    assert MarketplaceAccount.objects.get().marketplace == "trendyol"


def test_delete_refuses_an_account_with_listings(owner: Any, client_for: Any) -> None:
    account = connect(owner)
    services.ensure_listing(account, make_variant(owner))
    client = client_for(owner)
    assert client.delete(f"/api/marketplace-accounts/{account.pk}").status_code == 409
    assert MarketplaceAccount.objects.filter(pk=account.pk).exists()
    empty = connect(owner, name="Second", seller_id="555002")
    assert client.delete(f"/api/marketplace-accounts/{empty.pk}").status_code == 204
    assert not MarketplaceAccount.objects.filter(pk=empty.pk).exists()


# --- Tenant isolation and permissions ---------------------------------------------------


def test_another_tenants_rows_are_not_found_on_every_endpoint(
    owner: Any, other_owner: Any, client_for: Any
) -> None:
    theirs = connect(other_owner)
    listing = services.ensure_listing(theirs, make_variant(other_owner, "THEIRS"))
    job = services.request_sync(theirs, "orders", actor=other_owner)
    client = client_for(owner)
    for url in (
        f"/api/marketplace-accounts/{theirs.pk}",
        f"/api/sync/status/{job.pk}",
        f"/api/listings/{listing.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (
        client.patch(f"/api/marketplace-accounts/{theirs.pk}", {"name": "Mine"}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/marketplace-accounts/{theirs.pk}").status_code == 404
    sync = client.post("/api/sync/trendyol", {"kind": "catalog", "account": theirs.pk}, format="json")
    assert sync.status_code == 400
    assert sync.json()["error"]["details"] == {"account": ["No such marketplace account."]}
    for url in ("/api/marketplace-accounts", "/api/listings", "/api/sync/status"):
        assert client.get(url).json()["data"] == [], url
    assert client.get("/api/marketplaces").json()["data"]["accounts"] == []
    theirs.refresh_from_db()
    assert theirs.name == "Trendyol TR"
    assert SyncJob.objects.count() == 1


def test_viewer_reads_but_cannot_write(owner: Any, viewer: Any, client_for: Any) -> None:
    account = connect(owner)
    client = client_for(viewer)
    assert client.get("/api/marketplace-accounts").status_code == 200
    assert client.get("/api/marketplaces").status_code == 200
    assert client.get("/api/listings").status_code == 200
    assert (
        client.post(
            "/api/marketplace-accounts", _create_body(seller_id=None, name="X"), format="json"
        ).status_code
        == 403
    )
    assert (
        client.patch(f"/api/marketplace-accounts/{account.pk}", {"name": "X"}, format="json").status_code
        == 403
    )
    assert client.delete(f"/api/marketplace-accounts/{account.pk}").status_code == 403
    assert (
        client.post(
            "/api/sync/trendyol", {"kind": "catalog", "account": account.pk}, format="json"
        ).status_code
        == 403
    )
    assert MarketplaceAccount.objects.get().name == "Trendyol TR"
    assert SyncJob.objects.count() == 0


def test_api_keys_cannot_use_marketplace_endpoints(owner: Any, make_api_key: Any, key_client: Any) -> None:
    connect(owner)
    _key, full = make_api_key(owner.tenant, scopes=["catalog:read", "orders:read"])
    client = key_client(full)
    for url in ("/api/marketplaces", "/api/marketplace-accounts", "/api/listings", "/api/sync/status"):
        assert client.get(url).status_code == 403, url


# --- Sync requests -----------------------------------------------------------------


def test_sync_request_is_202_with_the_job_and_a_second_one_is_409(owner: Any, client_for: Any) -> None:
    account = connect(owner)
    client = client_for(owner)
    response = client.post(
        "/api/sync/trendyol", {"kind": "stock_price", "account": account.pk}, format="json"
    )
    assert response.status_code == 202
    job = response.json()["data"]
    assert job["state"] == "queued"
    assert job["kind"] == "stock_price"
    assert job["account"] == account.pk
    assert job["percent"] == 0
    assert job["started_by"] == "alpha-owner"
    again = client.post("/api/sync/trendyol", {"kind": "stock_price", "account": account.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    assert SyncJob.objects.count() == 1
    other_kind = client.post("/api/sync/trendyol", {"kind": "orders", "account": account.pk}, format="json")
    assert other_kind.status_code == 202
    status = client.get(f"/api/sync/status/{job['id']}").json()["data"]
    assert (status["state"], status["total"], status["done"], status["failed"]) == ("queued", 0, 0, 0)
    SyncJob.objects.filter(pk=job["id"]).update(state="running", total=200, done=50, failed=10)
    status = client.get(f"/api/sync/status/{job['id']}").json()["data"]
    assert (status["state"], status["percent"]) == ("running", 30)
    SyncJob.objects.filter(pk=job["id"]).update(state="succeeded")
    assert (
        client.post(
            "/api/sync/trendyol", {"kind": "stock_price", "account": account.pk}, format="json"
        ).status_code
        == 202
    )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/sync/ebay", {"kind": "catalog"}, 404),
        ("/api/sync/hepsiburada", {"kind": "catalog"}, 400),
        ("/api/sync/trendyol", {"kind": "everything"}, 400),
        ("/api/sync/trendyol", {"kind": "catalog", "extra": 1}, 400),
    ],
)
def test_bad_sync_requests_queue_nothing(
    owner: Any, client_for: Any, path: str, body: dict[str, Any], status: int
) -> None:
    account = connect(owner)
    response = client_for(owner).post(path, {**body, "account": account.pk}, format="json")
    assert response.status_code == status
    assert SyncJob.objects.count() == 0


def test_an_inactive_account_cannot_sync(owner: Any, client_for: Any) -> None:
    account = services.deactivate_account(connect(owner), actor=owner)
    response = client_for(owner).post(
        "/api/sync/trendyol", {"kind": "orders", "account": account.pk}, format="json"
    )
    assert response.status_code == 409
    assert SyncJob.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sync_requests_make_one_job(make_tenant: Any) -> None:
    from accounts.models import User

    make_tenant("alpha")
    owner = User.objects.get(username="alpha-owner")
    account = connect(owner)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def ask() -> None:
        try:
            barrier.wait()
            services.request_sync(account, "catalog", actor=owner)
            outcomes.append("queued")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "queued"]
    assert SyncJob.objects.filter(account=account).count() == 1


# --- Listings ----------------------------------------------------------------------


def test_listings_filter_by_account_status_error_and_sku(owner: Any, client_for: Any) -> None:
    first, second = connect(owner), connect(owner, name="Second", seller_id="555002")
    tee, cap = make_variant(owner, "TEE-M"), make_variant(owner, "CAP-1")
    ok = services.ensure_listing(first, tee)
    bad = services.ensure_listing(first, cap)
    other = services.ensure_listing(second, tee)
    Listing.objects.filter(pk=ok.pk).update(status=ListingStatus.SYNCED)
    Listing.objects.filter(pk=bad.pk).update(status=ListingStatus.ERROR, last_error="Kategori bulunamadı")
    client = client_for(owner)

    def ids(query: dict[str, Any]) -> list[int]:
        response = client.get("/api/listings", query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["data"]]

    assert ids({}) == [ok.pk, bad.pk, other.pk]
    assert ids({"account": second.pk}) == [other.pk]
    assert ids({"status": "synced"}) == [ok.pk]
    assert ids({"has_error": "true"}) == [bad.pk]
    assert ids({"has_error": "false"}) == [ok.pk, other.pk]
    assert ids({"sku": "TEE-M"}) == [ok.pk, other.pk]
    row = client.get(f"/api/listings/{bad.pk}").json()["data"]
    assert (row["sku"], row["status"], row["has_error"], row["last_error"]) == (
        "CAP-1",
        "error",
        True,
        "Kategori bulunamadı",
    )
    for query in ({"status": "broken"}, {"has_error": "maybe"}, {"account": "x"}, {"sku": "TEE\x00"}):
        assert client.get("/api/listings", query).status_code == 400


def test_a_listing_must_be_of_the_accounts_tenant(owner: Any, other_owner: Any) -> None:
    account = connect(owner)
    with pytest.raises(ValidationFailed):
        services.ensure_listing(account, make_variant(other_owner, "THEIRS"))
    assert Listing.objects.count() == 0


def test_deleting_a_listed_product_is_a_conflict(owner: Any, client_for: Any) -> None:
    variant = make_variant(owner)
    services.ensure_listing(connect(owner), variant)
    response = client_for(owner).delete(f"/api/products/{variant.product_id}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert variant.__class__.objects.filter(pk=variant.pk).exists()
    assert Listing.objects.count() == 1


def test_job_progress_adds_counts_and_keeps_only_the_first_errors(owner: Any, client_for: Any) -> None:
    job = services.request_sync(connect(owner), "catalog", actor=owner)
    SyncJob.objects.filter(pk=job.pk).update(state="running", total=300)
    errors = [{"barcode": f"B{n}", "message": "Kategori bulunamadı"} for n in range(150)]
    services.record_job_progress(job, done=50, failed=150, errors=errors)
    services.record_job_progress(job, done=0, failed=100, errors=errors[:100])
    status = client_for(owner).get(f"/api/sync/status/{job.pk}").json()["data"]
    assert (status["done"], status["failed"], status["percent"]) == (50, 250, 100)
    assert len(status["errors"]) == MAX_JOB_ERRORS == 200
    assert status["errors"][0] == {"barcode": "B0", "message": "Kategori bulunamadı"}
    assert status["heartbeat_at"] is not None
