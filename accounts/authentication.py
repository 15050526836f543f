"""How API callers prove who they are: JWT for operators, X-API-Key for storefronts,
the admin session for the browser."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import services
from accounts.models import ApiKey, User
from accounts.permissions import IsTenantUser
from accounts.services import two_factor


class ApiKeyPrincipal:
    """Stands in for request.user when a storefront calls with an API key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.api_key_id = api_key.pk
        self.tenant = api_key.tenant
        self.tenant_id = api_key.tenant_id
        self.scopes = frozenset(api_key.scopes)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def get_username(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    @property
    def audit_label(self) -> str:
        return f"API key {self.api_key.name} ({self.api_key.prefix})"

    def __str__(self) -> str:
        return self.get_username()


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        raw = request.META.get(settings.API_KEY_HEADER)
        if not raw:
            return None
        key = services.authenticate_api_key(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'X-API-Key realm="api"'


class TenantJWTAuthentication(JWTAuthentication):
    """JWT, loading the user with its tenant in one query and refusing suspended users
    and deactivated tenants on every request."""

    def get_user(self, validated_token: Any) -> User:
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise exceptions.AuthenticationFailed(
                _("Token contained no recognizable user identification")
            ) from exc
        user = User.objects.select_related("tenant").filter(pk=user_id).first()
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("User is inactive or does not exist."))
        if not user.is_superuser and (user.tenant is None or not user.tenant.is_active):
            raise exceptions.AuthenticationFailed(_("This organisation is deactivated."))
        return user


class CsrfSessionAuthentication(SessionAuthentication):
    """The admin's session, with CSRF enforced on writes (DRF's behaviour). Refused
    while the tenant requires the user to set up two-factor authentication first."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and request._request.session.get(two_factor.ENROL_SESSION_KEY):
            raise exceptions.AuthenticationFailed(two_factor.TwoFactorSetupRequired.default_message)
        return result


# --- How each scheme appears in the OpenAPI schema ---------------------------


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = TenantJWTAuthentication
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_requirement(self, auto_schema: Any) -> dict | None:
        # Endpoints for people only (IsTenantUser) refuse API keys: not offered there.
        if any(isinstance(permission, IsTenantUser) for permission in auto_schema.view.get_permissions()):
            return None
        return {self.name: []}

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = CsrfSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
