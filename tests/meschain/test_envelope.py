"""The one envelope: success shape, pagination, request ids, and every error code the
foundation can answer, each with its HTTP status."""

import pytest

from accounts.models import Role, User
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import GENERATED_REQUEST_ID, assert_error, assert_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_users(tenant_a, make_user):
    """The owner plus four more: alpha-manager, alpha-operator, alpha-owner, alpha-viewer, alpha-x."""
    make_user(tenant_a, Role.MANAGER)
    make_user(tenant_a, Role.OPERATOR)
    make_user(tenant_a, Role.VIEWER)
    make_user(tenant_a, Role.VIEWER, username="alpha-x")
    return list(User.objects.filter(tenant=tenant_a).order_by("username"))


# --- success ------------------------------------------------------------------


def test_success_envelope_shape(client_for, owner):
    response = client_for(owner).get("/api/users/me")

    body = assert_ok(response)
    assert set(body) == {"success", "data", "message", "timestamp", "request_id"}
    assert body["message"] == ""
    assert GENERATED_REQUEST_ID.match(body["request_id"])
    assert body["data"] == {
        "id": owner.pk,
        "username": "alpha-owner",
        "email": "owner@alpha.example.com",
        "first_name": "",
        "last_name": "",
        "tenant": {"id": owner.tenant_id, "slug": "alpha", "name": "Alpha Store"},
        "role": "owner",
        "status": "active",
        "is_superuser": False,
        "permissions": [],
        "last_login": None,
        "date_joined": body["data"]["date_joined"],
    }
    assert body["data"]["date_joined"].startswith(owner.date_joined.strftime("%Y-%m-%dT%H:%M:%S"))


def test_each_request_gets_its_own_request_id(client_for, owner):
    client = client_for(owner)
    ids = {client.get("/api/users/me")["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3
    assert all(GENERATED_REQUEST_ID.match(i) for i in ids)


def test_pagination_block(client_for, owner, five_users):
    response = client_for(owner).get("/api/users", {"page": 2, "per_page": 2})

    body = assert_ok(response)
    assert body["pagination"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    assert [u["username"] for u in body["data"]] == ["alpha-owner", "alpha-viewer"]


def test_pagination_defaults_to_50_per_page(client_for, owner, five_users):
    body = assert_ok(client_for(owner).get("/api/users"))

    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 5, "pages": 1}
    assert [u["username"] for u in body["data"]] == [u.username for u in five_users]


def test_per_page_is_capped_at_200(client_for, owner, five_users):
    body = assert_ok(client_for(owner).get("/api/users", {"per_page": 5000}))

    assert body["pagination"] == {"page": 1, "per_page": 200, "total": 5, "pages": 1}
    assert len(body["data"]) == 5


def test_page_past_the_end_is_not_found(client_for, owner, five_users):
    response = client_for(owner).get("/api/users", {"page": 4, "per_page": 2})

    assert_error(response, 404, "NOT_FOUND", message="Invalid page.")


@pytest.mark.parametrize("per_page", ["abc", "0", "-3", "1.5"])
def test_per_page_that_is_not_a_positive_integer_is_a_validation_error(client_for, owner, per_page):
    response = client_for(owner).get("/api/users", {"per_page": per_page})

    assert_error(
        response, 400, "VALIDATION_ERROR", details={"per_page": ["Give a whole number from 1 to 200."]}
    )


# --- request id ---------------------------------------------------------------


def test_well_formed_client_request_id_is_echoed_and_audited(anon_client, owner):
    response = anon_client.post(
        "/api/auth/login",
        {"username": "alpha-owner", "password": PASSWORD},
        format="json",
        HTTP_X_REQUEST_ID="client-trace.0042_ab",
    )

    body = assert_ok(response)
    assert response["X-Request-ID"] == "client-trace.0042_ab"
    assert body["request_id"] == "client-trace.0042_ab"
    assert AuditLog.objects.get(action="auth.login").request_id == "client-trace.0042_ab"


@pytest.mark.parametrize(
    "incoming",
    ["short", "has spaces in it", "x" * 65, "semi;colon-123", "<script>alert(1)</script>"],
    ids=["too-short", "spaces", "too-long", "semicolon", "markup"],
)
def test_malformed_client_request_id_is_replaced(client_for, owner, incoming):
    response = client_for(owner).get("/api/users/me", HTTP_X_REQUEST_ID=incoming)

    body = assert_ok(response)
    assert GENERATED_REQUEST_ID.match(response["X-Request-ID"])
    assert body["request_id"] == response["X-Request-ID"]


def test_error_envelopes_echo_the_client_request_id(anon_client):
    response = anon_client.get("/api/users", HTTP_X_REQUEST_ID="trace-401-abcdef")

    body = assert_error(response, 401, "AUTHENTICATION_FAILED")
    assert body["request_id"] == "trace-401-abcdef"


# --- /api/v1/ -----------------------------------------------------------------


def test_v1_serves_the_same_routes(anon_client, client_for, owner, five_users):
    plain = assert_ok(client_for(owner).get("/api/users", {"per_page": 2}))
    v1 = assert_ok(client_for(owner).get("/api/v1/users", {"per_page": 2}))
    assert v1["data"] == plain["data"]
    assert v1["pagination"] == plain["pagination"]

    logged_in = anon_client.post(
        "/api/v1/auth/login", {"username": "alpha-owner", "password": PASSWORD}, format="json"
    )
    pair = assert_ok(logged_in)["data"]
    assert_ok(anon_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json"))
    manager = User.objects.get(username="alpha-manager")
    assert assert_ok(client_for(owner).get(f"/api/v1/users/{manager.pk}"))["data"]["username"] == "alpha-manager"
    assert_error(anon_client.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")


# --- every error code ---------------------------------------------------------


def test_validation_error_lists_details_per_field(client_for, owner):
    response = client_for(owner).post(
        "/api/users",
        {"username": "", "email": "not-an-email", "password": PASSWORD, "role": "emperor"},
        format="json",
    )

    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        message="Some fields are not valid.",
        details={
            "username": ["This field may not be blank."],
            "email": ["Enter a valid email address."],
            "role": ['"emperor" is not a valid choice.'],
        },
    )
    assert User.objects.count() == 1


def test_authentication_failed_is_401_with_a_challenge(anon_client, owner):
    response = anon_client.get("/api/users")

    assert_error(
        response, 401, "AUTHENTICATION_FAILED", message="Authentication credentials were not provided."
    )
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_permission_denied_is_403(client_for, viewer, owner):
    response = client_for(viewer).patch(f"/api/users/{owner.pk}", {"first_name": "Mallory"}, format="json")

    assert_error(
        response, 403, "PERMISSION_DENIED", message="Only an owner or a manager of this tenant may do this."
    )
    owner.refresh_from_db()
    assert owner.first_name == ""


@pytest.mark.parametrize("url", ["/api/nope", "/api/users/me/extra", "/api", "/api/v1/"])
def test_unknown_api_path_is_404(anon_client, url):
    response = anon_client.get(url)

    assert_error(response, 404, "NOT_FOUND", message="No API endpoint at this path.")


def test_unknown_and_other_tenant_ids_are_the_same_404(client_for, owner, other_owner):
    client = client_for(owner)
    missing = client.get("/api/users/987654")
    foreign = client.get(f"/api/users/{other_owner.pk}")

    assert_error(missing, 404, "NOT_FOUND")
    assert_error(foreign, 404, "NOT_FOUND")
    assert missing.json()["error"] == foreign.json()["error"]


def test_method_not_allowed_is_405(client_for, owner, viewer):
    response = client_for(owner).delete(f"/api/users/{viewer.pk}")

    assert_error(response, 405, "METHOD_NOT_ALLOWED", message='Method "DELETE" not allowed.')
    assert User.objects.filter(pk=viewer.pk).exists()
    login_get = client_for(owner).get("/api/auth/login")
    assert_error(login_get, 405, "METHOD_NOT_ALLOWED")
    assert login_get["Allow"] == "POST, OPTIONS"


def test_not_acceptable_is_406(client_for, owner):
    response = client_for(owner).get("/api/users/me", HTTP_ACCEPT="application/xml")

    assert_error(response, 406, "NOT_ACCEPTABLE")


def test_unsupported_media_type_is_415(anon_client, owner):
    response = anon_client.post(
        "/api/auth/login", data="username=alpha-owner", content_type="text/plain"
    )

    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", message='Unsupported media type "text/plain" in request.')
    assert not AuditLog.objects.filter(action__startswith="auth.").exists()


def test_body_over_the_limit_is_413(anon_client, client_for, owner, settings):
    settings.MAX_UPLOAD_SIZE = 2048
    body = {"username": "big", "email": "big@example.com", "password": PASSWORD, "first_name": "x" * 3000}

    response = client_for(owner).post("/api/users", body, format="json")

    assert_error(response, 413, "PAYLOAD_TOO_LARGE", message="The request body is larger than the 2.0 KB limit.")
    assert not User.objects.filter(username="big").exists()
    # a body under the limit still passes
    small = client_for(owner).post("/api/users", {**body, "first_name": "x" * 100}, format="json")
    assert_ok(small, status=201)


def test_body_over_the_limit_outside_the_api_is_plain_413(client, settings):
    settings.MAX_UPLOAD_SIZE = 1024

    response = client.post("/admin/login/", {"username": "x" * 2000, "password": "y"})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "The request body is larger than the 1.0 KB limit."


def test_default_limit_is_ten_megabytes(client_for, owner):
    response = client_for(owner).post(
        "/api/users", data=b"{" + b" " * (10 * 1024 * 1024) + b"}", content_type="application/json"
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE", message="The request body is larger than the 10.0 MB limit.")


def test_rate_limited_is_429_with_retry_after(client_for, owner, settings):
    settings.API_THROTTLE_RATE = "2/hour"
    client = client_for(owner)
    assert_ok(client.get("/api/users/me"))
    assert_ok(client.get("/api/users/me"))

    response = client.get("/api/users/me")

    body = assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert body["error"]["message"] == f"Too many requests. Try again in {retry_after} seconds."


def test_account_locked_is_429_with_retry_after(anon_client, owner):
    for _attempt in range(5):
        anon_client.post("/api/auth/login", {"username": "alpha-owner", "password": "nope-nope"}, format="json")

    response = anon_client.post("/api/auth/login", {"username": "alpha-owner", "password": PASSWORD}, format="json")

    assert_error(response, 429, "ACCOUNT_LOCKED")
    assert response["Retry-After"] == "1800"


def test_conflict_is_409(client_for, superuser, owner):
    response = client_for(superuser).post(f"/api/users/{owner.pk}/permissions", {"role": "manager"}, format="json")

    assert_error(response, 409, "CONFLICT", message="A tenant must keep at least one active owner.")
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


@pytest.mark.urls("tests.meschain.probe_urls")
@pytest.mark.parametrize("url", ["/api/test-broken-drf", "/api/test-broken-plain"])
def test_a_bug_is_an_enveloped_500_without_internals(client, url):
    client.raise_request_exception = False

    response = client.get(url, HTTP_X_REQUEST_ID="trace-the-bug-500")

    body = assert_error(
        response, 500, "SERVER_ERROR", message="An unexpected error occurred. It has been logged."
    )
    assert body["request_id"] == "trace-the-bug-500"
    assert "boom" not in response.content.decode()


def test_error_codes_do_not_change_with_the_language(anon_client):
    for language in ("en", "tr", "ru"):
        response = anon_client.get("/api/users", HTTP_ACCEPT_LANGUAGE=language)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
        assert response["Content-Language"] == language
