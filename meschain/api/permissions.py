from typing import Any

from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions for every method, reads included (view_<model>).
    Roles grant these through their groups; see accounts.roles."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(view, "_ignore_model_permissions", False):
            return True
        return super().has_permission(request, view)


class ScopeOrModelPermissions(ModelPermissions):
    """API keys need the view's `action_scopes[action]` or `required_scopes[method]`;
    users need model permissions."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scopes = getattr(request.user, "scopes", None)
        if scopes is not None:
            action_scopes = getattr(view, "action_scopes", {})
            action = getattr(view, "action", None)
            if action in action_scopes:  # None there: not for API keys at all
                needed = action_scopes[action]
            else:
                needed = getattr(view, "required_scopes", {}).get(request.method)
            return needed is not None and needed in scopes
        return super().has_permission(request, view)
