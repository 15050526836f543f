"""Sync from the admin: test connection, sync now, retry, live job progress, cancel, and
products sent to a marketplace, against an in-process Trendyol sandbox. Every button and
action works on the user's own tenant only."""

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from catalog.models import Product
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, MarketplaceAccount, SyncJob, SyncState
from marketplaces.sandbox.trendyol import TrendyolSandbox
from tests.marketplaces.sync_world import (
    KEY,
    SECRET,
    World,
    make_world,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]

ACCOUNTS = "/admin/marketplaces/marketplaceaccount/"
LISTINGS = "/admin/marketplaces/listing/"
JOBS = "/admin/marketplaces/syncjob/"
PRODUCTS = "/admin/catalog/product/"



@pytest.fixture
def sandbox(sync_sandbox: TrendyolSandbox) -> TrendyolSandbox:
    return sync_sandbox


@pytest.fixture
def world(owner: Any, sandbox: TrendyolSandbox) -> World:
    return make_world(owner.tenant, sandbox, products=5, variants_per_product=2)  # 10 variants


@pytest.fixture
def stranger_account(other_owner: Any, sandbox: TrendyolSandbox) -> MarketplaceAccount:
    return services.connect_account(
        tenant=other_owner.tenant, marketplace="trendyol", name="Their shop", base_url=sandbox.base_url,
        credentials={"seller_id": "999", "api_key": KEY, "api_secret": SECRET},
    )  # fmt: skip


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action(client: Any, url: str, name: str, ids: list[int], **extra: Any) -> Any:
    return client.post(url, {"action": name, "_selected_action": [str(i) for i in ids], **extra}, follow=True)


# --- Test connection -------------------------------------------------------------------------


def test_test_connection_button_reports_success(world: World, operator: Any, admin_client_for: Any) -> None:
    client = admin_client_for(operator)
    page = client.get(f"{ACCOUNTS}{world.account.pk}/change/").content.decode()
    assert 'id="mp-test-connection"' in page and 'id="mp-sync-now"' in page

    response = client.post(f"{ACCOUNTS}{world.account.pk}/test-connection/", follow=True)

    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}{world.account.pk}/change/"
    assert texts(response) == ["Trendyol TR: Connected: the marketplace accepted the credentials."]


def test_wrong_credentials_fail_clearly_without_echoing_secrets(
    world: World, owner: Any, admin_client_for: Any
) -> None:
    services.update_account(world.account, actor=owner, changes={"credentials": {"api_secret": "wrong-Xy91"}})

    response = action(admin_client_for(owner), ACCOUNTS, "test_connection_selected", [world.account.pk])

    [message] = texts(response)
    assert message.startswith("Trendyol TR: the connection failed: The marketplace answered 401 to GET ")
    page = response.content.decode()
    assert "wrong-Xy91" not in page and SECRET not in page and KEY not in page
    assert "wrong-Xy91" not in message and KEY not in message


def test_another_tenants_account_is_404_for_every_button(
    world: World, stranger_account: MarketplaceAccount, owner: Any, admin_client_for: Any
) -> None:
    client = admin_client_for(owner)
    for suffix in ("test-connection/", "sync/"):
        assert client.post(f"{ACCOUNTS}{stranger_account.pk}/{suffix}", {"kind": "full"}).status_code == 404
    response = action(client, ACCOUNTS, "sync_full", [stranger_account.pk])
    assert texts(response) == []  # the other tenant's id selects nothing
    assert not SyncJob.objects.exists()


def test_a_viewer_may_not_sync_or_test(world: World, viewer: Any, admin_client_for: Any) -> None:
    client = admin_client_for(viewer)
    page = client.get(f"{ACCOUNTS}{world.account.pk}/change/").content.decode()
    assert "mp-sync-now" not in page and "mp-test-connection" not in page
    assert client.post(f"{ACCOUNTS}{world.account.pk}/sync/", {"kind": "full"}).status_code == 403
    assert client.post(f"{ACCOUNTS}{world.account.pk}/test-connection/").status_code == 403
    assert not SyncJob.objects.exists()


# --- Sync now --------------------------------------------------------------------------------


def test_sync_now_runs_the_job_and_opens_it(
    world: World, operator: Any, admin_client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = admin_client_for(operator)
    with django_capture_on_commit_callbacks(execute=True):  # no broker: the job runs on commit
        response = client.post(f"{ACCOUNTS}{world.account.pk}/sync/", {"kind": "catalog"})

    job = SyncJob.objects.get()
    assert response.url == f"{JOBS}{job.pk}/change/"
    response = client.get(response.url)
    assert (job.kind, job.state, job.done, job.started_by) == (
        "catalog",
        SyncState.SUCCEEDED,
        10,
        "alpha-operator",
    )
    assert texts(response) == [
        f'Trendyol TR: Catalogue sync <a href="{JOBS}{job.pk}/change/">#{job.pk}</a> requested.'
    ]
    page = response.content.decode()
    assert "mp-status--succeeded" in page and "10 / 10" in page
    assert Listing.objects.filter(status=ListingStatus.SYNCED).count() == 10

    listing_page = client.get(ACCOUNTS).content.decode()
    assert f'href="{JOBS}{job.pk}/change/"' in listing_page and f"Catalogue #{job.pk}" in listing_page


def test_sync_now_while_one_runs_names_and_links_the_running_job(
    world: World, owner: Any, admin_client_for: Any
) -> None:
    running = services.request_sync(world.account, "catalog", actor=owner, enqueue=False)

    response = admin_client_for(owner).post(
        f"{ACCOUNTS}{world.account.pk}/sync/", {"kind": "catalog"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}{world.account.pk}/change/"
    [message] = texts(response)
    assert "a Catalogue sync is already queued or running" in message
    assert f'<a href="{JOBS}{running.pk}/change/">sync #{running.pk}</a>' in message
    assert SyncJob.objects.count() == 1


def test_sync_actions_queue_one_job_per_account(world: World, owner: Any, admin_client_for: Any) -> None:
    client = admin_client_for(owner)
    response = action(client, ACCOUNTS, "sync_stock_price", [world.account.pk])
    job = SyncJob.objects.get()
    assert (job.kind, job.account_id) == ("stock_price", world.account.pk)
    assert texts(response) == [
        f'Trendyol TR: Stock and prices sync <a href="{JOBS}{job.pk}/change/">#{job.pk}</a> requested.'
    ]

    again = action(client, ACCOUNTS, "sync_stock_price", [world.account.pk])
    assert "already queued or running" in texts(again)[0]
    assert SyncJob.objects.count() == 1


def test_the_account_list_shows_health(world: World, owner: Any, admin_client_for: Any) -> None:
    services.list_variants(world.account)
    Listing.objects.filter(pk__in=Listing.objects.order_by("id").values("pk")[:3]).update(
        status=ListingStatus.ERROR, last_error="brand missing"
    )
    job = services.request_sync(world.account, "orders", actor=owner, enqueue=False)

    page = admin_client_for(owner).get(ACCOUNTS).content.decode()

    assert f"Orders #{job.pk}" in page and "mp-status--queued" in page
    assert f'href="{LISTINGS}?account={world.account.pk}&amp;status__exact=error">3</a>' in page


# --- Listings: retry -------------------------------------------------------------------------


def test_retry_makes_listings_due_and_requests_a_catalogue_sync(
    world: World, owner: Any, admin_client_for: Any
) -> None:
    services.list_variants(world.account)
    failing = list(Listing.objects.order_by("id")[:2])
    Listing.objects.filter(pk__in=[x.pk for x in failing]).update(
        status=ListingStatus.ERROR, last_error="vatRate", retry_count=3, next_attempt_at="2099-01-01T00:00Z",
        pushed_quantity=7, pushed_price="12.50",
    )  # fmt: skip
    client = admin_client_for(owner)
    page = client.get(f"{LISTINGS}?account__marketplace__exact=trendyol&status__exact=error").content.decode()
    assert "12.50" in page and "Jan. 1, 2099" in page and page.count('class="action-select"') == 2

    ids = [listing.pk for listing in Listing.objects.order_by("id")[:4]]
    response = action(client, LISTINGS, "retry_selected", ids)

    job = SyncJob.objects.get()
    assert job.kind == "catalog"
    assert texts(response) == [
        "2 listings will be sent again.",
        f'Trendyol TR: catalogue sync <a href="{JOBS}{job.pk}/change/">#{job.pk}</a> requested.',
    ]
    assert all(
        x.next_attempt_at is None and x.retry_count == 0 for x in Listing.objects.filter(status="error")
    )

    Listing.objects.filter(pk=failing[0].pk).update(next_attempt_at="2099-01-01T00:00Z")
    again = action(client, LISTINGS, "retry_selected", ids)  # the catalogue sync is still queued
    assert "already queued or running" in texts(again)[1] and SyncJob.objects.count() == 1


def test_retry_ignores_another_tenants_listings(
    world: World, stranger_account: MarketplaceAccount, owner: Any, other_owner: Any, admin_client_for: Any
) -> None:
    stranger = make_world(other_owner.tenant, world.sandbox, products=1)
    services.list_variants(stranger.account)
    theirs = Listing.objects.get(account=stranger.account)
    Listing.objects.filter(pk=theirs.pk).update(status="error", last_error="x", retry_count=2)

    action(admin_client_for(owner), LISTINGS, "retry_selected", [theirs.pk])

    theirs.refresh_from_db()
    assert theirs.retry_count == 2 and not SyncJob.objects.exists()
    assert (
        admin_client_for(owner).get(f"{LISTINGS}{theirs.pk}/change/").status_code == 302
    )  # not found → list


# --- Sync jobs: live progress and cancel -----------------------------------------------------


def test_progress_json_for_the_tenants_job(
    world: World, owner: Any, admin_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    job = services.request_sync(world.account, "full", actor=owner, enqueue=False)
    SyncJob.objects.filter(pk=job.pk).update(state="running", stage="stock_price", total=10, done=4, failed=1,
                                             message="Sending stock", requests=3)  # fmt: skip
    client = admin_client_for(owner)

    # session and user (with its tenant), the user's permissions (2), the job; the session is
    # saved on every request (SESSION_SAVE_EVERY_REQUEST)
    with django_assert_max_num_queries(8):
        response = client.get(f"{JOBS}{job.pk}/progress/")

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    data = response.json()
    assert {k: data[k] for k in ("state", "state_label", "active", "stage", "stage_label", "message")} == {
        "state": "running", "state_label": "Running", "active": True, "stage": "stock_price",
        "stage_label": "Stock and prices", "message": "Sending stock",
    }  # fmt: skip
    assert (data["total"], data["done"], data["failed"], data["processed"], data["percent"]) == (
        10,
        4,
        1,
        5,
        50,
    )
    assert data["requests"] == 3 and data["finished_at"] is None


def test_the_job_page_loads_the_live_script_without_inline_script(
    world: World, owner: Any, admin_client_for: Any
) -> None:
    job = services.request_sync(world.account, "catalog", actor=owner, enqueue=False)

    page = admin_client_for(owner).get(f"{JOBS}{job.pk}/change/").content.decode()

    assert '<script src="/static/marketplaces/sync_progress.js"></script>' in page
    assert f'data-sync-job="{JOBS}{job.pk}/progress/" data-sync-field="state"' in page
    assert 'data-sync-field="progress"' in page and 'id="mp-cancel"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    changelist = admin_client_for(owner).get(JOBS).content.decode()
    assert f'data-sync-job="{JOBS}{job.pk}/progress/"' in changelist


def test_another_tenants_job_is_404(
    world: World, stranger_account: MarketplaceAccount, owner: Any, admin_client_for: Any
) -> None:
    theirs = services.request_sync(stranger_account, "catalog", actor="test", enqueue=False)
    client = admin_client_for(owner)

    assert client.get(f"{JOBS}{theirs.pk}/progress/").status_code == 404
    assert client.post(f"{JOBS}{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == SyncState.QUEUED


def test_cancel_stops_a_queued_job_and_needs_the_change_permission(
    world: World, owner: Any, viewer: Any, admin_client_for: Any
) -> None:
    job = services.request_sync(world.account, "catalog", actor=owner, enqueue=False)
    assert admin_client_for(viewer).post(f"{JOBS}{job.pk}/cancel/").status_code == 403
    assert admin_client_for(owner).get(f"{JOBS}{job.pk}/cancel/").status_code == 405

    response = admin_client_for(owner).post(f"{JOBS}{job.pk}/cancel/", follow=True)

    job.refresh_from_db()
    assert (job.state, job.message) == (SyncState.FAILED, "Cancelled by alpha-owner.")
    assert texts(response) == [f"Sync #{job.pk} cancelled."]
    assert 'id="mp-cancel"' not in response.content.decode()
    again = admin_client_for(owner).post(f"{JOBS}{job.pk}/cancel/", follow=True)
    assert texts(again) == ["This sync has already finished."]


# --- Products → a marketplace ----------------------------------------------------------------


def test_sync_products_asks_for_an_account_of_the_tenant_then_lists_and_syncs(
    world: World, stranger_account: MarketplaceAccount, owner: Any, admin_client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    inactive = services.connect_account(
        tenant=owner.tenant, marketplace="trendyol", name="Old shop", base_url=world.sandbox.base_url,
        credentials={"seller_id": "777", "api_key": KEY, "api_secret": SECRET},
    )  # fmt: skip
    services.deactivate_account(inactive, actor=owner)
    products = list(Product.objects.filter(tenant=owner.tenant).order_by("id")[:2])
    client = admin_client_for(owner)

    page = action(client, PRODUCTS, "sync_to_marketplace", [p.pk for p in products]).content.decode()
    assert f'<option value="{world.account.pk}">Trendyol TR (Trendyol)</option>' in page
    assert "Old shop" not in page and "Their shop" not in page
    assert not Listing.objects.exists()

    refused = action(client, PRODUCTS, "sync_to_marketplace", [p.pk for p in products],
                     post="yes", account=str(stranger_account.pk))  # fmt: skip
    assert "Select a valid choice" in refused.content.decode() and not Listing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = action(client, PRODUCTS, "sync_to_marketplace", [p.pk for p in products],
                          post="yes", account=str(world.account.pk))  # fmt: skip

    job = SyncJob.objects.get()
    assert texts(response) == [
        "Trendyol TR: 4 new listings.",
        f'Trendyol TR: catalogue sync <a href="{JOBS}{job.pk}/change/">#{job.pk}</a> requested.',
    ]
    job.refresh_from_db()
    assert job.state == SyncState.SUCCEEDED
    chosen = Listing.objects.filter(variant__product__in=products)
    assert [x.status for x in chosen] == [ListingStatus.SYNCED] * 4
    assert not Listing.objects.filter(account__tenant=stranger_account.tenant).exists()


def test_sync_products_while_a_catalogue_sync_runs_still_lists_them(
    world: World, owner: Any, admin_client_for: Any
) -> None:
    running = services.request_sync(world.account, "catalog", actor=owner, enqueue=False)
    ids = list(Product.objects.filter(tenant=owner.tenant).values_list("pk", flat=True)[:1])

    response = action(admin_client_for(owner), PRODUCTS, "sync_to_marketplace", ids,
                      post="yes", account=str(world.account.pk))  # fmt: skip

    assert texts(response) == [
        "Trendyol TR: 2 new listings.",
        f'A catalogue sync of Trendyol TR is already queued or running (<a href="{JOBS}{running.pk}/change/">'
        f"#{running.pk}</a>): these products go with the next one.",
    ]
    assert Listing.objects.filter(status=ListingStatus.PENDING).count() == 2
    assert SyncJob.objects.count() == 1
