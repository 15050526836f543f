"""Business operations on tenants, users, roles and API keys.

Every write is one transaction that also writes its audit row. Views, admin, commands
call these; nothing else changes these rows.
"""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Role, Tenant, User, UserStatus
from accounts.roles import GRANTABLE_BY, assignable_permissions
from meschain import audit
from meschain.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

USER_AUDIT_FIELDS = ["username", "email", "first_name", "last_name", "role", "status"]
API_KEY_SCOPES = (
    "catalog:read",
    "catalog:write",
    "inventory:read",
    "inventory:write",
    "orders:read",
    "orders:write",
)
API_KEY_PREFIX = "mck_"
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class AuthenticationFailed(DomainError):
    code = ErrorCode.AUTHENTICATION_FAILED


class AccountLocked(DomainError):
    code = ErrorCode.ACCOUNT_LOCKED


# --- Reads that check access ------------------------------------------------


def users_visible_to(actor: Any):
    """The users an actor may see: their tenant's (everyone's for a superuser)."""
    from meschain.tenancy import scope

    return scope(User.objects.select_related("tenant"), actor).exclude(status=UserStatus.DELETED)


def access_user_by_id(actor: Any, user_id: int) -> User:
    """The user `user_id` if the actor may see it; "not found" for another tenant's."""
    user = users_visible_to(actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No user with this id."))
    return user


def can_manage_users(actor: Any, target: User | None = None) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    if not isinstance(actor, User) or actor.role not in GRANTABLE_BY:
        return False
    if target is not None:
        if target.tenant_id != actor.tenant_id or target.is_superuser:
            return False
        if target.role == Role.OWNER and actor.role != Role.OWNER:
            return False
    return True


def _require_manager(actor: Any, target: User | None = None) -> None:
    if not can_manage_users(actor, target):
        raise PermissionDenied(_("Only an owner or a manager of this tenant may do this."))


def _ensure_other_owner_remains(user: User) -> None:
    if user.role != Role.OWNER or user.tenant_id is None:
        return
    others = User.objects.filter(tenant_id=user.tenant_id, role=Role.OWNER, status=UserStatus.ACTIVE).exclude(
        pk=user.pk
    )
    if not others.exists():
        raise Conflict(_("A tenant must keep at least one active owner."))


# --- Tenants and users -------------------------------------------------------

#: what other apps set up for every new tenant (e.g. the default warehouse),
#: registered from their AppConfig.ready so accounts imports none of them
_tenant_setup: list[Callable[[Tenant], None]] = []


def register_tenant_setup(setup: Callable[[Tenant], None]) -> None:
    if setup not in _tenant_setup:
        _tenant_setup.append(setup)


@transaction.atomic
def create_tenant(
    *,
    slug: str,
    name: str,
    owner_username: str,
    owner_email: str,
    owner_password: str,
    actor: Any = None,
) -> tuple[Tenant, User]:
    if slugify(slug) != slug or not slug:
        raise ValidationFailed(details={"slug": [_("Use lowercase letters, digits and hyphens.")]})
    if Tenant.objects.filter(slug=slug).exists():
        raise Conflict(_("A tenant with the slug “%(slug)s” already exists.") % {"slug": slug})
    tenant = Tenant.objects.create(slug=slug, name=name)
    audit.record("tenant.created", actor=actor, tenant=tenant, obj=tenant, after={"slug": slug, "name": name})
    for setup in _tenant_setup:
        setup(tenant)
    owner = create_user(
        tenant=tenant,
        username=owner_username,
        email=owner_email,
        password=owner_password,
        role=Role.OWNER,
        actor=actor,
    )
    return tenant, owner


def _validate_identity(
    *, username: str | None, email: str | None, password: str | None, exclude_pk: int | None = None
) -> None:
    errors: dict[str, list[str]] = {}
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if username is not None:
        try:
            User.username_validator(username)
        except DjangoValidationError as exc:
            errors["username"] = list(exc.messages)
        if not username:
            errors["username"] = [_("This field may not be blank.")]
        elif others.filter(username=username).exists():
            errors["username"] = [_("A user with that username already exists.")]
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = [_("A user with this email address already exists.")]
    if password is not None:
        try:
            validate_password(password, User(username=username or "", email=email or ""))
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(details=errors)


@transaction.atomic
def create_user(
    *,
    tenant: Tenant,
    username: str,
    email: str,
    password: str,
    role: str = Role.VIEWER,
    first_name: str = "",
    last_name: str = "",
    actor: Any = None,
) -> User:
    if actor is not None:
        _require_manager(actor)
        if not actor.is_superuser and (tenant.pk != actor.tenant_id or role not in GRANTABLE_BY[actor.role]):
            raise PermissionDenied(_("You may not create this user."))
    if tenant is None:  # only platform superusers have no tenant, and they are not made here
        raise ValidationFailed(details={"tenant": [_("Choose the tenant this user belongs to.")]})
    _validate_identity(username=username, email=email, password=password)
    user = User(
        tenant=tenant,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_staff=True,  # operators work in the admin; permissions decide what they see
    )
    user.set_password(password)
    try:
        user.save()
    except IntegrityError as exc:
        raise Conflict(_("A user with this username or email already exists.")) from exc
    user.groups.set([Group.objects.get(name=role)])
    audit.record(
        "user.created", actor=actor, tenant=tenant, obj=user, after=audit.snapshot(user, USER_AUDIT_FIELDS)
    )
    return user


@transaction.atomic
def update_user(user: User, *, actor: Any, changes: dict[str, Any]) -> User:
    """Change profile fields and, for owners and managers, the status."""
    is_self = getattr(actor, "pk", None) == user.pk
    if not is_self:
        _require_manager(actor, user)
    allowed = {"first_name", "last_name", "email", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(details={f: [_("This field cannot be changed here.")] for f in unknown})
    if "status" in changes and changes["status"] != user.status:
        if is_self:
            raise PermissionDenied(_("You cannot change your own status."))
        if changes["status"] not in UserStatus.values:
            raise ValidationFailed(details={"status": [_("Not a valid status.")]})
        if changes["status"] != UserStatus.ACTIVE:
            _ensure_other_owner_remains(user)
    if "email" in changes:
        _validate_identity(username=None, email=changes["email"], password=None, exclude_pk=user.pk)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = audit.snapshot(user, USER_AUDIT_FIELDS)
    for field, value in changes.items():
        setattr(user, field, value)
    user.save()
    after = audit.snapshot(user, USER_AUDIT_FIELDS)
    if before != after:
        audit.record("user.updated", actor=actor, obj=user, before=before, after=after)
    if user.status != UserStatus.ACTIVE:
        revoke_user_tokens(user)
    return user


@transaction.atomic
def set_user_access(
    user: User, *, actor: Any, role: str | None = None, permissions: list[str] | None = None
) -> User:
    """Set a user's role and/or extra permissions ("app_label.codename")."""
    _require_manager(actor, user)
    if getattr(actor, "pk", None) == user.pk and not actor.is_superuser:
        raise PermissionDenied(_("You cannot change your own role or permissions."))
    errors: dict[str, list[str]] = {}
    if role is not None:
        if role not in Role.values:
            errors["role"] = [_("Not a valid role.")]
        elif not actor.is_superuser and role not in GRANTABLE_BY[actor.role]:
            errors["role"] = [_("You may not grant this role.")]
    chosen: list[Permission] = []
    if permissions is not None:
        by_label = {f"{p.content_type.app_label}.{p.codename}": p for p in assignable_permissions()}
        unknown = [label for label in permissions if label not in by_label]
        if unknown:
            errors["permissions"] = [
                _("Unknown permission: %(label)s") % {"label": label} for label in unknown
            ]
        else:
            chosen = [by_label[label] for label in permissions]
            if not actor.is_superuser:
                denied = [label for label in permissions if not actor.has_perm(label)]
                if denied:
                    errors["permissions"] = [
                        _("You cannot grant a permission you do not have: %(label)s") % {"label": label}
                        for label in denied
                    ]
    if errors:
        raise ValidationFailed(details=errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"role": user.role, "permissions": sorted(_extra_permission_labels(user))}
    if role is not None and role != user.role:
        if user.role == Role.OWNER:
            _ensure_other_owner_remains(user)
        user.role = role
        user.save(update_fields=["role"])
        user.groups.set([Group.objects.get(name=role)])
    if permissions is not None:
        user.user_permissions.set(chosen)
    after = {"role": user.role, "permissions": sorted(_extra_permission_labels(user))}
    if before != after:
        audit.record("user.access_changed", actor=actor, obj=user, before=before, after=after)
    return user


def _extra_permission_labels(user: User) -> list[str]:
    return [
        f"{app}.{codename}"
        for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
    ]


def extra_permission_labels(user: User) -> list[str]:
    return sorted(_extra_permission_labels(user))


# --- Logging in and out ------------------------------------------------------


def _resolve_username(identifier: str) -> str:
    if "@" in identifier:
        username = User.objects.filter(email__iexact=identifier).values_list("username", flat=True).first()
        return username or identifier
    return identifier


def login(request: HttpRequest, *, identifier: str, password: str, otp_code: str | None = None) -> User:
    """Check a username-or-email and password through the same backends (and lockout)
    as the admin, then the two-factor code when the user has it on. Raises
    AuthenticationFailed, AccountLocked, or two_factor's OtpRequired, OtpInvalid and
    TwoFactorSetupRequired."""
    from accounts.services import two_factor

    username = _resolve_username(identifier.strip())
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise AccountLocked(_("Too many failed login attempts. This account is locked for now."))
    if user is None:
        raise AuthenticationFailed(_("Unable to log in with the provided credentials."))
    two_factor.check_login_code(request, user, otp_code)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


def record_login(user: User) -> None:
    audit.record("auth.login", actor=user, obj=user)


def record_failed_login(username: str, *, two_factor: bool = False) -> None:
    """A wrong password, or (two_factor) a wrong code after the right password."""
    user = User.objects.filter(username=username).only("pk", "tenant_id", "username").first()
    audit.record(
        "auth.two_factor_failed" if two_factor else "auth.login_failed",
        tenant=user.tenant_id if user else None,
        obj=user,
        actor_label=username[:200],
    )


def record_lockout(username: str) -> None:
    """One audit row per lockout: further attempts while locked do not add rows."""
    from meschain.models import AuditLog

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    label = (username or "")[:200]
    if AuditLog.objects.filter(action="auth.locked_out", actor_label=label, created_at__gte=since).exists():
        return
    user = User.objects.filter(username=username).only("pk", "tenant_id", "username").first()
    audit.record(
        "auth.locked_out",
        tenant=user.tenant_id if user else None,
        obj=user,
        actor_label=(username or "")[:200],
    )


@transaction.atomic
def rotate_refresh_token(refresh_token: str) -> dict[str, str]:
    """Exchange a refresh token for a new access and refresh token. The old one is
    blacklisted in the same transaction, under a row lock, so it works exactly once even
    when two requests present it at the same moment. Refused for a user who is no longer
    active or whose tenant is deactivated. Raises AuthenticationFailed."""
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken
    from rest_framework_simplejwt.utils import datetime_from_epoch

    invalid = _("Refresh token is invalid, expired or revoked.")
    try:
        token = RefreshToken(refresh_token)  # signature, expiry, type, not blacklisted
    except TokenError as exc:
        raise AuthenticationFailed(invalid) from exc
    user = User.objects.select_related("tenant").filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise AuthenticationFailed(invalid)
    if not user.is_superuser and (user.tenant is None or not user.tenant.is_active):
        raise AuthenticationFailed(invalid)
    outstanding, _created = OutstandingToken.objects.select_for_update().get_or_create(
        jti=token[api_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": refresh_token,
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise AuthenticationFailed(invalid)  # used by a concurrent request a moment ago
    BlacklistedToken.objects.create(token=outstanding)
    fresh = RefreshToken.for_user(user)
    return {"access": str(fresh.access_token), "refresh": str(fresh)}


def logout(*, refresh_token: str, actor: User) -> None:
    """Revoke a refresh token so it can no longer be used."""
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import RefreshToken

    try:
        token = RefreshToken(refresh_token)
    except TokenError as exc:
        raise ValidationFailed(details={"refresh": [_("Token is invalid or expired.")]}) from exc
    if str(token.payload.get("user_id")) != str(actor.pk):
        raise ValidationFailed(details={"refresh": [_("Token is invalid or expired.")]})
    token.blacklist()
    audit.record("auth.logout", actor=actor, obj=actor)


def revoke_user_tokens(user: User) -> int:
    """Blacklist every outstanding refresh token of a user (suspension, deletion)."""
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(outstanding)


# --- API keys ----------------------------------------------------------------


def _hash_key(full_key: str) -> str:
    return salted_hmac("meschain.api-key", full_key, algorithm="sha256").hexdigest()


@transaction.atomic
def create_api_key(
    *,
    tenant: Tenant,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    actor: Any = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full secret, which is never shown again."""
    if actor is not None:
        _require_manager(actor)
        if not actor.is_superuser and actor.tenant_id != tenant.pk:
            raise PermissionDenied(_("You may not create keys for another tenant."))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("This field may not be blank.")]
    bad = [s for s in scopes if s not in API_KEY_SCOPES]
    if bad or not scopes:
        errors["scopes"] = [_("Choose one or more of: %(scopes)s") % {"scopes": ", ".join(API_KEY_SCOPES)}]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationFailed(details=errors)
    prefix = secrets.token_hex(4)
    full_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip(),
        prefix=prefix,
        hashed_secret=_hash_key(full_key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=actor if isinstance(actor, User) else None,
    )
    audit.record(
        "api_key.created",
        actor=actor,
        tenant=tenant,
        obj=key,
        after={"name": key.name, "prefix": prefix, "scopes": key.scopes, "expires_at": str(expires_at or "")},
    )
    return key, full_key


@transaction.atomic
def revoke_api_key(key: ApiKey, *, actor: Any) -> ApiKey:
    _require_manager(actor)
    if not actor.is_superuser and actor.tenant_id != key.tenant_id:
        raise NotFound(_("No API key with this id."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record("api_key.revoked", actor=actor, obj=key)
        # now, and again after commit (a request may re-cache the old row in between)
        cache_name = _key_cache_name(key.prefix)
        cache.delete(cache_name)
        transaction.on_commit(lambda: cache.delete(cache_name))
    return key


def _key_cache_name(prefix: str) -> str:
    return f"apikey:{prefix}"


def authenticate_api_key(full_key: str) -> ApiKey | None:
    """The usable key matching `full_key`, or None. The row (with its tenant) is cached
    for API_KEY_CACHE_SECONDS — revoking drops it at once — so a storefront's requests
    usually cost no query; the hash is a fast keyed HMAC, never a password hash."""
    if not full_key.startswith(API_KEY_PREFIX):
        return None
    prefix, _sep, _secret = full_key[len(API_KEY_PREFIX) :].partition("_")
    cache_name = _key_cache_name(prefix)
    key = cache.get(cache_name)
    if key is None:
        key = ApiKey.objects.select_related("tenant").filter(prefix=prefix).first()
        if key is None:
            return None
        cache.set(cache_name, key, timeout=settings.API_KEY_CACHE_SECONDS)
    if not constant_time_compare(key.hashed_secret, _hash_key(full_key)):
        return None
    if not key.is_usable or not key.tenant.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        cache.set(cache_name, key, timeout=settings.API_KEY_CACHE_SECONDS)
    return key
