from typing import Any

from django.contrib.auth.backends import ModelBackend


class TenantUserBackend(ModelBackend):
    """Django's model backend, refusing users whose tenant is deactivated."""

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        tenant = getattr(user, "tenant", None)
        return user.is_superuser or (tenant is not None and tenant.is_active)
