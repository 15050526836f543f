"""Bad input of every kind is a 4xx envelope with a clear message and changes nothing."""

import json

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error, assert_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(tenant_a, tenant_b, owner, viewer, other_owner):
    """A picture of every row a bad request could have touched."""

    def take() -> tuple:
        users = list(User.objects.order_by("pk").values())
        perms = list(User.user_permissions.through.objects.order_by("pk").values_list("user_id", "permission_id"))
        groups = list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id"))
        return users, perms, groups, AuditLog.objects.count(), OutstandingToken.objects.count()

    return take


@pytest.fixture
def owner_client(client_for, owner):
    return client_for(owner)


def raw(client, method: str, url: str, body: bytes | str, content_type: str = "application/json"):
    return getattr(client, method)(url, data=body, content_type=content_type)


def write_targets(owner: User, viewer: User) -> list[tuple[str, str]]:
    return [
        ("post", "/api/auth/login"),
        ("post", "/api/auth/refresh"),
        ("post", "/api/auth/logout"),
        ("post", "/api/users"),
        ("patch", f"/api/users/{viewer.pk}"),
        ("put", f"/api/users/{viewer.pk}"),
        ("post", f"/api/users/{viewer.pk}/permissions"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "alpha-owner", "password": ',
        b"{'username': 'alpha-owner'}",
        b'{"username": "\xff\xfe"}',
        b'{"first_name": NaN}',
        b'{"first_name": Infinity}',
        b"\x00\x01\x02",
    ],
    ids=["truncated", "single-quotes", "invalid-utf8", "nan", "infinity", "binary"],
)
def test_malformed_json_is_400_everywhere(owner_client, owner, viewer, snapshot, body):
    before = snapshot()
    client = owner_client

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, body)
        envelope = assert_error(response, 400, "VALIDATION_ERROR")
        assert envelope["error"]["message"].startswith("JSON parse error"), (url, envelope)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "kind"),
    [("[]", "list"), ('["a", "b"]', "list"), ('"owner"', "str"), ("42", "int"), ("true", "bool")],
)
def test_non_object_json_is_400_everywhere(owner_client, owner, viewer, snapshot, body, kind):
    before = snapshot()
    client = owner_client

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, body)
        assert_error(
            response,
            400,
            "VALIDATION_ERROR",
            details={"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]},
        )

    assert snapshot() == before


def test_json_null_body_is_400(owner_client, owner, viewer, snapshot):
    before = snapshot()
    client = owner_client

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, "null")
        assert_error(response, 400, "VALIDATION_ERROR", details={"non_field_errors": ["No data provided"]})

    assert snapshot() == before


def test_deeply_nested_json_is_400_not_500(owner_client, owner, viewer, snapshot):
    before = snapshot()
    client = owner_client
    body = "[" * 50_000 + "]" * 50_000

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, body)
        envelope = assert_error(response, 400, "VALIDATION_ERROR")
        assert envelope["error"]["message"].startswith("JSON parse error"), url

    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        (
            {"username": "alpha-owner", "password": ["Correct-Horse-Battery-9"]},
            {"password": ["Not a valid string."]},
        ),
        ({"username": {"$ne": ""}, "password": PASSWORD}, {"username": ["Not a valid string."]}),
        ({"username": True, "password": PASSWORD}, {"username": ["Not a valid string."]}),
        ({"username": None, "password": PASSWORD}, {"username": ["This field may not be null."]}),
        ({"username": "alpha-owner"}, {"password": ["This field is required."]}),
        (
            {"username": "alpha-owner", "password": "x" * 4097},
            {"password": ["Ensure this field has no more than 4096 characters."]},
        ),
        (
            {"username": "alpha\x00owner", "password": PASSWORD},
            {"username": ["Null characters are not allowed."]},
        ),
        (
            {"username": "alpha-owner", "password": PASSWORD, "remember_me": True},
            {"remember_me": ["Unknown field."]},
        ),
    ],
    ids=["password-list", "username-object", "username-bool", "username-null", "no-password", "password-huge", "nul", "unknown-field"],
)
def test_login_rejects_wrong_types_and_unknown_fields(anon_client, owner, snapshot, payload, details):
    before = snapshot()

    response = anon_client.post("/api/auth/login", payload, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details=details)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({"role": "owner"}, {"role": ["Unknown field."]}),
        ({"is_superuser": True, "is_staff": True}, {"is_staff": ["Unknown field."], "is_superuser": ["Unknown field."]}),
        ({"tenant": 2}, {"tenant": ["Unknown field."]}),
        ({"password": "New-Password-123"}, {"password": ["Unknown field."]}),
        ({"status": ["suspended"]}, {"status": ['"[\'suspended\']" is not a valid choice.']}),
        ({"status": "banned"}, {"status": ['"banned" is not a valid choice.']}),
        ({"first_name": True}, {"first_name": ["Not a valid string."]}),
        ({"first_name": "x" * 151}, {"first_name": ["Ensure this field has no more than 150 characters."]}),
        ({"first_name": "Eve\x00"}, {"first_name": ["Null characters are not allowed."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"email": None}, {"email": ["This field may not be null."]}),
    ],
    ids=[
        "role", "superuser", "tenant", "password", "status-list", "status-unknown",
        "name-bool", "name-long", "name-nul", "email-invalid", "email-null",
    ],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_user_update_rejects_bad_fields(owner_client, owner, viewer, snapshot, payload, details, method):
    before = snapshot()

    response = getattr(owner_client, method)(f"/api/users/{viewer.pk}", payload, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details=details)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({"tenant": 2}, {"tenant": ["Unknown field."]}),
        ({"is_superuser": True}, {"is_superuser": ["Unknown field."]}),
        ({"password": ["a", "b"]}, {"password": ["Not a valid string."]}),
        ({"role": 3}, {"role": ['"3" is not a valid choice.']}),
        ({"username": "has spaces"}, {"username": [
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
        ]}),
        ({"password": "short"}, {"password": ["This password is too short. It must contain at least 8 characters."]}),
    ],
    ids=["tenant", "superuser", "password-list", "role-number", "username-chars", "password-weak"],
)
def test_user_create_rejects_bad_fields(owner_client, owner, snapshot, payload, details):
    before = snapshot()
    body = {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD, **payload}

    response = owner_client.post("/api/users", body, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details=details)
    assert snapshot() == before


def test_user_create_requires_its_fields(owner_client, owner, snapshot):
    before = snapshot()

    response = owner_client.post("/api/users", {}, format="json")

    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        details={
            "username": ["This field is required."],
            "email": ["This field is required."],
            "password": ["This field is required."],
        },
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({}, {"non_field_errors": ["Give a role, permissions, or both."]}),
        ({"permissions": "accounts.view_user"}, {"permissions": ['Expected a list of items but got type "str".']}),
        ({"permissions": [["accounts.view_user"]]}, {"permissions": {"0": ["Not a valid string."]}}),
        ({"permissions": ["x"] * 501}, {"permissions": ["Ensure this field has no more than 500 elements."]}),
        ({"role": ["owner"]}, {"role": ['"[\'owner\']" is not a valid choice.']}),
        ({"role": "operator", "status": "suspended"}, {"status": ["Unknown field."]}),
    ],
    ids=["empty", "permissions-str", "permissions-nested", "permissions-many", "role-list", "unknown"],
)
def test_set_permissions_rejects_bad_fields(owner_client, owner, viewer, snapshot, payload, details):
    before = snapshot()

    response = owner_client.post(f"/api/users/{viewer.pk}/permissions", payload, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details=details)
    assert snapshot() == before


@pytest.mark.parametrize("query", [{"per_page": "abc"}, {"per_page": "1e3"}, {"per_page": ""}, {"page": "abc"}, {"page": "0"}])
def test_bad_paging_is_4xx(owner_client, owner, query):
    response = owner_client.get("/api/users", query)

    if query.get("per_page") == "":
        assert_ok(response)  # an empty parameter means the default
    elif "per_page" in query:
        assert_error(response, 400, "VALIDATION_ERROR", details={"per_page": ["Give a whole number from 1 to 200."]})
    else:
        assert_error(response, 404, "NOT_FOUND", message="Invalid page.")


@pytest.mark.parametrize("user_id", ["99999999999999999999999", "9223372036854775808", "0"])
def test_out_of_range_ids_are_404(owner_client, owner, snapshot, user_id):
    before = snapshot()
    client = owner_client

    assert_error(client.get(f"/api/users/{user_id}"), 404, "NOT_FOUND")
    assert_error(client.patch(f"/api/users/{user_id}", {"first_name": "x"}, format="json"), 404, "NOT_FOUND")
    assert_error(
        client.post(f"/api/users/{user_id}/permissions", {"role": "viewer"}, format="json"), 404, "NOT_FOUND"
    )
    assert snapshot() == before


@pytest.mark.parametrize("path", ["/api/users/-1", "/api/users/abc", "/api/users/1.5"])
def test_non_numeric_ids_are_404(owner_client, owner, path):
    assert_error(owner_client.get(path), 404, "NOT_FOUND")


def test_huge_body_is_413_and_changes_nothing(owner_client, owner, viewer, snapshot, settings):
    settings.MAX_UPLOAD_SIZE = 64 * 1024
    before = snapshot()
    client = owner_client
    big = json.dumps({"first_name": "x" * (65 * 1024)})

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, big)
        assert_error(response, 413, "PAYLOAD_TOO_LARGE", message="The request body is larger than the 64.0 KB limit.")

    assert snapshot() == before


def test_huge_form_body_is_413(anon_client, owner, snapshot, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    before = snapshot()

    response = anon_client.post("/api/auth/login", {"username": "alpha-owner", "password": "p" * 2000})

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert snapshot() == before


def test_form_encoded_login_still_works(anon_client, owner):
    response = anon_client.post("/api/auth/login", {"username": "alpha-owner", "password": PASSWORD})

    assert assert_ok(response)["data"]["user"]["username"] == "alpha-owner"


def test_wrong_content_type_is_415_and_changes_nothing(owner_client, owner, viewer, snapshot):
    before = snapshot()
    client = owner_client

    for method, url in write_targets(owner, viewer):
        response = raw(client, method, url, "<user><first_name>x</first_name></user>", "application/xml")
        assert_error(
            response, 415, "UNSUPPORTED_MEDIA_TYPE", message='Unsupported media type "application/xml" in request.'
        )

    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    ["/api/products?sku=a%00b", "/api/orders?external_id=%00", "/api/orders?number=1%00", "/api/inventory/movements?sku=x%00"],
)
def test_nul_in_a_query_parameter_is_a_400_not_a_500(client_for, owner, path):
    response = client_for(owner).get(path)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"] == {path.split("?")[1].split("=")[0]: ["Null characters are not allowed."]}
