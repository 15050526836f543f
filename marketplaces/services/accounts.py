"""Marketplace accounts: the supported marketplaces, validation and the account rules.

Credentials are a JSON object of strings, validated per marketplace, stored encrypted
(meschain.fields.EncryptedTextField) and never returned, logged or audited: audit rows
name the credential keys that changed, never their values.
"""

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplaces.models import (
    ACTIVE_SYNC_STATES,
    Marketplace,
    MarketplaceAccount,
    SyncKind,
)
from meschain import audit
from meschain.errors import Conflict, NotFound, ValidationFailed
from meschain.tenancy import scope

logger = logging.getLogger(__name__)

ACCOUNT_AUDIT_FIELDS = ["marketplace", "name", "seller_id", "base_url", "settings", "is_active"]
MAX_CREDENTIAL_LENGTH = 1000
DEFAULT_SETTINGS = {"markup_percent": 0, "stock_buffer": 0}


@dataclass(frozen=True)
class MarketplaceSpec:
    code: str
    label: Any
    default_base_url: str
    credential_fields: tuple[str, ...]
    optional_credential_fields: tuple[str, ...] = ()
    #: the credential that is also the account's seller id (kept in step), if any
    seller_id_field: str | None = None
    notes: Any = field(default="")


MARKETPLACES: dict[str, MarketplaceSpec] = {
    spec.code: spec
    for spec in (
        MarketplaceSpec(
            Marketplace.TRENDYOL, Marketplace.TRENDYOL.label, "https://apigw.trendyol.com/integration",
            ("seller_id", "api_key", "api_secret"), seller_id_field="seller_id",
            notes=gettext_lazy("Seller panel: Account information → Integration information."),
        ),
        MarketplaceSpec(
            Marketplace.HEPSIBURADA, Marketplace.HEPSIBURADA.label, "https://listing-external.hepsiburada.com",
            ("merchant_id", "service_key"), ("username", "user_agent"), seller_id_field="merchant_id",
            notes=gettext_lazy("The merchant id (GUID) and the service key from the merchant panel."),
        ),
        MarketplaceSpec(
            Marketplace.N11, Marketplace.N11.label, "https://api.n11.com",
            ("app_key", "app_secret"),
            notes=gettext_lazy("The API key and secret from the seller office."),
        ),
        MarketplaceSpec(
            Marketplace.AMAZON, Marketplace.AMAZON.label, "https://sellingpartnerapi-eu.amazon.com",
            ("seller_id", "client_id", "client_secret", "refresh_token"), ("marketplace_id",),
            seller_id_field="seller_id",
            notes=gettext_lazy("Login with Amazon app credentials and the seller's refresh token."),
        ),
        MarketplaceSpec(
            Marketplace.OZON, Marketplace.OZON.label, "https://api-seller.ozon.ru",
            ("client_id", "api_key"), seller_id_field="client_id",
            notes=gettext_lazy("The Client-Id and API key from the seller account."),
        ),
    )
}  # fmt: skip


def spec_of(marketplace: str) -> MarketplaceSpec:
    spec = MARKETPLACES.get(marketplace)
    if spec is None:
        raise NotFound(_("No such marketplace."))
    return spec


def supported_marketplaces() -> list[dict[str, Any]]:
    """What a client needs to connect an account: codes, names and credential keys."""
    return [
        {
            "code": spec.code,
            "name": str(spec.label),
            "credential_fields": list(spec.credential_fields),
            "optional_credential_fields": list(spec.optional_credential_fields),
            "default_base_url": spec.default_base_url,
            "notes": str(spec.notes),
            "sync_kinds": list(SyncKind.values),
        }
        for spec in MARKETPLACES.values()
    ]


# --- Validation --------------------------------------------------------------------


def validate_credentials(
    marketplace: str, credentials: Any, *, existing: dict[str, str] | None = None
) -> dict[str, str]:
    """The complete credentials after applying `credentials` over `existing`. Messages
    name keys only, never values."""
    spec = spec_of(marketplace)
    if not isinstance(credentials, dict):
        raise ValidationFailed(details={"credentials": [_("Send an object of credential keys and values.")]})
    allowed = set(spec.credential_fields) | set(spec.optional_credential_fields)
    errors: list[str] = []
    merged = dict(existing or {})
    for key, value in credentials.items():
        if key not in allowed:
            errors.append(_("Unknown credential %(key)s for this marketplace.") % {"key": str(key)[:50]})
        elif not isinstance(value, str) or not value.strip():
            errors.append(_("%(key)s must be a non-empty string.") % {"key": key})
        elif len(value) > MAX_CREDENTIAL_LENGTH or "\x00" in value:
            errors.append(_("%(key)s is too long or not text.") % {"key": key})
        else:
            merged[key] = value.strip()
    missing = [key for key in spec.credential_fields if not merged.get(key)]
    if missing:
        errors.append(_("Missing credentials: %(keys)s.") % {"keys": ", ".join(missing)})
    if errors:
        raise ValidationFailed(details={"credentials": errors})
    return merged


def _validate_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValidationFailed(details={"base_url": [_("Enter an http or https URL without a query.")]})
    return url.rstrip("/")


def validate_settings(value: Any, *, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Known keys only: markup_percent (-90 to 1000, a price rule), stock_buffer (units
    held back from the marketplace, 0 to 100,000), default_brand_id and brand_ids (our brand
    name → the marketplace's brand id), cargo_company_id, adapter_options (per-account
    protocol options of the adapter)."""
    if not isinstance(value, dict):
        raise ValidationFailed(details={"settings": [_("Send an object.")]})
    merged = {**DEFAULT_SETTINGS, **(existing or {})}
    errors: list[str] = []
    for key, item in value.items():
        if key == "markup_percent":
            try:
                markup = Decimal(str(item))
            except (InvalidOperation, ValueError):
                markup = None
            if (
                isinstance(item, bool)
                or markup is None
                or not markup.is_finite()
                or not -90 <= markup <= 1000
            ):
                errors.append(_("markup_percent must be a number from -90 to 1000."))
            else:
                merged[key] = float(markup) if markup != markup.to_integral_value() else int(markup)
        elif key == "stock_buffer":
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 100_000:
                errors.append(_("stock_buffer must be a whole number from 0 to 100000."))
            else:
                merged[key] = item
        elif key in ("default_brand_id", "cargo_company_id"):
            if item is None:
                merged.pop(key, None)
            elif isinstance(item, bool) or not isinstance(item, int) or item <= 0:
                errors.append(_("%(key)s must be a positive whole number.") % {"key": key})
            else:
                merged[key] = item
        elif key == "brand_ids":
            if (
                not isinstance(item, dict)
                or len(item) > 5000
                or not all(
                    isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
                    for k, v in item.items()
                )
            ):
                errors.append(_("brand_ids must map our brand names to marketplace brand ids."))
            else:
                merged[key] = item
        elif key == "adapter_options":
            if not isinstance(item, dict) or len(json.dumps(item)) > 4000:
                errors.append(_("adapter_options must be an object (at most 4000 characters)."))
            else:
                merged[key] = item
        else:
            errors.append(_("Unknown setting %(key)s.") % {"key": str(key)[:50]})
    if errors:
        raise ValidationFailed(details={"settings": errors})
    return merged


def _clean_text(value: Any, name: str, max_length: int) -> str:
    text = str(value or "").strip()
    if not text or len(text) > max_length or "\x00" in text:
        raise ValidationFailed(details={name: [_("Enter 1 to %(max)d characters.") % {"max": max_length}]})
    return text


def _snapshot(account: MarketplaceAccount) -> dict[str, Any]:
    return audit.snapshot(account, ACCOUNT_AUDIT_FIELDS)


def _save(account: MarketplaceAccount) -> None:
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This seller account is already connected."), details={"seller_id": [_("Already connected.")]}
        ) from exc


# --- Accounts ----------------------------------------------------------------------


def accounts_visible_to(actor: Any) -> QuerySet:
    return scope(MarketplaceAccount.objects.all(), actor)


@transaction.atomic
def connect_account(
    *,
    tenant: Any,
    marketplace: str,
    name: str,
    credentials: dict[str, Any],
    seller_id: str = "",
    base_url: str = "",
    settings: dict[str, Any] | None = None,
    actor: Any = None,
) -> MarketplaceAccount:
    """Connect a seller account. The seller id is taken from the credentials when the
    marketplace has one there (Trendyol's seller_id, Hepsiburada's merchant_id, …)."""
    spec = spec_of(marketplace)
    if spec.seller_id_field and seller_id and spec.seller_id_field not in credentials:
        credentials = {**credentials, spec.seller_id_field: seller_id}
    values = validate_credentials(marketplace, credentials)
    if spec.seller_id_field:
        if seller_id and seller_id.strip() != values[spec.seller_id_field]:
            raise ValidationFailed(
                details={
                    "seller_id": [_("Differs from the %(key)s credential.") % {"key": spec.seller_id_field}]
                }
            )
        seller_id = values[spec.seller_id_field]
    account = MarketplaceAccount(
        tenant=tenant,
        marketplace=marketplace,
        name=_clean_text(name, "name", 100),
        seller_id=_clean_text(seller_id, "seller_id", 100),
        credentials=json.dumps(values, sort_keys=True),
        base_url=_validate_base_url(base_url or spec.default_base_url),
        settings=validate_settings(settings or {}),
    )
    _save(account)
    audit.record(
        "marketplace.account_connected",
        actor=actor,
        obj=account,
        after={**_snapshot(account), "credential_keys": sorted(values)},
    )
    logger.info("Marketplace account %s (%s) connected", account.pk, marketplace)
    return account


@transaction.atomic
def update_account(account: MarketplaceAccount, *, actor: Any, changes: dict[str, Any]) -> MarketplaceAccount:
    """Change name, base URL, settings, active flag or credentials. Credentials given are
    merged over the stored ones (send only the keys that change)."""
    account = MarketplaceAccount.objects.select_for_update().get(pk=account.pk)
    spec = spec_of(account.marketplace)
    before = _snapshot(account)
    changed_keys: list[str] = []
    if "name" in changes:
        account.name = _clean_text(changes["name"], "name", 100)
    if "base_url" in changes:
        account.base_url = _validate_base_url(changes["base_url"] or spec.default_base_url)
    if "settings" in changes:
        account.settings = validate_settings(changes["settings"], existing=account.settings)
    if "is_active" in changes:
        account.is_active = bool(changes["is_active"])
    credentials = dict(changes.get("credentials") or {})
    if "seller_id" in changes and not spec.seller_id_field:
        account.seller_id = _clean_text(changes["seller_id"], "seller_id", 100)
    elif "seller_id" in changes:
        credentials.setdefault(spec.seller_id_field, changes["seller_id"])
    if "credentials" in changes or credentials:
        stored = account.credential_values
        values = validate_credentials(account.marketplace, credentials, existing=stored)
        changed_keys = sorted(k for k in values if values[k] != stored.get(k))
        if spec.seller_id_field:
            if "seller_id" in changes and str(changes["seller_id"]).strip() != values[spec.seller_id_field]:
                raise ValidationFailed(
                    details={
                        "seller_id": [
                            _("Differs from the %(key)s credential.") % {"key": spec.seller_id_field}
                        ]
                    }
                )
            account.seller_id = values[spec.seller_id_field]
        if changed_keys:
            account.credentials = json.dumps(values, sort_keys=True)
    _save(account)
    after = _snapshot(account)
    if before != after or changed_keys:
        audit.record(
            "marketplace.account_updated",
            actor=actor,
            obj=account,
            before=before,
            after={**after, "credential_keys_changed": changed_keys},
        )
        logger.info("Marketplace account %s updated", account.pk)
    return account


def deactivate_account(account: MarketplaceAccount, *, actor: Any) -> MarketplaceAccount:
    """Stop syncing an account; its listings and history stay."""
    return update_account(account, actor=actor, changes={"is_active": False})


@transaction.atomic
def delete_account(account: MarketplaceAccount, *, actor: Any) -> None:
    """Remove an account that has no listings and nothing queued or running."""
    if account.listings.exists():
        raise Conflict(_("This account has listings: deactivate it instead."))
    if account.sync_jobs.filter(state__in=ACTIVE_SYNC_STATES).exists():
        raise Conflict(_("A sync of this account is queued or running."))
    audit.record("marketplace.account_deleted", actor=actor, obj=account, before=_snapshot(account))
    account.delete()
