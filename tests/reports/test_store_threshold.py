"""A tenant's own default low-stock threshold: a variant's own threshold beats it, it beats
the platform's, only the tenant's owners change it, and bad input changes nothing."""

from typing import Any

import pytest

from accounts.models import Tenant
from accounts.services import store
from catalog.models import Variant
from meschain.errors import PermissionDenied, ValidationFailed
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/admin/account/store/"


def _low_skus(client: Any) -> list[str]:
    response = client.get("/api/reports/inventory")
    assert response.status_code == 200, response.content
    return sorted(row["sku"] for row in response.json()["data"]["low_stock"])


def test_a_variants_own_threshold_beats_the_tenants_which_beats_the_platforms(
    owner: Any, other_owner: Any, client_for: Any, admin_client_for: Any, stocked: Any, settings: Any
) -> None:
    settings.LOW_STOCK_THRESHOLD = 5
    stocked(owner.tenant, "FOUR", qty=4)
    stocked(owner.tenant, "EIGHT", qty=8)
    stocked(owner.tenant, "OWN-2", qty=3, low_stock_threshold=2)  # its own: 3 > 2, not low
    stocked(other_owner.tenant, "THEIRS-8", qty=8)
    api, theirs = client_for(owner), client_for(other_owner)
    assert _low_skus(api) == ["FOUR"]  # the platform's 5

    response = admin_client_for(owner).post(URL, {"low_stock_threshold": "10"})

    assert response.status_code == 302
    assert Tenant.objects.get(pk=owner.tenant.pk).low_stock_threshold == 10
    assert _low_skus(api) == ["EIGHT", "FOUR"]
    assert api.get("/api/reports/inventory").json()["data"]["low_stock_default"] == 10
    assert _low_skus(theirs) == []  # the other tenant still uses the platform's 5
    assert "EIGHT" in admin_client_for(owner).get("/admin/").content.decode()  # the dashboard's table

    Variant.objects.filter(sku="EIGHT").update(low_stock_threshold=7)
    assert _low_skus(api) == ["FOUR"]

    admin_client_for(owner).post(URL, {"low_stock_threshold": ""})  # back to the platform's
    assert Tenant.objects.get(pk=owner.tenant.pk).low_stock_threshold is None
    assert api.get("/api/reports/inventory").json()["data"]["low_stock_default"] == 5
    row = AuditLog.objects.filter(action="tenant.low_stock_threshold_changed").latest("pk")
    assert (row.before, row.after) == ({"low_stock_threshold": 10}, {"low_stock_threshold": None})


def test_the_owner_sees_the_page_and_its_link(owner: Any, admin_client_for: Any, settings: Any) -> None:
    settings.LOW_STOCK_THRESHOLD = 5
    html = admin_client_for(owner).get(URL).content.decode()

    assert "The platform&#x27;s default is 5." in html or "The platform's default is 5." in html
    assert 'name="low_stock_threshold"' in html
    assert URL in admin_client_for(owner).get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["manager", "operator", "viewer"])
def test_only_an_owner_may_change_it(
    role: str, request: Any, admin_client_for: Any, other_owner: Any
) -> None:
    user = request.getfixturevalue(role)

    assert admin_client_for(user).get(URL).status_code == 403
    assert admin_client_for(user).post(URL, {"low_stock_threshold": "9"}).status_code == 403
    assert URL not in admin_client_for(user).get("/admin/").content.decode()
    with pytest.raises(PermissionDenied):
        store.set_low_stock_threshold(user.tenant_id, 9, actor=user)
    with pytest.raises(PermissionDenied):  # another tenant's owner
        store.set_low_stock_threshold(user.tenant_id, 9, actor=other_owner)
    assert Tenant.objects.get(pk=user.tenant_id).low_stock_threshold is None
    assert not AuditLog.objects.filter(action="tenant.low_stock_threshold_changed").exists()


@pytest.mark.parametrize("value", ["-1", "ten", "2.5", "1000001"])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    value: str, owner: Any, admin_client_for: Any
) -> None:
    Tenant.objects.filter(pk=owner.tenant.pk).update(low_stock_threshold=3)

    response = admin_client_for(owner).post(URL, {"low_stock_threshold": value})

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert Tenant.objects.get(pk=owner.tenant.pk).low_stock_threshold == 3
    with pytest.raises(ValidationFailed) as refused:
        store.set_low_stock_threshold(owner.tenant.pk, value, actor=owner)
    assert "whole number" in str(refused.value.details["low_stock_threshold"][0])
    assert Tenant.objects.get(pk=owner.tenant.pk).low_stock_threshold == 3
