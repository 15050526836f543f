"""Two-factor authentication: an authenticator app (TOTP, django-otp) and ten one-time
recovery codes (django-otp's static device), for the admin and the API login alike.

A user has two-factor authentication on when they have a confirmed TOTP device. A
failed code counts as a failed login (axes: the same lockout as wrong passwords) and
is audited.
"""

import base64
import re
from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, Tenant, User
from meschain import audit
from meschain.errors import Conflict, DomainError, ErrorCode, PermissionDenied

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"
_NOT_CODE = re.compile(r"[\s-]+")
#: session entry set at login for a user whose tenant requires two-factor and who has
#: no device yet: every admin page sends them to the setup page until it is cleared
ENROL_SESSION_KEY = "_mc_2fa_enrol"


class OtpRequired(DomainError):
    code = ErrorCode.OTP_REQUIRED
    default_message = _("Two-factor authentication is on: give the code from your authenticator app.")


class OtpInvalid(DomainError):
    code = ErrorCode.OTP_INVALID
    default_message = _("The code is not valid.")


class TwoFactorSetupRequired(DomainError):
    code = ErrorCode.TWO_FACTOR_SETUP_REQUIRED
    default_message = _(
        "Your organisation requires two-factor authentication: set it up in the admin first."
    )


# --- State -------------------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enabled(user: Any) -> bool:
    if not isinstance(user, User) or user.pk is None:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: User) -> bool:
    """The user's tenant requires two-factor authentication."""
    if user.tenant_id is None:
        return False
    return Tenant.objects.filter(pk=user.tenant_id, require_two_factor=True).exists()


def must_enrol(user: User) -> bool:
    return is_required(user) and not is_enabled(user)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Enrolment ---------------------------------------------------------------


def pending_device(user: User) -> TOTPDevice:
    """The device being set up (not yet confirmed), created on first call. Its secret
    stays the same until it is confirmed, so a reload shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, an SVG image in a data: URI (the CSP allows
    data: images; no inline script or style)."""
    import qrcode
    from qrcode.image.svg import SvgPathFillImage

    image = qrcode.make(device.config_url, image_factory=SvgPathFillImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return sorted(codes)


@transaction.atomic
def confirm_enrolment(user: User, code: str) -> list[str]:
    """Confirm the device being set up with a code from the app. Returns the new recovery
    codes (shown once). Raises OtpInvalid."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token(_normalise(code)):
        raise OtpInvalid()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record("user.two_factor_enabled", actor=user, obj=user)
    return codes


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), confirmed with a current code.
    The code is checked outside the transaction: a wrong one's back-off stays."""
    if verify(user, code) is None:
        raise OtpInvalid()
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record("user.recovery_codes_regenerated", actor=user, obj=user)
    return codes


def disable(user: User, *, actor: Any, code: str | None = None) -> None:
    """Turn two-factor authentication off: by the user with a current code (not while the
    tenant requires it), or by an owner or manager of the tenant for a user who lost the
    device (the user is sent to set it up again at the next login where required)."""
    from accounts.services import can_manage_users

    is_self = getattr(actor, "pk", None) == user.pk
    if is_self:
        if is_required(user):
            raise PermissionDenied(_("Your organisation requires two-factor authentication."))
        if verify(user, code or "") is None:
            raise OtpInvalid()
    elif not can_manage_users(actor, user):
        raise PermissionDenied(_("Only an owner or a manager of this tenant may do this."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record("user.two_factor_disabled", actor=actor, obj=user)


# --- Checking codes ----------------------------------------------------------


def _normalise(code: str) -> str:
    return _NOT_CODE.sub("", str(code or "")).lower()[:32]


def verify(user: User, code: str) -> str | None:
    """"totp" or "recovery" when `code` is a current app code or an unused recovery code
    of the user (a recovery code is used up), None otherwise. A code is accepted once:
    the device row is locked while it is checked."""
    code = _normalise(code)
    if not code or not isinstance(user, User):
        return None
    with transaction.atomic():
        if code.isdigit() and len(code) == 6:  # recovery codes have 8 characters
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            return "totp" if device is not None and device.verify_token(code) else None
        # Wrong recovery codes are held back by the login lockout (each is a failed
        # login), not by the device's own back-off, which would refuse a right code
        # typed a second after a wrong one.
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return None
        # One DELETE: of two requests with the same code, only one removes the row.
        used, _rows = StaticToken.objects.filter(device=device, token=code).delete()
        if not used:
            return None
        device.set_last_used_timestamp()
        remaining = StaticToken.objects.filter(device=device).count()
    audit.record("user.recovery_code_used", actor=user, obj=user, after={"remaining": remaining})
    return "recovery"


def record_failed_code(request: HttpRequest, user: User) -> bool:
    """A wrong code counts as a failed login of the user (lockout, audit). Returns True
    when this failure locked the account."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username(), "two_factor": True}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def check_login_code(request: HttpRequest, user: User, code: str | None) -> None:
    """For a password-checked API login: nothing when no code is needed or `code` is
    right; raises OtpRequired, OtpInvalid (a failed login), AccountLocked or
    TwoFactorSetupRequired."""
    if not is_enabled(user):
        if is_required(user):
            raise TwoFactorSetupRequired()
        return
    if not code:
        raise OtpRequired()
    if verify(user, code) is None:
        if record_failed_code(request, user):
            from accounts.services import AccountLocked

            raise AccountLocked(_("Too many failed login attempts. This account is locked for now."))
        raise OtpInvalid()


# --- The tenant's requirement ---------------------------------------------------


@transaction.atomic
def set_tenant_requirement(tenant: Tenant, *, required: bool, actor: Any) -> Tenant:
    """An owner (or a platform superuser) requires two-factor authentication for all the
    tenant's users. An owner turns it on for themselves first."""
    if not getattr(actor, "is_superuser", False):
        if getattr(actor, "tenant_id", None) != tenant.pk or getattr(actor, "role", None) != Role.OWNER:
            raise PermissionDenied(_("Only an owner of this tenant may do this."))
        if required and not is_enabled(actor):
            raise Conflict(_("Turn on two-factor authentication for yourself first."))
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.require_two_factor != required:
        before = {"require_two_factor": tenant.require_two_factor}
        tenant.require_two_factor = required
        tenant.save(update_fields=["require_two_factor"])
        audit.record(
            "tenant.two_factor_requirement_changed",
            actor=actor,
            tenant=tenant,
            obj=tenant,
            before=before,
            after={"require_two_factor": required},
        )
    return tenant
