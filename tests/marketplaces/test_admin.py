"""Marketplace admin pages: credentials go in through password inputs and never come back;
every page and choice is limited to the user's tenant."""

import json
import logging
from typing import Any

import pytest

from catalog.services import taxonomy
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, MarketplaceAccount, SyncJob
from meschain.models import AuditLog
from tests.marketplaces.factories import API_KEY, API_SECRET, connect, make_variant, trendyol_credentials

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/marketplaces/marketplaceaccount/add/"


def _change_url(model: str, pk: int) -> str:
    return f"/admin/marketplaces/{model}/{pk}/change/"


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "marketplace": "trendyol", "name": "Trendyol TR", "seller_id": "", "base_url": "",
        "settings": '{"markup_percent": 5, "stock_buffer": 1}', "is_active": "on",
        "credential_seller_id": "555001", "credential_api_key": API_KEY, "credential_api_secret": API_SECRET,
    }  # fmt: skip
    data.update(overrides)
    return data


def test_adding_an_account_in_the_admin_encrypts_and_never_shows_the_credentials(
    owner: Any, admin_client_for: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    client = admin_client_for(owner)
    form_page = client.get(ADD_URL).content.decode()
    assert 'type="password" name="credential_api_secret"' in form_page
    response = client.post(ADD_URL, _form())
    assert response.status_code == 302
    account = MarketplaceAccount.objects.get()
    assert (account.tenant_id, account.seller_id, account.base_url) == (
        owner.tenant_id,
        "555001",
        "https://apigw.trendyol.com/integration",
    )
    assert account.settings == {"markup_percent": 5, "stock_buffer": 1}
    assert account.credential_values == trendyol_credentials()
    pages = [
        client.get(_change_url("marketplaceaccount", account.pk)).content.decode(),
        client.get("/admin/marketplaces/marketplaceaccount/").content.decode(),
        client.get(f"/admin/meschain/auditlog/?q={account.pk}").content.decode(),
    ]
    assert "Configured: api_key, api_secret, seller_id" in pages[0]
    for page in pages:
        assert API_SECRET not in page and API_KEY not in page
    assert API_SECRET not in caplog.text
    assert API_SECRET not in json.dumps(list(AuditLog.objects.values("before", "after")), default=str)


def test_an_empty_credential_input_keeps_the_stored_value(owner: Any, admin_client_for: Any) -> None:
    account = connect(owner)
    response = admin_client_for(owner).post(
        _change_url("marketplaceaccount", account.pk),
        _form(
            name="Renamed",
            credential_api_key="",
            credential_api_secret="rotated-secret",
            credential_seller_id="",
        ),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.credential_values == {**trendyol_credentials(), "api_secret": "rotated-secret"}


def test_missing_credentials_show_a_form_error_and_save_nothing(owner: Any, admin_client_for: Any) -> None:
    response = admin_client_for(owner).post(ADD_URL, _form(credential_api_secret=""))
    assert response.status_code == 200
    assert "Missing credentials: api_secret." in response.content.decode()
    assert API_KEY not in response.content.decode()
    assert MarketplaceAccount.objects.count() == 0


def test_admin_pages_are_limited_to_the_users_tenant(
    owner: Any, other_owner: Any, admin_client_for: Any
) -> None:
    mine = connect(owner, name="Mine")
    theirs = connect(other_owner, name="Theirs")
    their_listing = services.ensure_listing(theirs, make_variant(other_owner, "THEIRS"))
    their_job = services.request_sync(theirs, "orders", actor=other_owner)
    services.ensure_listing(mine, make_variant(owner, "MINE"))
    client = admin_client_for(owner)
    for url in (
        _change_url("marketplaceaccount", theirs.pk),
        _change_url("listing", their_listing.pk),
        _change_url("syncjob", their_job.pk),
    ):
        assert client.get(url).status_code == 302, url  # "does not exist" → back to the index
    listings_page = client.get("/admin/marketplaces/listing/").content.decode()
    assert "MINE" in listings_page and "THEIRS" not in listings_page
    assert "Theirs" not in listings_page  # the account filter offers only the tenant's accounts
    assert "Theirs" not in client.get("/admin/marketplaces/syncjob/").content.decode()
    taxonomy.save_category(owner.tenant_id, name="Our shirts", actor=owner)
    taxonomy.save_category(other_owner.tenant_id, name="Their shirts", actor=other_owner)
    mapping_form = client.get("/admin/marketplaces/categorymapping/add/").content.decode()
    assert "Mine" in mapping_form and "Theirs" not in mapping_form
    assert "Our shirts" in mapping_form and "Their shirts" not in mapping_form


def test_listing_badges_errors_and_filters(owner: Any, admin_client_for: Any) -> None:
    account = connect(owner)
    ok = services.ensure_listing(account, make_variant(owner, "OK-1"))
    bad = services.ensure_listing(account, make_variant(owner, "BAD-1"))
    Listing.objects.filter(pk=ok.pk).update(status=ListingStatus.SYNCED)
    Listing.objects.filter(pk=bad.pk).update(
        status=ListingStatus.ERROR, last_error="Barkod zaten kullanılıyor"
    )
    client = admin_client_for(owner)
    page = client.get("/admin/marketplaces/listing/").content.decode()
    assert '<span class="mp-status mp-status--synced">Synced</span>' in page
    assert '<span class="mp-status mp-status--error">Error</span>' in page
    assert "Barkod zaten kullanılıyor" in page
    assert "marketplaces/admin.css" in page
    assert "style=" not in page.split("<body", 1)[1].split('id="changelist"', 1)[1]
    only_errors = client.get("/admin/marketplaces/listing/?has_error=yes").content.decode()
    assert "BAD-1" in only_errors and "OK-1" not in only_errors


def test_sync_jobs_are_read_only_with_a_progress_bar(owner: Any, admin_client_for: Any) -> None:
    job = services.request_sync(connect(owner), "catalog", actor=owner)
    SyncJob.objects.filter(pk=job.pk).update(state="running", total=40, done=10, failed=2)
    client = admin_client_for(owner)
    page = client.get("/admin/marketplaces/syncjob/").content.decode()
    assert '<progress class="mp-progress" max="40" value="12">30%</progress>' in page
    assert '<span class="mp-status mp-status--running">Running</span>' in page
    detail = client.get(_change_url("syncjob", job.pk)).content.decode()
    assert "12 / 40" in detail
    assert 'name="_save"' not in detail
    assert client.get("/admin/marketplaces/syncjob/add/").status_code == 403
    assert SyncJob.objects.get().state == "running"


def test_an_account_form_shows_only_its_marketplaces_credential_keys(owner: Any, admin_client_for: Any) -> None:
    client = admin_client_for(owner)
    add_page = client.get(ADD_URL).content.decode()
    assert 'name="credential_app_key"' in add_page and 'data-marketplaces="n11"' in add_page
    assert "marketplaces/account_form.js" in add_page  # hides the other marketplaces' keys

    response = client.post(ADD_URL, {
        "marketplace": "n11", "name": "N11", "seller_id": "n11-store", "base_url": "", "settings": "{}",
        "is_active": "on", "credential_app_key": "n11-app-key-1", "credential_app_secret": "n11-app-secret-1",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    account = MarketplaceAccount.objects.get(marketplace="n11")
    page = client.get(_change_url("marketplaceaccount", account.pk)).content.decode()

    assert 'name="credential_app_key"' in page and 'name="credential_app_secret"' in page
    assert 'name="credential_api_key"' not in page and 'name="credential_service_key"' not in page
    assert "n11-app-secret-1" not in page
