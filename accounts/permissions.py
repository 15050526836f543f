from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User


class IsTenantUser(BasePermission):
    """A person (JWT or session), not a storefront API key."""

    message = _("This endpoint is for users; API keys cannot use it.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, User) and request.user.is_active


class HasApiScope(BasePermission):
    """For API-key callers: the view's `required_scopes[method]` must be granted to the
    key. Users pass through to the view's other permission classes."""

    message = _("This API key does not have the scope this request needs.")

    def has_permission(self, request: Request, view: Any) -> bool:
        scopes = getattr(request.user, "scopes", None)
        if scopes is None:
            return True
        needed = getattr(view, "required_scopes", {}).get(request.method)
        return needed is not None and needed in scopes
