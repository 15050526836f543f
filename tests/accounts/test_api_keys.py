"""Storefront API keys: authentication, what they may not do, how they are stored, and
scopes enforced by HasApiScope."""

import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.authentication import ApiKeyAuthentication, TenantJWTAuthentication
from accounts.models import ApiKey, User
from accounts.permissions import HasApiScope
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error, assert_ok
from tests.meschain.probe_urls import PROBE, PROBE_V1

pytestmark = pytest.mark.django_db

BAD_KEY = "Invalid, expired or revoked API key."
NOT_FOR_KEYS = "This endpoint is for users; API keys cannot use it."
NO_SCOPE = "This API key does not have the scope this request needs."


# --- a view guarded by scopes, called through DRF's own request pipeline -------------


class CatalogReadView(APIView):
    authentication_classes = [TenantJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated, HasApiScope]
    throttle_classes: list = []
    required_scopes = {"GET": "catalog:read", "PUT": "catalog:write"}

    def get(self, request: Request) -> Response:
        return Response({"tenant": request.user.tenant_id})

    def put(self, request: Request) -> Response:
        return Response({"written": True})

    def delete(self, request: Request) -> Response:
        return Response({"deleted": True})


def call(method: str, *, key: str | None = None, bearer: str | None = None):
    factory = APIRequestFactory()
    headers = {}
    if key is not None:
        headers["HTTP_X_API_KEY"] = key
    if bearer is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    request = getattr(factory, method)("/anything", format="json", **headers)
    response = CatalogReadView.as_view()(request)
    response.render()
    return response.status_code, json.loads(response.content)


def test_scope_granted_lets_the_key_read(tenant_a, make_api_key):
    _key, secret = make_api_key(tenant_a, scopes=["catalog:read"])

    status, body = call("get", key=secret)

    assert status == 200
    assert body["success"] is True
    assert body["data"] == {"tenant": tenant_a.pk}


@pytest.mark.parametrize("scopes", [["orders:read"], ["catalog:write"], ["inventory:read", "orders:write"]])
def test_key_without_the_scope_is_denied(tenant_a, make_api_key, scopes):
    _key, secret = make_api_key(tenant_a, scopes=scopes)

    status, body = call("get", key=secret)

    assert status == 403
    assert body["success"] is False
    assert body["error"] == {"code": "PERMISSION_DENIED", "message": NO_SCOPE}


def test_each_method_needs_its_own_scope(tenant_a, make_api_key):
    _key, read_only = make_api_key(tenant_a, scopes=["catalog:read"])
    _key, read_write = make_api_key(tenant_a, scopes=["catalog:read", "catalog:write"])

    status, body = call("put", key=read_only)
    assert status == 403
    assert body["error"] == {"code": "PERMISSION_DENIED", "message": NO_SCOPE}
    status, body = call("put", key=read_write)
    assert status == 200
    assert body["data"] == {"written": True}


def test_method_without_a_declared_scope_is_closed_to_every_key(tenant_a, make_api_key):
    _key, secret = make_api_key(tenant_a, scopes=list(services.API_KEY_SCOPES))

    status, body = call("delete", key=secret)

    assert status == 403
    assert body["error"]["code"] == "PERMISSION_DENIED"


def test_users_pass_scope_checks(owner):
    status, body = call("delete", bearer=str(RefreshToken.for_user(owner).access_token))

    assert status == 200
    assert body["data"] == {"deleted": True}


def test_no_credentials_is_401_through_the_scoped_view(db):
    status, body = call("get")

    assert status == 401
    assert body["error"]["code"] == "AUTHENTICATION_FAILED"


# --- through real HTTP ----------------------------------------------------------


@pytest.mark.urls("tests.meschain.probe_urls")
def test_key_authenticates_over_http_on_api_and_v1(tenant_a, make_api_key, key_client):
    key, secret = make_api_key(tenant_a, scopes=["catalog:read"])
    client = key_client(secret)

    for url in (PROBE, PROBE_V1):
        body = assert_ok(client.get(url))
        assert body["data"] == {"principal": f"api-key:{key.prefix}", "tenant": tenant_a.pk}

    denied = client.post(PROBE, {"name": "x"}, format="json")
    assert_error(denied, 403, "PERMISSION_DENIED", message=NO_SCOPE)


@pytest.mark.urls("tests.meschain.probe_urls")
def test_key_with_write_scope_writes_over_http(tenant_a, make_api_key, key_client):
    _key, secret = make_api_key(tenant_a, scopes=["catalog:write"])

    body = assert_ok(key_client(secret).post(PROBE, {"name": "x"}, format="json"))

    assert body["data"]["echo"] == {"name": "x"}
    assert_error(key_client(secret).get(PROBE), 403, "PERMISSION_DENIED", message=NO_SCOPE)


@pytest.mark.urls("tests.meschain.probe_urls")
def test_last_used_at_is_set_on_use(tenant_a, make_api_key, key_client):
    key, secret = make_api_key(tenant_a)
    assert key.last_used_at is None
    before = timezone.now()

    assert_ok(key_client(secret).get(PROBE))

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert before <= key.last_used_at <= timezone.now()
    first_use = key.last_used_at

    # within a minute it is not written again on every request
    assert_ok(key_client(secret).get(PROBE))
    key.refresh_from_db()
    assert key.last_used_at == first_use


@pytest.mark.urls("tests.meschain.probe_urls")
def test_last_used_at_moves_on_after_a_minute(tenant_a, make_api_key, key_client):
    key, secret = make_api_key(tenant_a)
    long_ago = timezone.now() - timedelta(minutes=5)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=long_ago)

    assert_ok(key_client(secret).get(PROBE))

    key.refresh_from_db()
    assert key.last_used_at > long_ago + timedelta(minutes=4)


def _user_endpoint_calls(owner: User, viewer: User) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", "/api/users", None),
        ("get", "/api/users/me", None),
        ("get", f"/api/users/{viewer.pk}", None),
        ("post", "/api/users", {"username": "intruder", "email": "i@example.com", "password": PASSWORD}),
        ("patch", f"/api/users/{viewer.pk}", {"first_name": "Keyed"}),
        ("put", f"/api/users/{viewer.pk}", {"first_name": "Keyed"}),
        ("post", f"/api/users/{viewer.pk}/permissions", {"role": "owner"}),
        ("post", "/api/auth/logout", {"refresh": str(RefreshToken.for_user(owner))}),
    ]


def test_keys_cannot_use_user_endpoints(tenant_a, owner, viewer, make_api_key, key_client):
    _key, secret = make_api_key(tenant_a, scopes=list(services.API_KEY_SCOPES))
    client = key_client(secret)
    users_before = list(User.objects.order_by("pk").values())
    audit_before = AuditLog.objects.count()

    for method, url, payload in _user_endpoint_calls(owner, viewer):
        response = getattr(client, method)(url, payload, format="json")
        assert_error(response, 403, "PERMISSION_DENIED", message=NOT_FOR_KEYS)

    assert list(User.objects.order_by("pk").values()) == users_before
    assert AuditLog.objects.count() == audit_before


@pytest.mark.urls("tests.meschain.probe_urls")
def test_wrong_expired_revoked_or_orphaned_keys_are_401(tenant_a, owner, make_api_key, key_client):
    good, secret = make_api_key(tenant_a, name="Good")
    assert_ok(key_client(secret).get(PROBE))
    expired, expired_secret = make_api_key(
        tenant_a, name="Expired", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_secret = make_api_key(tenant_a, name="Revoked")
    services.revoke_api_key(revoked, actor=owner)

    candidates = {
        "wrong secret": secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB"),
        "unknown prefix": "mck_00000000_" + secret.split("_", 2)[2],
        "no prefix": "not-even-a-key",
        "empty secret": f"mck_{good.prefix}_",
        "expired": expired_secret,
        "revoked": revoked_secret,
    }
    for label, candidate in candidates.items():
        response = key_client(candidate).get(PROBE)
        assert response.status_code == 401, label
        assert_error(response, 401, "AUTHENTICATION_FAILED", message=BAD_KEY)

    assert ApiKey.objects.get(pk=revoked.pk).last_used_at is None
    assert ApiKey.objects.get(pk=expired.pk).last_used_at is None


@pytest.mark.urls("tests.meschain.probe_urls")
def test_key_of_a_deactivated_tenant_is_401(tenant_a, make_api_key, key_client):
    _key, secret = make_api_key(tenant_a)
    tenant_a.is_active = False
    tenant_a.save()

    assert_error(key_client(secret).get(PROBE), 401, "AUTHENTICATION_FAILED", message=BAD_KEY)


def test_bad_key_on_a_user_endpoint_is_401_not_403(tenant_a, key_client):
    assert_error(key_client("mck_deadbeef_nope").get("/api/users"), 401, "AUTHENTICATION_FAILED", message=BAD_KEY)


def test_stored_row_holds_only_prefix_and_keyed_hash(tenant_a, owner):
    key, secret = services.create_api_key(
        tenant=tenant_a, name="Storefront", scopes=["orders:write", "catalog:read"], actor=owner
    )

    assert secret.startswith(f"mck_{key.prefix}_")
    assert len(key.prefix) == 8
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    hidden = secret.split("_", 2)[2]
    assert len(hidden) >= 40
    for column, value in row.items():
        assert hidden not in str(value), column
        assert secret not in str(value), column
    assert len(row["hashed_secret"]) == 64
    assert int(row["hashed_secret"], 16) >= 0  # hex
    assert row["scopes"] == ["catalog:read", "orders:write"]
    assert row["created_by_id"] == owner.pk
    created = AuditLog.objects.get(action="api_key.created")
    assert hidden not in json.dumps(created.after)
    assert created.after["prefix"] == key.prefix
    assert hidden not in str(model_to_dict(key))
    assert hidden not in str(key)


def test_two_keys_never_share_a_prefix_or_hash(tenant_a, make_api_key):
    keys = [make_api_key(tenant_a, name=f"Shop {n}") for n in range(5)]

    assert len({k.prefix for k, _ in keys}) == 5
    assert len({k.hashed_secret for k, _ in keys}) == 5
    assert len({s for _, s in keys}) == 5


@pytest.mark.parametrize(
    ("kwargs", "details"),
    [
        ({"name": " ", "scopes": ["catalog:read"]}, {"name": ["This field may not be blank."]}),
        (
            {"name": "x", "scopes": ["catalog:delete"]},
            {"scopes": ["Choose one or more of: " + ", ".join(services.API_KEY_SCOPES)]},
        ),
        (
            {"name": "x", "scopes": []},
            {"scopes": ["Choose one or more of: " + ", ".join(services.API_KEY_SCOPES)]},
        ),
    ],
    ids=["blank-name", "unknown-scope", "no-scope"],
)
def test_invalid_keys_are_refused(tenant_a, kwargs, details):
    with pytest.raises(services.ValidationFailed) as caught:
        services.create_api_key(tenant=tenant_a, **kwargs)

    assert caught.value.details == details
    assert ApiKey.objects.count() == 0


def test_only_managers_of_the_tenant_create_or_revoke_keys(tenant_a, tenant_b, owner, viewer, other_owner):
    with pytest.raises(services.PermissionDenied):
        services.create_api_key(tenant=tenant_a, name="x", scopes=["catalog:read"], actor=viewer)
    with pytest.raises(services.PermissionDenied):
        services.create_api_key(tenant=tenant_a, name="x", scopes=["catalog:read"], actor=other_owner)
    key, _secret = services.create_api_key(tenant=tenant_a, name="x", scopes=["catalog:read"], actor=owner)
    with pytest.raises(services.NotFound):
        services.revoke_api_key(key, actor=other_owner)

    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1
