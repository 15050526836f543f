"""The admin keeps each tenant's rows to that tenant: lists, change pages, add forms,
foreign-key choices. Platform superusers see every tenant."""

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import path

from accounts.models import ApiKey, Role, Tenant, User
from meschain.admin import TenantScopedAdmin, scoped_related_queryset
from meschain.models import AuditLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


# A second admin site with an editable tenant-scoped form that has foreign keys to a
# tenant-scoped model (actor -> User) and to Tenant, to exercise the form-field scoping
# the real admins inherit. Audit rows are never added by hand in the real admin.
class _AuditEntryAdmin(TenantScopedAdmin):
    fields = ["tenant", "actor", "action"]

    def has_add_permission(self, request) -> bool:
        return True


scoped_site = AdminSite(name="scoped")
scoped_site.register(AuditLog, _AuditEntryAdmin)
urlpatterns = [path("admin/", admin.site.urls), path("scoped-admin/", scoped_site.urls)]


def _usernames(response) -> set[str]:
    return {user.username for user in response.context["cl"].result_list}


@pytest.fixture
def manager_b(tenant_b, make_user) -> User:
    return make_user(tenant_b, Role.MANAGER)


class TestUserList:
    def test_manager_sees_only_own_tenant_users(self, admin_client_for, manager, operator, manager_b):
        response = admin_client_for(manager).get("/admin/accounts/user/")

        assert response.status_code == 200
        assert _usernames(response) == {"alpha-owner", "alpha-manager", "alpha-operator"}
        assert response.context["cl"].result_count == 3
        assert "bravo-owner" not in response.content.decode()
        assert "bravo-manager" not in response.content.decode()

    def test_manager_list_has_no_tenant_column_or_filter(self, admin_client_for, manager):
        response = admin_client_for(manager).get("/admin/accounts/user/")

        assert "tenant" not in response.context["cl"].list_display
        assert "tenant" not in response.context["cl"].list_filter
        assert "column-tenant" not in response.content.decode()

    def test_superuser_sees_all_tenants_with_tenant_column_and_filter(
        self, admin_client_for, superuser, manager, manager_b
    ):
        response = admin_client_for(superuser).get("/admin/accounts/user/")

        assert response.status_code == 200
        assert _usernames(response) == {
            "alpha-owner",
            "alpha-manager",
            "bravo-owner",
            "bravo-manager",
            "root",
        }
        assert "tenant" in response.context["cl"].list_display
        assert "tenant" in response.context["cl"].list_filter
        html = response.content.decode()
        assert "column-tenant" in html
        assert "By tenant" in html

    def test_superuser_filters_by_tenant(self, admin_client_for, superuser, tenant_b, manager, manager_b):
        response = admin_client_for(superuser).get(f"/admin/accounts/user/?tenant__id__exact={tenant_b.pk}")

        assert _usernames(response) == {"bravo-owner", "bravo-manager"}


class TestOtherTenantObjects:
    def test_other_tenant_user_change_page_is_not_shown(self, admin_client_for, manager, other_owner):
        response = admin_client_for(manager).get(f"/admin/accounts/user/{other_owner.pk}/change/")

        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        follow = admin_client_for(manager).get(f"/admin/accounts/user/{other_owner.pk}/change/", follow=True)
        assert "owner@bravo.example.com" not in follow.content.decode()

    def test_post_to_other_tenant_user_changes_nothing(self, admin_client_for, manager, other_owner):
        response = admin_client_for(manager).post(
            f"/admin/accounts/user/{other_owner.pk}/change/",
            {
                "first_name": "Hacked",
                "last_name": "",
                "email": "owner@bravo.example.com",
                "role": Role.VIEWER,
                "status": "suspended",
            },
        )

        assert response.status_code == 302
        other_owner.refresh_from_db()
        assert (other_owner.first_name, other_owner.role, other_owner.status) == ("", Role.OWNER, "active")
        assert not AuditLog.objects.filter(object_id=str(other_owner.pk), action__startswith="user.updated")

    def test_superuser_opens_any_tenant_user(self, admin_client_for, superuser, other_owner):
        response = admin_client_for(superuser).get(f"/admin/accounts/user/{other_owner.pk}/change/")

        assert response.status_code == 200
        assert "owner@bravo.example.com" in response.content.decode()


class TestApiKeyAndAuditLists:
    def test_manager_sees_only_own_tenant_api_keys(
        self, admin_client_for, manager, tenant_a, tenant_b, make_api_key
    ):
        own, _ = make_api_key(tenant_a, name="Alpha shop")
        other, _ = make_api_key(tenant_b, name="Bravo shop")

        response = admin_client_for(manager).get("/admin/accounts/apikey/")

        assert response.status_code == 200
        assert [key.pk for key in response.context["cl"].result_list] == [own.pk]
        html = response.content.decode()
        assert "Alpha shop" in html
        assert "Bravo shop" not in html
        assert other.prefix not in html

    def test_other_tenant_api_key_page_is_not_shown(self, admin_client_for, manager, tenant_b, make_api_key):
        other, _ = make_api_key(tenant_b, name="Bravo shop")

        response = admin_client_for(manager).get(f"/admin/accounts/apikey/{other.pk}/change/")

        assert response.status_code == 302
        assert response["Location"] == "/admin/"

    def test_manager_sees_only_own_tenant_audit_rows(self, admin_client_for, manager, tenant_a, other_owner):
        response = admin_client_for(manager).get("/admin/meschain/auditlog/")

        assert response.status_code == 200
        rows = list(response.context["cl"].result_list)
        assert len(rows) == AuditLog.objects.filter(tenant=tenant_a).count() == 4  # + this login
        assert {row.tenant_id for row in rows} == {tenant_a.pk}
        assert "bravo-owner" not in response.content.decode()

    def test_superuser_sees_every_tenant_audit_row(self, admin_client_for, superuser, manager, other_owner):
        response = admin_client_for(superuser).get("/admin/meschain/auditlog/")

        assert response.context["cl"].result_count == AuditLog.objects.count() == 6
        assert "tenant" in response.context["cl"].list_display


class TestAddUserForm:
    def test_add_form_offers_no_tenant_to_a_manager(self, admin_client_for, manager):
        response = admin_client_for(manager).get("/admin/accounts/user/add/")

        assert response.status_code == 200
        assert "tenant" not in response.context["adminform"].form.fields
        assert 'name="tenant"' not in response.content.decode()

    def test_add_form_offers_every_tenant_to_the_superuser(
        self, admin_client_for, superuser, tenant_a, tenant_b
    ):
        response = admin_client_for(superuser).get("/admin/accounts/user/add/")

        field = response.context["adminform"].form.fields["tenant"]
        assert set(field.queryset) == {tenant_a, tenant_b}

    def test_manager_creates_user_in_own_tenant_even_when_posting_another_tenant(
        self, admin_client_for, manager, tenant_a, tenant_b
    ):
        response = admin_client_for(manager).post(
            "/admin/accounts/user/add/",
            {
                "tenant": tenant_b.pk,
                "username": "alpha-clerk",
                "email": "clerk@alpha.example.com",
                "first_name": "Ada",
                "last_name": "Clerk",
                "role": Role.OPERATOR,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

        assert response.status_code == 302
        created = User.objects.get(username="alpha-clerk")
        assert created.tenant_id == tenant_a.pk
        assert created.role == Role.OPERATOR
        assert list(created.groups.values_list("name", flat=True)) == [Role.OPERATOR]
        assert created.check_password(PASSWORD)
        assert not User.objects.filter(tenant=tenant_b, username="alpha-clerk").exists()
        row = AuditLog.objects.get(action="user.created", object_id=str(created.pk))
        assert (row.actor_id, row.tenant_id) == (manager.pk, tenant_a.pk)

    def test_superuser_creates_user_in_chosen_tenant(self, admin_client_for, superuser, tenant_b):
        response = admin_client_for(superuser).post(
            "/admin/accounts/user/add/",
            {
                "tenant": tenant_b.pk,
                "username": "bravo-clerk",
                "email": "clerk@bravo.example.com",
                "role": Role.VIEWER,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

        assert response.status_code == 302
        assert User.objects.get(username="bravo-clerk").tenant_id == tenant_b.pk


    def test_superuser_must_choose_a_tenant(self, admin_client_for, superuser):
        client = admin_client_for(superuser)
        users_before = User.objects.count()

        response = client.post(
            "/admin/accounts/user/add/",
            {
                "username": "stray",
                "email": "stray@example.com",
                "role": Role.VIEWER,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

        assert response.status_code == 200
        assert response.context["adminform"].form.errors["tenant"] == ["This field is required."]
        assert User.objects.count() == users_before


class TestScopedFormFields:
    def test_foreign_key_choices_are_the_managers_tenant_rows(
        self, admin_client_for, manager, operator, manager_b, settings
    ):
        settings.ROOT_URLCONF = __name__
        response = admin_client_for(manager).get("/scoped-admin/meschain/auditlog/add/")

        assert response.status_code == 200
        form = response.context["adminform"].form
        assert "tenant" not in form.fields
        assert {u.username for u in form.fields["actor"].queryset} == {
            "alpha-owner",
            "alpha-manager",
            "alpha-operator",
        }
        assert "bravo-manager" not in response.content.decode()

    def test_posting_another_tenants_row_as_choice_is_refused(
        self, admin_client_for, manager, manager_b, settings
    ):
        settings.ROOT_URLCONF = __name__
        client = admin_client_for(manager)
        before = AuditLog.objects.count()

        response = client.post(
            "/scoped-admin/meschain/auditlog/add/", {"actor": manager_b.pk, "action": "test.entry"}
        )

        assert response.status_code == 200
        assert response.context["adminform"].form.errors["actor"] == [
            "Select a valid choice. That choice is not one of the available choices."
        ]
        assert AuditLog.objects.count() == before

    def test_superuser_choices_span_every_tenant(
        self, admin_client_for, superuser, manager, manager_b, settings
    ):
        settings.ROOT_URLCONF = __name__
        response = admin_client_for(superuser).get("/scoped-admin/meschain/auditlog/add/")

        form = response.context["adminform"].form
        assert {u.username for u in form.fields["actor"].queryset} == {
            "alpha-owner",
            "alpha-manager",
            "bravo-owner",
            "bravo-manager",
            "root",
        }
        assert set(form.fields["tenant"].queryset) == set(Tenant.objects.all())

    def test_scoped_related_queryset(self, manager, superuser, tenant_a, tenant_b):
        request = RequestFactory().get("/admin/")
        request.user = manager

        assert list(scoped_related_queryset(Tenant, request)) == [tenant_a]
        assert set(scoped_related_queryset(User, request)) == set(User.objects.filter(tenant=tenant_a))
        assert list(scoped_related_queryset(ApiKey, request)) == []
        assert scoped_related_queryset(Group, request) is None  # not tenant data: left alone

        request.user = superuser
        assert scoped_related_queryset(Tenant, request) is None
        assert scoped_related_queryset(User, request) is None
