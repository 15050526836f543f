"""Roles are Django groups with model permissions, computed from one table here.

Later apps get their permissions into the roles simply by being listed in OWN_APPS.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from accounts.models import Role

OWN_APPS = ("accounts", "meschain", "webhooks", "catalog", "orders", "marketplaces", "reports", "onec")
#: apps whose rows operators work on every day
WORKING_APPS = ("catalog", "orders", "marketplaces")
#: never granted through a role: platform-level or append-only rows
NOT_BY_ROLE = {
    "accounts.add_tenant",
    "accounts.change_tenant",
    "accounts.delete_tenant",
    "accounts.view_tenant",
    "meschain.add_auditlog",
    "meschain.change_auditlog",
    "meschain.delete_auditlog",
}
#: what only an owner may do
OWNER_ONLY = {"accounts.delete_user"}
#: roles an actor may hand out
GRANTABLE_BY = {
    Role.OWNER: {Role.OWNER, Role.MANAGER, Role.OPERATOR, Role.VIEWER},
    Role.MANAGER: {Role.MANAGER, Role.OPERATOR, Role.VIEWER},
}


def _label(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


def permissions_for(role: str, all_perms: list[Permission]) -> list[Permission]:
    def wanted(perm: Permission) -> bool:
        label = _label(perm)
        app = perm.content_type.app_label
        action = perm.codename.split("_", 1)[0]
        if label in NOT_BY_ROLE:
            return False
        if role == Role.OWNER:
            return True
        if role == Role.MANAGER:
            return label not in OWNER_ONLY
        if role == Role.OPERATOR:
            return app in WORKING_APPS or (action == "view" and label != "meschain.view_auditlog")
        # viewer
        return action == "view" and label != "meschain.view_auditlog" and app != "meschain"

    return [perm for perm in all_perms if wanted(perm)]


def assignable_permissions() -> list[Permission]:
    """Permissions that may be granted to a user individually (extra permissions)."""
    perms = Permission.objects.filter(content_type__app_label__in=OWN_APPS).select_related("content_type")
    return [p for p in perms if _label(p) not in NOT_BY_ROLE]


def sync_role_groups() -> None:
    all_perms = list(
        Permission.objects.filter(content_type__app_label__in=OWN_APPS).select_related("content_type")
    )
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions_for(role, all_perms))


def sync_role_groups_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # Permissions of apps migrated after accounts do not exist yet: create them first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_role_groups()
