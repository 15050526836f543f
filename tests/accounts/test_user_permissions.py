"""Who may do what on the user endpoints: anonymous, viewer, operator, manager, owner,
platform superuser. Every refusal leaves the rows as they were."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role, User, UserStatus
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error, assert_ok

pytestmark = pytest.mark.django_db

ONLY_MANAGERS = "Only an owner or a manager of this tenant may do this."
NOT_OWN_ROLE = "You cannot change your own role or permissions."
NOT_OWN_STATUS = "You cannot change your own status."
LAST_OWNER = "A tenant must keep at least one active owner."


@pytest.fixture
def team(owner, manager, operator, viewer):
    return {Role.OWNER: owner, Role.MANAGER: manager, Role.OPERATOR: operator, Role.VIEWER: viewer}


@pytest.fixture
def state(team):
    """Every user row with its groups and extra permissions, plus the audit count."""

    def take() -> tuple:
        users = list(User.objects.order_by("pk").values())
        groups = sorted(User.groups.through.objects.values_list("user_id", "group__name"))
        perms = sorted(User.user_permissions.through.objects.values_list("user_id", "permission_id"))
        return users, groups, perms, AuditLog.objects.count()

    return take


def fresh(user: User) -> User:
    """The user re-read, with an empty permission cache."""
    return User.objects.get(pk=user.pk)


def set_access(client, user: User, **payload):
    return client.post(f"/api/users/{user.pk}/permissions", payload, format="json")


# --- anonymous ------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(anon_client, team, state):
    viewer = team[Role.VIEWER]
    before = state()
    calls = [
        ("get", "/api/users", None),
        ("post", "/api/users", {"username": "x", "email": "x@example.com", "password": PASSWORD}),
        ("get", "/api/users/me", None),
        ("get", f"/api/users/{viewer.pk}", None),
        ("put", f"/api/users/{viewer.pk}", {"first_name": "x"}),
        ("patch", f"/api/users/{viewer.pk}", {"first_name": "x"}),
        ("post", f"/api/users/{viewer.pk}/permissions", {"role": "owner"}),
        ("post", "/api/auth/logout", {"refresh": "x"}),
    ]

    for method, url, payload in calls:
        response = getattr(anon_client, method)(url, payload, format="json")
        assert response.status_code == 401, url
        assert_error(response, 401, "AUTHENTICATION_FAILED", message="Authentication credentials were not provided.")

    assert state() == before


# --- reading --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.MANAGER, Role.OWNER])
def test_every_role_lists_and_reads_its_tenants_users(client_for, team, role):
    client = client_for(team[role])

    listed = assert_ok(client.get("/api/users"))
    assert [u["username"] for u in listed["data"]] == [
        "alpha-manager",
        "alpha-operator",
        "alpha-owner",
        "alpha-viewer",
    ]
    other = team[Role.OWNER] if role != Role.OWNER else team[Role.VIEWER]
    assert assert_ok(client.get(f"/api/users/{other.pk}"))["data"]["username"] == other.username
    me = assert_ok(client.get("/api/users/me"))["data"]
    assert (me["username"], me["role"]) == (team[role].username, role)


def test_without_view_permission_a_user_sees_only_itself(client_for, team):
    viewer = team[Role.VIEWER]
    # a role without accounts.view_user (an operator-like custom setup)
    Group.objects.get(name=Role.VIEWER).permissions.remove(
        *Group.objects.get(name=Role.VIEWER).permissions.filter(codename="view_user")
    )
    client = client_for(viewer)

    assert_error(client.get("/api/users"), 403, "PERMISSION_DENIED", message="You may not see other users.")
    assert_error(client.get(f"/api/users/{team[Role.OWNER].pk}"), 403, "PERMISSION_DENIED")
    assert assert_ok(client.get(f"/api/users/{viewer.pk}"))["data"]["id"] == viewer.pk
    assert assert_ok(client.get("/api/users/me"))["data"]["id"] == viewer.pk


# --- changing others ------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_viewers_and_operators_cannot_change_others(client_for, team, state, role):
    client = client_for(team[role])
    target = team[Role.VIEWER] if role == Role.OPERATOR else team[Role.OPERATOR]
    before = state()

    for method in ("patch", "put"):
        response = getattr(client, method)(f"/api/users/{target.pk}", {"first_name": "Changed"}, format="json")
        assert_error(response, 403, "PERMISSION_DENIED", message=ONLY_MANAGERS)
    response = client.patch(f"/api/users/{target.pk}", {"status": "suspended"}, format="json")
    assert_error(response, 403, "PERMISSION_DENIED", message=ONLY_MANAGERS)
    assert_error(set_access(client, target, role=Role.MANAGER), 403, "PERMISSION_DENIED", message=ONLY_MANAGERS)
    assert_error(
        set_access(client, target, permissions=["accounts.view_user"]), 403, "PERMISSION_DENIED", message=ONLY_MANAGERS
    )

    assert state() == before


def test_manager_edits_lower_roles_and_the_change_is_audited(client_for, team):
    manager, viewer = team[Role.MANAGER], team[Role.VIEWER]

    response = client_for(manager).patch(
        f"/api/users/{viewer.pk}", {"first_name": "Vera", "email": "vera@example.com"}, format="json"
    )

    body = assert_ok(response, message="User updated.")
    assert (body["data"]["first_name"], body["data"]["email"]) == ("Vera", "vera@example.com")
    viewer.refresh_from_db()
    assert (viewer.first_name, viewer.email) == ("Vera", "vera@example.com")
    row = AuditLog.objects.get(action="user.updated")
    assert row.actor == manager
    assert row.object_id == str(viewer.pk)
    assert row.before["first_name"] == ""
    assert row.after["first_name"] == "Vera"
    assert row.after["email"] == "vera@example.com"


def test_manager_sets_operator_role(client_for, team):
    manager, viewer = team[Role.MANAGER], team[Role.VIEWER]

    body = assert_ok(set_access(client_for(manager), viewer, role=Role.OPERATOR), message="Role and permissions updated.")

    assert body["data"]["role"] == "operator"
    viewer = fresh(viewer)
    assert viewer.role == Role.OPERATOR
    assert list(viewer.groups.values_list("name", flat=True)) == ["operator"]
    assert viewer.has_perm("meschain.view_auditlog") is False
    row = AuditLog.objects.get(action="user.access_changed")
    assert row.before == {"role": "viewer", "permissions": []}
    assert row.after == {"role": "operator", "permissions": []}
    assert row.actor == manager


def test_manager_may_grant_manager_but_not_owner(client_for, team, state):
    manager, viewer = team[Role.MANAGER], team[Role.VIEWER]
    before = state()

    response = set_access(client_for(manager), viewer, role=Role.OWNER)

    assert_error(response, 400, "VALIDATION_ERROR", details={"role": ["You may not grant this role."]})
    assert state() == before
    assert_ok(set_access(client_for(manager), viewer, role=Role.MANAGER))
    assert fresh(viewer).role == Role.MANAGER


def test_manager_cannot_touch_an_owner(client_for, team, state):
    manager, owner = team[Role.MANAGER], team[Role.OWNER]
    client = client_for(manager)
    before = state()

    assert_error(client.patch(f"/api/users/{owner.pk}", {"first_name": "X"}, format="json"), 403, "PERMISSION_DENIED")
    assert_error(client.patch(f"/api/users/{owner.pk}", {"status": "suspended"}, format="json"), 403, "PERMISSION_DENIED")
    assert_error(set_access(client, owner, role=Role.VIEWER), 403, "PERMISSION_DENIED", message=ONLY_MANAGERS)
    assert_error(set_access(client, owner, permissions=[]), 403, "PERMISSION_DENIED")

    assert state() == before


def test_manager_creates_users_but_not_owners(client_for, team, state):
    manager = team[Role.MANAGER]
    before = state()

    refused = client_for(manager).post(
        "/api/users",
        {"username": "boss", "email": "boss@example.com", "password": PASSWORD, "role": "owner"},
        format="json",
    )
    assert_error(refused, 403, "PERMISSION_DENIED", message="You may not create this user.")
    assert state() == before

    created = client_for(manager).post(
        "/api/users",
        {"username": "olga", "email": "olga@example.com", "password": PASSWORD, "role": "operator", "first_name": "Olga"},
        format="json",
    )
    body = assert_ok(created, status=201)
    assert {k: body["data"][k] for k in ("username", "email", "role", "status", "first_name")} == {
        "username": "olga",
        "email": "olga@example.com",
        "role": "operator",
        "status": "active",
        "first_name": "Olga",
    }
    assert "password" not in body["data"]
    olga = User.objects.get(username="olga")
    assert olga.tenant_id == manager.tenant_id
    assert list(olga.groups.values_list("name", flat=True)) == ["operator"]
    assert olga.check_password(PASSWORD)
    assert AuditLog.objects.get(action="user.created", object_id=str(olga.pk)).actor == manager


def test_created_user_defaults_to_viewer_and_can_log_in(client_for, anon_client, owner):
    assert_ok(
        client_for(owner).post(
            "/api/users", {"username": "vic", "email": "vic@example.com", "password": PASSWORD}, format="json"
        ),
        status=201,
    )

    logged_in = assert_ok(anon_client.post("/api/auth/login", {"username": "vic", "password": PASSWORD}, format="json"))
    assert logged_in["data"]["user"]["role"] == "viewer"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_viewers_and_operators_cannot_create_users(client_for, team, state, role):
    before = state()

    response = client_for(team[role]).post(
        "/api/users", {"username": "sneaky", "email": "sneaky@example.com", "password": PASSWORD}, format="json"
    )

    assert_error(response, 403, "PERMISSION_DENIED", message=ONLY_MANAGERS)
    assert state() == before


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({"username": "alpha-viewer"}, {"username": ["A user with that username already exists."]}),
        ({"username": "bravo-owner"}, {"username": ["A user with that username already exists."]}),
        ({"email": "ALPHA-VIEWER@example.com"}, {"email": ["A user with this email address already exists."]}),
        ({"email": "owner@bravo.example.com"}, {"email": ["A user with this email address already exists."]}),
    ],
    ids=["username", "username-other-tenant", "email-other-case", "email-other-tenant"],
)
def test_create_rejects_duplicates(client_for, team, other_owner, state, payload, details):
    before = state()
    body = {"username": "fresh", "email": "fresh@example.com", "password": PASSWORD, **payload}

    response = client_for(team[Role.OWNER]).post("/api/users", body, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details=details)
    assert state() == before


def test_update_rejects_an_email_in_use(client_for, team, state):
    before = state()

    response = client_for(team[Role.OWNER]).patch(
        f"/api/users/{team[Role.VIEWER].pk}", {"email": "Alpha-Manager@Example.com"}, format="json"
    )

    assert_error(response, 400, "VALIDATION_ERROR", details={"email": ["A user with this email address already exists."]})
    assert state() == before


def test_owner_manages_everyone_including_other_owners(client_for, team, make_user, tenant_a):
    owner, manager = team[Role.OWNER], team[Role.MANAGER]
    client = client_for(owner)

    assert assert_ok(set_access(client, manager, role=Role.OWNER))["data"]["role"] == "owner"
    assert fresh(manager).role == Role.OWNER
    assert_ok(client.patch(f"/api/users/{manager.pk}", {"first_name": "Co-owner"}, format="json"))
    assert assert_ok(set_access(client, manager, role=Role.MANAGER))["data"]["role"] == "manager"
    assert assert_ok(client.patch(f"/api/users/{manager.pk}", {"status": "suspended"}, format="json"))["data"][
        "status"
    ] == "suspended"
    manager = fresh(manager)
    assert (manager.role, manager.status, manager.is_active) == (Role.MANAGER, UserStatus.SUSPENDED, False)


def test_owner_may_create_another_owner(client_for, owner):
    response = client_for(owner).post(
        "/api/users", {"username": "partner", "email": "p@example.com", "password": PASSWORD, "role": "owner"}, format="json"
    )

    assert assert_ok(response, status=201)["data"]["role"] == "owner"


def test_superuser_can_create_users_only_in_the_admin(client_for, superuser, state):
    before = state()

    response = client_for(superuser).post(
        "/api/users", {"username": "x1", "email": "x1@example.com", "password": PASSWORD}, format="json"
    )

    assert_error(response, 403, "PERMISSION_DENIED", message="Platform users create users through the admin.")
    assert state() == before


def test_superuser_manages_users_of_any_tenant(client_for, superuser, other_owner, make_user, tenant_b):
    bravo_viewer = make_user(tenant_b, Role.VIEWER)
    client = client_for(superuser)

    assert assert_ok(set_access(client, bravo_viewer, role=Role.OWNER))["data"]["role"] == "owner"
    assert_ok(client.patch(f"/api/users/{other_owner.pk}", {"status": "suspended"}, format="json"))
    assert fresh(other_owner).status == UserStatus.SUSPENDED


# --- oneself ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.MANAGER, Role.OWNER])
def test_everyone_edits_their_own_profile(client_for, team, role):
    me = team[role]

    body = assert_ok(client_for(me).patch(f"/api/users/{me.pk}", {"last_name": "Self"}, format="json"))

    assert body["data"]["last_name"] == "Self"
    assert fresh(me).last_name == "Self"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.MANAGER, Role.OWNER])
def test_nobody_changes_their_own_role_or_status(client_for, team, state, role):
    me = team[role]
    client = client_for(me)
    before = state()

    for status in (UserStatus.SUSPENDED, UserStatus.DELETED):
        response = client.patch(f"/api/users/{me.pk}", {"status": status}, format="json")
        assert_error(response, 403, "PERMISSION_DENIED", message=NOT_OWN_STATUS)
    expected = NOT_OWN_ROLE if role in (Role.MANAGER, Role.OWNER) else ONLY_MANAGERS
    for payload in ({"role": Role.OWNER}, {"role": Role.VIEWER}, {"permissions": ["accounts.view_user"]}):
        assert_error(set_access(client, me, **payload), 403, "PERMISSION_DENIED", message=expected)

    assert state() == before


def test_superuser_cannot_change_its_own_status(client_for, superuser, state):
    before = state()

    response = client_for(superuser).patch(f"/api/users/{superuser.pk}", {"status": "suspended"}, format="json")

    assert_error(response, 403, "PERMISSION_DENIED", message=NOT_OWN_STATUS)
    assert state() == before


# --- the last owner -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("permissions", {"role": Role.MANAGER}),
        ("permissions", {"role": Role.VIEWER}),
        ("patch", {"status": UserStatus.SUSPENDED}),
        ("patch", {"status": UserStatus.DELETED}),
    ],
    ids=["demote-manager", "demote-viewer", "suspend", "delete"],
)
def test_last_active_owner_cannot_be_demoted_or_suspended(client_for, superuser, owner, state, method, payload):
    before = state()
    client = client_for(superuser)

    if method == "permissions":
        response = set_access(client, owner, **payload)
    else:
        response = client.patch(f"/api/users/{owner.pk}", payload, format="json")

    assert_error(response, 409, "CONFLICT", message=LAST_OWNER)
    assert state() == before


def test_a_suspended_owner_does_not_count_as_remaining(client_for, superuser, owner, make_user, tenant_a, state):
    second = make_user(tenant_a, Role.OWNER, username="alpha-owner-2")
    assert_ok(client_for(owner).patch(f"/api/users/{second.pk}", {"status": "suspended"}, format="json"))
    before = state()

    response = set_access(client_for(superuser), owner, role=Role.MANAGER)

    assert_error(response, 409, "CONFLICT", message=LAST_OWNER)
    assert state() == before


def test_with_two_owners_one_may_demote_the_other(client_for, superuser, owner, make_user, tenant_a):
    second = make_user(tenant_a, Role.OWNER, username="alpha-owner-2")

    assert_ok(set_access(client_for(second), owner, role=Role.MANAGER))

    assert fresh(owner).role == Role.MANAGER
    # now the second owner is the last one
    response = client_for(superuser).patch(f"/api/users/{second.pk}", {"status": "suspended"}, format="json")
    assert_error(response, 409, "CONFLICT", message=LAST_OWNER)
    assert fresh(second).status == UserStatus.ACTIVE


# --- extra permissions --------------------------------------------------------


def test_extra_permissions_are_applied_and_replaced(client_for, team):
    owner, operator = team[Role.OWNER], team[Role.OPERATOR]
    client = client_for(owner)
    assert fresh(operator).has_perm("meschain.view_auditlog") is False

    body = assert_ok(set_access(client, operator, permissions=["meschain.view_auditlog", "accounts.add_user"]))

    assert body["data"]["permissions"] == ["accounts.add_user", "meschain.view_auditlog"]
    assert body["data"]["role"] == "operator"
    granted = fresh(operator)
    assert granted.has_perm("meschain.view_auditlog") is True
    assert granted.has_perm("accounts.add_user") is True
    assert sorted(granted.user_permissions.values_list("codename", flat=True)) == ["add_user", "view_auditlog"]
    me = assert_ok(client_for(granted).get("/api/users/me"))["data"]
    assert me["permissions"] == ["accounts.add_user", "meschain.view_auditlog"]

    body = assert_ok(set_access(client, operator, permissions=["accounts.add_user"]))
    assert body["data"]["permissions"] == ["accounts.add_user"]
    body = assert_ok(set_access(client, operator, permissions=[]))
    assert body["data"]["permissions"] == []
    assert fresh(operator).user_permissions.count() == 0
    rows = AuditLog.objects.filter(action="user.access_changed").order_by("pk")
    assert [r.after["permissions"] for r in rows] == [
        ["accounts.add_user", "meschain.view_auditlog"],
        ["accounts.add_user"],
        [],
    ]


def test_role_and_permissions_together(client_for, team):
    body = assert_ok(
        set_access(client_for(team[Role.OWNER]), team[Role.VIEWER], role=Role.OPERATOR, permissions=["accounts.view_user"])
    )

    assert (body["data"]["role"], body["data"]["permissions"]) == ("operator", ["accounts.view_user"])


def test_unknown_permissions_are_400(client_for, team, state):
    before = state()

    response = set_access(
        client_for(team[Role.OWNER]),
        team[Role.VIEWER],
        role=Role.OPERATOR,
        permissions=["accounts.fly", "nonsense", "accounts.add_tenant", "auth.add_group"],
    )

    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        details={
            "permissions": [
                "Unknown permission: accounts.fly",
                "Unknown permission: nonsense",
                "Unknown permission: accounts.add_tenant",
                "Unknown permission: auth.add_group",
            ]
        },
    )
    assert state() == before


def test_manager_cannot_grant_a_permission_it_lacks(client_for, team, state):
    manager, viewer = team[Role.MANAGER], team[Role.VIEWER]
    assert fresh(manager).has_perm("accounts.delete_user") is False
    before = state()

    response = set_access(client_for(manager), viewer, permissions=["accounts.view_user", "accounts.delete_user"])

    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        details={"permissions": ["You cannot grant a permission you do not have: accounts.delete_user"]},
    )
    assert state() == before
    # the owner has it and may grant it
    assert_ok(set_access(client_for(team[Role.OWNER]), viewer, permissions=["accounts.delete_user"]))
    assert fresh(viewer).has_perm("accounts.delete_user") is True


def test_manager_may_grant_what_it_has(client_for, team):
    body = assert_ok(set_access(client_for(team[Role.MANAGER]), team[Role.VIEWER], permissions=["accounts.change_user"]))

    assert body["data"]["permissions"] == ["accounts.change_user"]


def test_setting_the_same_access_again_writes_no_audit_row(client_for, team):
    client = client_for(team[Role.OWNER])
    assert_ok(set_access(client, team[Role.VIEWER], role=Role.VIEWER, permissions=[]))

    assert not AuditLog.objects.filter(action="user.access_changed").exists()
