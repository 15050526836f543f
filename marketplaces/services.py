"""Marketplace accounts, sync requests, listings queries and key rotation: the rules.

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

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplaces.models import (
    ACTIVE_SYNC_STATES,
    MAX_JOB_ERRORS,
    Listing,
    ListingStatus,
    Marketplace,
    MarketplaceAccount,
    SyncJob,
    SyncKind,
)
from meschain import audit, crypto
from meschain.errors import Conflict, NotFound, ValidationFailed
from meschain.fields import EncryptedTextField
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
    """Known keys only: markup_percent (-90 to 1000, a price rule) and stock_buffer (units
    held back from the marketplace, 0 to 100,000)."""
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


# --- Sync jobs ---------------------------------------------------------------------


def request_sync(account: MarketplaceAccount, kind: str, *, actor: Any) -> SyncJob:
    """Queue a sync. A second queued or running job of the same kind for the account is a
    CONFLICT — enforced by a partial unique index, so it holds across workers."""
    if kind not in SyncKind.values:
        raise ValidationFailed(
            details={"kind": [_("Choose one of: %(kinds)s") % {"kinds": ", ".join(SyncKind.values)}]}
        )
    if not account.is_active:
        raise Conflict(_("This account is deactivated; activate it before syncing."))
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(
                tenant_id=account.tenant_id, account=account, kind=kind, started_by=audit.label_of(actor)
            )
            audit.record(
                "marketplace.sync_requested", actor=actor, obj=account, after={"job": job.pk, "kind": kind}
            )
    except IntegrityError as exc:
        running = (
            SyncJob.objects.filter(account=account, kind=kind, state__in=ACTIVE_SYNC_STATES)
            .values_list("pk", flat=True)
            .first()
        )
        raise Conflict(
            _("A sync of this kind is already queued or running for this account."),
            details={"job": [str(running)]} if running else None,
        ) from exc
    return job


def record_job_progress(
    job: SyncJob, *, done: int = 0, failed: int = 0, errors: list[dict[str, Any]] | tuple = ()
) -> SyncJob:
    """Add to a job's counts and keep the items' errors (the first MAX_JOB_ERRORS), under a
    row lock so workers reporting at once do not lose each other's counts."""
    with transaction.atomic():
        job = SyncJob.objects.select_for_update().get(pk=job.pk)
        job.done += max(done, 0)
        job.failed += max(failed, 0)
        room = MAX_JOB_ERRORS - len(job.errors)
        if room > 0 and errors:
            job.errors = [*job.errors, *list(errors)[:room]]
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["done", "failed", "errors", "heartbeat_at"])
    return job


def jobs_visible_to(actor: Any) -> QuerySet:
    return scope(SyncJob.objects.select_related("account"), actor)


# --- Listings ----------------------------------------------------------------------


def ensure_listing(account: MarketplaceAccount, variant: Any, *, actor: Any = None) -> Listing:
    """The listing of `variant` on `account`, created pending if there is none yet."""
    if variant.tenant_id != account.tenant_id:
        raise ValidationFailed(details={"variant": [_("Not found in your catalogue.")]})
    listing, _created = Listing.objects.get_or_create(
        account=account, variant=variant, defaults={"tenant_id": account.tenant_id}
    )
    return listing


def listings_visible_to(
    actor: Any,
    *,
    account_id: int | None = None,
    status: str | None = None,
    has_error: bool | None = None,
    sku: str | None = None,
) -> QuerySet:
    """The caller's listings, filtered; `sku` matches the variant's SKU exactly."""
    queryset = scope(Listing.objects.select_related("account", "variant"), actor)
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if status:
        if status not in ListingStatus.values:
            raise ValidationFailed(
                details={
                    "status": [_("Choose one of: %(values)s") % {"values": ", ".join(ListingStatus.values)}]
                }
            )
        queryset = queryset.filter(status=status)
    if has_error is True:
        queryset = queryset.exclude(last_error="")
    elif has_error is False:
        queryset = queryset.filter(last_error="")
    if sku:
        queryset = queryset.filter(variant__sku=sku)
    return queryset.order_by("id")


def account_health(accounts: list[MarketplaceAccount]) -> dict[int, dict[str, Any]]:
    """Per account: listing counts, listings in error, the last sync job and whether one is
    queued or running — in three queries whatever the number of accounts."""
    ids = [a.pk for a in accounts]
    health: dict[int, dict[str, Any]] = {
        pk: {"listings": 0, "listings_in_error": 0, "sync_active": False, "last_job": None} for pk in ids
    }
    counts = (
        Listing.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(total=Count("id"), in_error=Count("id", filter=Q(status=ListingStatus.ERROR)))
    )
    for row in counts:
        health[row["account_id"]].update(listings=row["total"], listings_in_error=row["in_error"])
    last_ids = (
        SyncJob.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    for job in SyncJob.objects.filter(pk__in=list(last_ids)):
        health[job.account_id]["last_job"] = {
            "id": job.pk,
            "kind": job.kind,
            "state": job.state,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
    for account_id in SyncJob.objects.filter(account_id__in=ids, state__in=ACTIVE_SYNC_STATES).values_list(
        "account_id", flat=True
    ):
        health[account_id]["sync_active"] = True
    return health


# --- Key rotation ------------------------------------------------------------------


def encrypted_fields() -> list[tuple[type, str]]:
    """Every (model, field name) stored with EncryptedTextField, in every installed app."""
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]


def rotate_encryption_keys(*, batch_size: int = 500) -> dict[str, dict[str, int]]:
    """Re-encrypt every encrypted value that is not under the newest key. Idempotent: a
    second run rotates nothing. Each batch commits on its own, and a row changed meanwhile
    is left alone (the UPDATE matches the ciphertext it read). Returns, per
    "app.Model.field": scanned, rotated, unreadable (values no configured key opens)."""
    newest = crypto.keys()[0][0]
    quote = connection.ops.quote_name
    results: dict[str, dict[str, int]] = {}
    for model, name in encrypted_fields():
        column = model._meta.get_field(name).column
        pk_column = model._meta.pk.column
        table = quote(model._meta.db_table)
        counts = {"scanned": 0, "rotated": 0, "unreadable": 0}
        last_pk: Any = None
        while True:
            where = f"WHERE {quote(pk_column)} > %s " if last_pk is not None else ""
            sql = (
                f"SELECT {quote(pk_column)}, {quote(column)} FROM {table} {where}"  # noqa: S608 (quoted names)
                f"ORDER BY {quote(pk_column)} LIMIT %s"
            )
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [last_pk, batch_size] if last_pk is not None else [batch_size])
                rows = cursor.fetchall()
                for pk, stored in rows:
                    counts["scanned"] += 1
                    if not stored or crypto.key_id_of(stored) == newest:
                        continue
                    try:
                        plain = crypto.decrypt(stored)
                    except crypto.DecryptionError:
                        counts["unreadable"] += 1
                        logger.error(
                            "%s %s: value not readable with any configured key", model._meta.label, pk
                        )
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {quote(column)} = %s "  # noqa: S608 (quoted names)
                        f"WHERE {quote(pk_column)} = %s AND {quote(column)} = %s",
                        [crypto.encrypt(plain), pk, stored],
                    )
                    counts["rotated"] += cursor.rowcount
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        results[f"{model._meta.label}.{name}"] = counts
        logger.info("Key rotation %s.%s: %s", model._meta.label, name, counts)
    return results
