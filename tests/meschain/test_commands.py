"""seed_demo: the demo tenant, its users and a platform admin, idempotently."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Role, Tenant, User
from catalog.models import Product, StockMovement, Variant
from marketplaces import services
from marketplaces.models import CategoryMapping, Listing, ListingStatus, MarketplaceAccount
from marketplaces.sandbox import SANDBOXES, sandbox_class, sandbox_module
from marketplaces.sandbox.trendyol import TrendyolSandbox
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return (
        Tenant.objects.count(), User.objects.count(), AuditLog.objects.count(), Product.objects.count(),
        Variant.objects.count(), StockMovement.objects.count(), MarketplaceAccount.objects.count(),
        CategoryMapping.objects.count(),
    )  # fmt: skip


def test_seed_demo_creates_the_demo_and_prints_the_logins():
    output = _seed()

    lines = output.splitlines()
    assert lines[:5] == [
        "Demo logins (admin at /admin/, API at /api/auth/login):",
        "  demo-owner      Bazaar-Lantern-2026        Owner of “Demo Store”",
        "  demo-operator   Cargo-Ready-4711           Operator of “Demo Store”",
        "  admin           Platform-Root-2026         platform superuser",
        "Marketplace account “Trendyol sandbox” talks to http://127.0.0.1:8100/integration: run "
        "`manage.py marketplace_sandbox trendyol`, then “Sync now” on the account in the admin.",
    ]
    others = sorted(set(SANDBOXES) - {"trendyol"})
    assert sorted(re.search(r"marketplace_sandbox (\w+)`", line).group(1) for line in lines[5:]) == others
    tenant = Tenant.objects.get(slug="demo")
    assert {(u.username, u.role, u.tenant_id) for u in User.objects.filter(is_superuser=False)} == {
        ("demo-owner", Role.OWNER, tenant.pk),
        ("demo-operator", Role.OPERATOR, tenant.pk),
    }
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.tenant_id) == (True, True, None)


def test_seed_demo_is_idempotent():
    first = _seed()
    counts = _counts()

    second = _seed()

    assert _counts() == counts
    assert counts[:2] == (1, 3) and counts[3:5] == (5, 10) and counts[6:] == (len(SANDBOXES), 4 * len(SANDBOXES))
    assert second == first
    assert _seed("--quiet-if-present") == ""
    assert _counts() == counts


def test_printed_logins_work():
    _seed()
    client = APIClient()

    owner = client.post(
        "/api/auth/login", {"username": "demo-owner", "password": "Bazaar-Lantern-2026"}, format="json"
    )
    operator = client.post(
        "/api/auth/login", {"username": "demo-operator", "password": "Cargo-Ready-4711"}, format="json"
    )
    admin = client.post("/admin/login/", {"username": "admin", "password": "Platform-Root-2026"})

    assert owner.status_code == operator.status_code == 200
    assert owner.json()["data"]["user"]["tenant"]["slug"] == "demo"
    assert admin.status_code == 302


def test_seed_demo_refuses_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match=r"seed_demo does not run with DJANGO_ENV=production\."):
        _seed()

    assert _counts() == (0,) * 8


def test_the_demo_account_talks_to_the_sandbox_and_its_catalogue_syncs(settings):
    """The demo account's keys and mappings are those `marketplace_sandbox trendyol` serves:
    a full sync lists every demo variant (on a free port here instead of 8100)."""
    settings.MARKETPLACE_BATCH_POLL_SECONDS = 0.01
    settings.MARKETPLACE_RATE_LIMIT = ""
    _seed()
    account = MarketplaceAccount.objects.get(tenant__slug="demo", marketplace="trendyol")
    assert (account.name, account.seller_id) == ("Trendyol sandbox", "100000")
    assert account.base_url == "http://127.0.0.1:8100/integration"
    assert account.settings["default_brand_id"] == 1791
    tshirts = CategoryMapping.objects.get(account=account, category__name="Tişört")
    assert (tshirts.marketplace_category_id, tshirts.attribute_values) == ("600", {"47": 686, "338": 4603})
    sandbox = TrendyolSandbox(seller_id="100000", api_key="sandbox-api-key", api_secret="sandbox-api-secret")
    sandbox.start()
    try:
        services.update_account(account, actor="test", changes={"base_url": sandbox.base_url})
        job = services.request_sync(account, "full", actor="test", enqueue=False)
        assert services.run_job(job.pk, worker="test") == "succeeded"
        assert set(sandbox.products()) == set(Variant.objects.values_list("sku", flat=True))
    finally:
        sandbox.stop()
    assert Listing.objects.filter(status=ListingStatus.SYNCED).count() == 10


@pytest.mark.parametrize("code", sorted(set(SANDBOXES) - {"trendyol"}))
def test_every_other_demo_account_talks_to_its_sandbox(settings, code):
    """The demo account of each marketplace uses the keys, options and category mappings its
    `marketplace_sandbox` serves: a full sync lists every demo variant (on a free port)."""
    settings.MARKETPLACE_BATCH_POLL_SECONDS = 0.01
    settings.MARKETPLACE_RATE_LIMIT = ""
    _seed()
    account = MarketplaceAccount.objects.get(tenant__slug="demo", marketplace=code)
    demo = sandbox_module(code).DEMO
    assert account.base_url == f"http://127.0.0.1:{demo['port']}{demo.get('base_path', '')}"
    assert CategoryMapping.objects.filter(account=account).count() == 4
    sandbox = sandbox_class(code).from_options(  # as `marketplace_sandbox` starts it
        host="127.0.0.1", port=0, seed=0, fail_rate=0.0, rate_limit_rate=None, error_rate=None, drop_rate=None,
        delay=0.0, slow_rate=1.0, batch_delay=0.0, orders=0,
    )
    sandbox.start()
    try:
        moved = json.loads(json.dumps(account.settings).replace(f":{demo['port']}", f":{sandbox.port}"))
        services.update_account(account, actor="test", changes={
            "base_url": account.base_url.replace(f":{demo['port']}", f":{sandbox.port}"), "settings": moved})
        job = services.request_sync(account, "full", actor="test", enqueue=False)
        outcome = services.run_job(job.pk, worker="test")
        job.refresh_from_db()
        assert outcome == "succeeded", (job.message, job.errors[:3])
    finally:
        sandbox.stop()
    assert Listing.objects.filter(account=account, status=ListingStatus.SYNCED).count() == 10
