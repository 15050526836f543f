"""A user of one tenant never reads or changes another tenant's users: every user
endpoint answers 404, exactly like an id that does not exist, and nothing changes."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import Role, User, UserStatus
from meschain.models import AuditLog
from tests.meschain.envelope_asserts import assert_error, assert_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def bravo_viewer(tenant_b, make_user):
    return make_user(tenant_b, Role.VIEWER)


@pytest.fixture
def bravo_state(tenant_b, other_owner, bravo_viewer):
    def take() -> tuple:
        users = list(User.objects.filter(tenant=tenant_b).order_by("pk").values())
        perms = list(
            User.user_permissions.through.objects.filter(user__tenant=tenant_b)
            .order_by("pk")
            .values_list("user_id", "permission_id")
        )
        groups = list(
            User.groups.through.objects.filter(user__tenant=tenant_b).order_by("pk").values_list("user_id", "group_id")
        )
        audit = AuditLog.objects.filter(tenant=tenant_b).count()
        return users, perms, groups, audit, BlacklistedToken.objects.count()

    return take


def foreign_requests(target: User) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/api/users/{target.pk}", None),
        ("put", f"/api/users/{target.pk}", {"first_name": "Hijacked", "status": "suspended"}),
        ("patch", f"/api/users/{target.pk}", {"first_name": "Hijacked"}),
        ("patch", f"/api/users/{target.pk}", {"status": "suspended"}),
        ("patch", f"/api/users/{target.pk}", {"email": "mine@alpha.example.com"}),
        ("post", f"/api/users/{target.pk}/permissions", {"role": "viewer"}),
        ("post", f"/api/users/{target.pk}/permissions", {"permissions": ["accounts.view_user"]}),
        ("get", f"/api/v1/users/{target.pk}", None),
        ("patch", f"/api/v1/users/{target.pk}", {"first_name": "Hijacked"}),
        ("post", f"/api/v1/users/{target.pk}/permissions", {"role": "manager"}),
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.OPERATOR, Role.VIEWER])
@pytest.mark.parametrize("target_name", ["other_owner", "bravo_viewer"])
def test_alpha_users_get_404_on_every_bravo_user_endpoint(
    request, client_for, make_user, tenant_a, bravo_state, role, target_name
):
    actor = make_user(tenant_a, role)
    target = request.getfixturevalue(target_name)
    client = client_for(actor)
    before = bravo_state()

    for method, url, payload in foreign_requests(target):
        response = getattr(client, method)(url, payload, format="json")
        assert response.status_code == 404, (method, url)
        assert_error(response, 404, "NOT_FOUND", message="Not found.")

    assert bravo_state() == before


def test_foreign_id_and_missing_id_answer_identically(client_for, manager, other_owner):
    client = client_for(manager)
    missing_id = User.objects.order_by("-pk").first().pk + 1000

    for method, payload, suffix in (
        ("get", None, ""),
        ("patch", {"first_name": "x"}, ""),
        ("post", {"role": "viewer"}, "/permissions"),
    ):
        foreign = getattr(client, method)(f"/api/users/{other_owner.pk}{suffix}", payload, format="json")
        missing = getattr(client, method)(f"/api/users/{missing_id}{suffix}", payload, format="json")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["error"] == missing.json()["error"]


def test_list_shows_only_the_own_tenant(client_for, manager, viewer, other_owner, bravo_viewer):
    for actor in (manager, viewer):
        body = assert_ok(client_for(actor).get("/api/users"))
        assert [u["username"] for u in body["data"]] == ["alpha-manager", "alpha-owner", "alpha-viewer"]
        assert {u["tenant"]["slug"] for u in body["data"]} == {"alpha"}
        assert body["pagination"]["total"] == 3


def test_list_filters_cannot_reach_another_tenant(client_for, manager, other_owner, bravo_viewer):
    client = client_for(manager)

    owners = assert_ok(client.get("/api/users", {"role": "owner"}))
    assert [u["username"] for u in owners["data"]] == ["alpha-owner"]
    by_tenant = assert_ok(client.get("/api/users", {"tenant": other_owner.tenant_id}))
    assert {u["tenant"]["slug"] for u in by_tenant["data"]} == {"alpha"}


def test_other_tenant_sees_only_its_own(client_for, manager, other_owner, bravo_viewer):
    body = assert_ok(client_for(other_owner).get("/api/users"))

    assert [u["username"] for u in body["data"]] == ["bravo-owner", "bravo-viewer"]
    assert_error(client_for(other_owner).get(f"/api/users/{manager.pk}"), 404, "NOT_FOUND")


def test_platform_superuser_sees_every_tenant(client_for, superuser, manager, other_owner):
    body = assert_ok(client_for(superuser).get("/api/users"))

    assert [u["username"] for u in body["data"]] == ["alpha-manager", "alpha-owner", "bravo-owner", "root"]
    assert assert_ok(client_for(superuser).get(f"/api/users/{other_owner.pk}"))["data"]["tenant"]["slug"] == "bravo"


def test_deleted_users_are_gone_from_list_and_detail(client_for, owner, viewer):
    assert_ok(client_for(owner).patch(f"/api/users/{viewer.pk}", {"status": UserStatus.DELETED}, format="json"))

    body = assert_ok(client_for(owner).get("/api/users"))
    assert [u["username"] for u in body["data"]] == ["alpha-owner"]
    assert_error(client_for(owner).get(f"/api/users/{viewer.pk}"), 404, "NOT_FOUND")
    assert_error(
        client_for(owner).patch(f"/api/users/{viewer.pk}", {"status": UserStatus.ACTIVE}, format="json"),
        404,
        "NOT_FOUND",
    )
    viewer.refresh_from_db()
    assert viewer.status == UserStatus.DELETED


def test_new_user_always_lands_in_the_actors_tenant(client_for, manager, tenant_b):
    response = client_for(manager).post(
        "/api/users",
        {"username": "newbie", "email": "newbie@example.com", "password": "Another-Good-Pass-7", "role": "viewer"},
        format="json",
    )

    body = assert_ok(response, status=201)
    assert body["data"]["tenant"]["slug"] == "alpha"
    assert User.objects.get(username="newbie").tenant_id == manager.tenant_id
    assert not User.objects.filter(tenant=tenant_b, username="newbie").exists()
