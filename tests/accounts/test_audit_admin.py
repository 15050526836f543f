"""The audit log in the admin: read-only, filtered by action, actor, object type and
date, and each tenant's people see their tenant's rows only."""

import pytest

from accounts import services
from accounts.models import Role
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db

AUDIT = "/admin/meschain/auditlog/"


@pytest.fixture
def history(owner, operator, other_owner, make_user, tenant_b):
    """Rows in both tenants: users created, an access change, an API key."""
    services.set_user_access(operator, actor=owner, role=Role.MANAGER)
    services.create_api_key(tenant=tenant_b, name="Bravo shop", scopes=["catalog:read"], actor=other_owner)
    make_user(tenant_b, Role.OPERATOR)


def _rows(response) -> list[AuditLog]:
    assert response.status_code == 200
    return list(response.context["cl"].queryset)


def _filter_choices(response, title: str) -> list[str]:
    spec = next(spec for spec in response.context["cl"].filter_specs if str(spec.title) == title)
    return [str(choice["display"]) for choice in spec.choices(response.context["cl"])]


def _filter_link(response, title: str, display: str) -> str:
    spec = next(spec for spec in response.context["cl"].filter_specs if str(spec.title) == title)
    return next(c["query_string"] for c in spec.choices(response.context["cl"]) if str(c["display"]) == display)


def test_owner_of_tenant_b_sees_only_tenant_b_rows(admin_client_for, history, other_owner, tenant_b):
    response = admin_client_for(other_owner).get(AUDIT)

    rows = _rows(response)
    assert rows and {row.tenant_id for row in rows} == {tenant_b.pk}
    assert len(rows) == AuditLog.objects.filter(tenant=tenant_b).count()
    html = response.content.decode()
    assert "alpha-owner" not in html and "alpha-operator" not in html
    assert "alpha-owner" not in _filter_choices(response, "actor")
    assert "user.access_changed" not in _filter_choices(response, "action")


def test_a_row_of_another_tenant_cannot_be_opened(admin_client_for, history, other_owner, tenant_a):
    row = AuditLog.objects.filter(tenant=tenant_a).first()

    response = admin_client_for(other_owner).get(f"{AUDIT}{row.pk}/change/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_an_operator_has_no_audit_log(admin_client_for, history, make_user, tenant_b):
    operator_b = make_user(tenant_b, Role.OPERATOR, username="bravo-op2")

    assert admin_client_for(operator_b).get(AUDIT).status_code == 403


def test_filters_by_action_actor_object_type_and_date(admin_client_for, history, owner, operator, tenant_a):
    client = admin_client_for(owner)

    by_action = _rows(client.get(AUDIT, {"action": "user.access_changed"}))
    by_actor = _rows(client.get(AUDIT, {"actor__id__exact": owner.pk}))
    by_type = _rows(client.get(AUDIT, {"object_type": "accounts.user"}))
    listing = client.get(AUDIT)
    today_link = _filter_link(listing, "time", "Today")
    by_date = _rows(client.get(AUDIT + today_link))
    by_old_date = _rows(client.get(AUDIT, {"created_at__year": "2001"}))

    assert [(row.action, row.object_id) for row in by_action] == [("user.access_changed", str(operator.pk))]
    assert by_actor and {row.actor_id for row in by_actor} == {owner.pk}
    assert by_type and {row.object_type for row in by_type} == {"accounts.user"}
    assert len(by_date) == AuditLog.objects.filter(tenant=tenant_a).count()
    assert by_old_date == []
    response = client.get(AUDIT)
    assert {"user.created", "user.access_changed", "auth.login"} <= set(_filter_choices(response, "action"))
    assert "alpha-owner" in _filter_choices(response, "actor")


def test_the_audit_log_is_read_only(admin_client_for, history, owner, tenant_a):
    client = admin_client_for(owner)
    row = AuditLog.objects.filter(tenant=tenant_a).first()
    before = AuditLog.objects.count()

    assert client.get(f"{AUDIT}add/").status_code == 403
    assert client.post(f"{AUDIT}{row.pk}/change/", {"action": "forged"}).status_code == 403
    assert client.post(f"{AUDIT}{row.pk}/delete/", {"post": "yes"}).status_code == 403

    row.refresh_from_db()
    assert row.action != "forged"
    assert AuditLog.objects.count() == before
