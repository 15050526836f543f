"""User management in the admin goes through accounts.services: same rules, same audit."""

import pytest

from accounts.models import Role, User, UserStatus
from meschain.models import AuditLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _change_data(user: User, **overrides: str) -> dict[str, str]:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "status": user.status,
    }
    data.update(overrides)
    return data


def _add_data(username: str, role: str = Role.VIEWER) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "role": role,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


class TestChangesAreAudited:
    def test_role_change_writes_access_audit_row_and_moves_group(self, admin_client_for, manager, operator):
        response = admin_client_for(manager).post(
            f"/admin/accounts/user/{operator.pk}/change/", _change_data(operator, role=Role.VIEWER)
        )

        assert response.status_code == 302
        operator.refresh_from_db()
        assert operator.role == Role.VIEWER
        assert list(operator.groups.values_list("name", flat=True)) == [Role.VIEWER]
        row = AuditLog.objects.get(action="user.access_changed", object_id=str(operator.pk))
        assert row.actor_id == manager.pk
        assert row.before == {"role": "operator", "permissions": []}
        assert row.after == {"role": "viewer", "permissions": []}
        assert row.request_id.startswith("req_")

    def test_status_change_writes_update_audit_row_and_blocks_login(
        self, admin_client_for, manager, operator
    ):
        response = admin_client_for(manager).post(
            f"/admin/accounts/user/{operator.pk}/change/",
            _change_data(operator, status=UserStatus.SUSPENDED, first_name="Ozan"),
        )

        assert response.status_code == 302
        operator.refresh_from_db()
        assert (operator.status, operator.is_active, operator.first_name) == ("suspended", False, "Ozan")
        row = AuditLog.objects.get(action="user.updated", object_id=str(operator.pk))
        assert row.actor_id == manager.pk
        assert (row.before["status"], row.after["status"]) == ("active", "suspended")
        assert (row.before["first_name"], row.after["first_name"]) == ("", "Ozan")
        assert not AuditLog.objects.filter(action="user.access_changed").exists()

    def test_saving_without_changes_writes_no_audit_row(self, admin_client_for, manager, operator):
        client = admin_client_for(manager)
        before = AuditLog.objects.count()

        response = client.post(f"/admin/accounts/user/{operator.pk}/change/", _change_data(operator))

        assert response.status_code == 302
        assert AuditLog.objects.count() == before

    def test_service_refusal_becomes_an_admin_message_and_changes_nothing(
        self, admin_client_for, superuser, owner
    ):
        """A tenant keeps one active owner: the service's rule shows up in the admin."""
        client = admin_client_for(superuser)
        before = AuditLog.objects.count()

        response = client.post(
            f"/admin/accounts/user/{owner.pk}/change/",
            _change_data(owner, status=UserStatus.SUSPENDED),
            follow=True,
        )

        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == [
            "A tenant must keep at least one active owner."
        ]
        owner.refresh_from_db()
        assert (owner.status, owner.is_active) == (UserStatus.ACTIVE, True)
        assert AuditLog.objects.count() == before

    def test_user_cannot_change_own_status(self, admin_client_for, owner):
        client = admin_client_for(owner)
        before = AuditLog.objects.count()

        response = client.post(
            f"/admin/accounts/user/{owner.pk}/change/",
            _change_data(owner, status=UserStatus.SUSPENDED),
            follow=True,
        )

        assert [str(m) for m in response.context["messages"]] == ["You cannot change your own status."]
        owner.refresh_from_db()
        assert owner.status == UserStatus.ACTIVE
        assert AuditLog.objects.count() == before


class TestWhoMayManage:
    def test_manager_sees_owner_read_only_and_cannot_post_changes(self, admin_client_for, manager, owner):
        client = admin_client_for(manager)
        page = client.get(f"/admin/accounts/user/{owner.pk}/change/")

        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        assert 'name="_save"' not in page.content.decode()

        before = AuditLog.objects.count()
        response = client.post(
            f"/admin/accounts/user/{owner.pk}/change/",
            _change_data(owner, role=Role.VIEWER, status=UserStatus.SUSPENDED),
        )

        assert response.status_code == 403
        owner.refresh_from_db()
        assert (owner.role, owner.status) == (Role.OWNER, UserStatus.ACTIVE)
        assert AuditLog.objects.count() == before

    def test_manager_may_not_grant_owner(self, admin_client_for, manager, operator):
        client = admin_client_for(manager)
        before = AuditLog.objects.count()

        response = client.post(
            f"/admin/accounts/user/{operator.pk}/change/",
            _change_data(operator, role=Role.OWNER),
            follow=True,
        )

        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == [
            "Some fields are not valid.",
            "You may not grant this role.",
        ]
        assert AuditLog.objects.count() == before
        operator.refresh_from_db()
        assert operator.role == Role.OPERATOR
        assert not AuditLog.objects.filter(action="user.access_changed").exists()

    @pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
    def test_viewer_and_operator_cannot_add_users(self, admin_client_for, tenant_a, make_user, role):
        user = make_user(tenant_a, role)
        client = admin_client_for(user)
        users_before = User.objects.count()

        assert client.get("/admin/accounts/user/add/").status_code == 403
        response = client.post("/admin/accounts/user/add/", _add_data("sneaky", Role.OWNER))

        assert response.status_code == 403
        assert User.objects.count() == users_before
        assert not User.objects.filter(username="sneaky").exists()

    @pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
    def test_viewer_and_operator_cannot_change_users(
        self, admin_client_for, tenant_a, make_user, manager, role
    ):
        user = make_user(tenant_a, role)

        response = admin_client_for(user).post(
            f"/admin/accounts/user/{manager.pk}/change/", _change_data(manager, status=UserStatus.SUSPENDED)
        )

        assert response.status_code == 403
        manager.refresh_from_db()
        assert manager.status == UserStatus.ACTIVE

    def test_users_are_never_deleted_from_the_admin(self, admin_client_for, owner, operator):
        response = admin_client_for(owner).post(
            f"/admin/accounts/user/{operator.pk}/delete/", {"post": "yes"}
        )

        assert response.status_code == 403
        assert User.objects.filter(pk=operator.pk).exists()


def test_the_service_behind_the_admin_refuses_a_user_without_tenant(superuser):
    from accounts import services
    from meschain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as excinfo:
        services.create_user(
            tenant=None, username="stray", email="stray@example.com", password=PASSWORD, actor=superuser
        )

    assert excinfo.value.details == {"tenant": ["Choose the tenant this user belongs to."]}
    assert not User.objects.filter(username="stray").exists()
