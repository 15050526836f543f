"""API keys in the admin: shown once at creation, never again; revoked by an action."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db


def _me_with_key(full_key: str):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=full_key)
    return client.get("/api/users/me")


def _create_in_admin(client, name: str = "Web shop", scopes=("catalog:read", "orders:write")):
    return client.post(
        "/admin/accounts/apikey/add/",
        {"name": name, "scopes": list(scopes), "expires_at_0": "", "expires_at_1": ""},
    )


def test_created_key_is_shown_once_and_authenticates(admin_client_for, manager, tenant_a):
    response = _create_in_admin(admin_client_for(manager))

    assert response.status_code == 200
    assert "admin/accounts/apikey/created.html" in [t.name for t in response.templates]
    full_key = response.context["full_key"]
    key = ApiKey.objects.get()
    assert full_key.startswith(f"mck_{key.prefix}_")
    assert len(full_key) > 40
    html = response.content.decode()
    assert f'value="{full_key}"' in html
    assert "It is shown only once" in html
    assert (key.tenant_id, key.name, key.scopes, key.created_by_id) == (
        tenant_a.pk,
        "Web shop",
        ["catalog:read", "orders:write"],
        manager.pk,
    )
    assert full_key not in key.hashed_secret
    row = AuditLog.objects.get(action="api_key.created")
    assert (row.actor_id, row.tenant_id, row.object_id) == (manager.pk, tenant_a.pk, str(key.pk))
    assert full_key not in str(row.after)

    # The key is a real credential: it authenticates (so 403 for a user-only endpoint, not 401).
    me = _me_with_key(full_key)
    assert me.status_code == 403
    assert me.json()["error"]["code"] == "PERMISSION_DENIED"


def test_key_never_appears_again(admin_client_for, manager):
    client = admin_client_for(manager)
    full_key = _create_in_admin(client).context["full_key"]
    key = ApiKey.objects.get()
    secret = full_key.rsplit("_", 1)[1]

    for url in (
        "/admin/accounts/apikey/",
        f"/admin/accounts/apikey/{key.pk}/change/",
        "/admin/meschain/auditlog/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert full_key not in html, url
        assert secret not in html, url
    assert key.prefix in client.get("/admin/accounts/apikey/").content.decode()


def test_key_page_is_read_only(admin_client_for, manager, tenant_a, make_api_key):
    key, _full = make_api_key(tenant_a, name="Storefront")
    client = admin_client_for(manager)

    page = client.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert page.context["has_change_permission"] is False
    response = client.post(f"/admin/accounts/apikey/{key.pk}/change/", {"name": "Renamed"})

    assert response.status_code == 403
    key.refresh_from_db()
    assert key.name == "Storefront"


def test_superuser_picks_the_tenant(admin_client_for, superuser, tenant_b):
    response = admin_client_for(superuser).post(
        "/admin/accounts/apikey/add/",
        {"tenant": tenant_b.pk, "name": "Bravo feed", "scopes": ["catalog:read"], "expires_at_0": ""},
    )

    assert response.status_code == 200
    assert ApiKey.objects.get().tenant_id == tenant_b.pk


def test_manager_cannot_create_key_for_another_tenant(admin_client_for, manager, tenant_a, tenant_b):
    response = admin_client_for(manager).post(
        "/admin/accounts/apikey/add/",
        {"tenant": tenant_b.pk, "name": "Sneaky", "scopes": ["catalog:read"], "expires_at_0": ""},
    )

    assert response.status_code == 200
    assert ApiKey.objects.get().tenant_id == tenant_a.pk
    assert not ApiKey.objects.filter(tenant=tenant_b).exists()


def test_invalid_form_creates_nothing(admin_client_for, manager):
    response = admin_client_for(manager).post("/admin/accounts/apikey/add/", {"name": "No scopes"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"] == ["This field is required."]
    assert not ApiKey.objects.exists()
    assert not AuditLog.objects.filter(action="api_key.created").exists()


def test_revoke_action_revokes_the_key(admin_client_for, manager, tenant_a, make_api_key):
    key, full_key = make_api_key(tenant_a)
    assert _me_with_key(full_key).status_code == 403  # usable before

    response = admin_client_for(manager).post(
        "/admin/accounts/apikey/", {"action": "revoke_selected", "_selected_action": [key.pk]}, follow=True
    )

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["1 API key revoked."]
    key.refresh_from_db()
    assert key.revoked_at is not None
    row = AuditLog.objects.get(action="api_key.revoked")
    assert (row.actor_id, row.object_id) == (manager.pk, str(key.pk))
    me = _me_with_key(full_key)
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    assert "revoked" in response.content.decode()


def test_operator_cannot_revoke(admin_client_for, operator, tenant_a, make_api_key):
    key, full_key = make_api_key(tenant_a)
    client = admin_client_for(operator)
    assert "Revoke selected API keys" not in client.get("/admin/accounts/apikey/").content.decode()

    response = client.post(
        "/admin/accounts/apikey/", {"action": "revoke_selected", "_selected_action": [key.pk]}
    )

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is None
    assert not AuditLog.objects.filter(action="api_key.revoked").exists()
    assert _me_with_key(full_key).status_code == 403


def test_revoke_action_ignores_other_tenants_keys(admin_client_for, manager, tenant_b, make_api_key):
    other, other_full = make_api_key(tenant_b)

    admin_client_for(manager).post(
        "/admin/accounts/apikey/", {"action": "revoke_selected", "_selected_action": [other.pk]}
    )

    other.refresh_from_db()
    assert other.revoked_at is None
    assert _me_with_key(other_full).status_code == 403
