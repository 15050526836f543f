"""Marketplace accounts (credentials write-only), listings, category mappings, sync jobs.

The sync buttons, actions and live progress are in marketplaces/admin_views.py.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from marketplaces import services
from marketplaces.admin_categories import CATEGORY_CSS, CATEGORY_JS, CategorySearchMixin
from marketplaces.admin_views import (
    PROGRESS_JS,
    AccountSyncMixin,
    ListingRetryMixin,
    SyncJobLiveMixin,
    badge,
)
from marketplaces.models import CategoryMapping, Listing, MarketplaceAccount, SyncJob
from meschain.admin import TenantScopedAdmin, scoped_related_queryset
from meschain.errors import DomainError
from meschain.tenancy import sees_all_tenants

ADMIN_CSS = {"all": ["marketplaces/admin.css"]}

#: every credential key of every marketplace, each with the marketplaces that use it
CREDENTIAL_KEYS: dict[str, list[str]] = {}
#: every credential key with the codes of the marketplaces that use it
CREDENTIAL_CODES: dict[str, list[str]] = {}
for _spec in services.MARKETPLACES.values():
    for _key in (*_spec.credential_fields, *_spec.optional_credential_fields):
        CREDENTIAL_KEYS.setdefault(_key, []).append(str(_spec.label))
        CREDENTIAL_CODES.setdefault(_key, []).append(_spec.code)


def _credential_field_name(key: str) -> str:
    return f"credential_{key}"


def _credential_input(key: str, used_by: list[str]) -> forms.CharField:
    return forms.CharField(
        label=key,
        required=False,
        max_length=services.MAX_CREDENTIAL_LENGTH,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False,
            # the add form shows only the keys of the chosen marketplace (account_form.js)
            attrs={"autocomplete": "new-password", "data-marketplaces": " ".join(CREDENTIAL_CODES[key])},
        ),
        help_text=format_lazy(_("Used by: {marketplaces}."), marketplaces=", ".join(used_by)),
    )


class _AccountFormBase(forms.ModelForm):
    """Credentials are typed into password inputs that never render a value back; on a
    change, an empty input keeps the stored value."""

    base_url = forms.URLField(
        label=_("API base URL"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("Empty: the marketplace's production address."),
    )

    class Meta:
        model = MarketplaceAccount
        fields = ["tenant", "marketplace", "name", "seller_id", "base_url", "settings", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "seller_id" in self.fields:
            self.fields["seller_id"].required = False
            self.fields["seller_id"].help_text = _(
                "Empty: taken from the credentials where the marketplace has one."
            )
        if self.instance.pk and "marketplace" in self.fields:
            self.fields["marketplace"].disabled = True

    def credentials_entered(self) -> dict[str, str]:
        return {
            key: self.cleaned_data[_credential_field_name(key)]
            for key in CREDENTIAL_KEYS
            if self.cleaned_data.get(_credential_field_name(key))
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        marketplace = data.get("marketplace") or self.instance.marketplace
        if not marketplace:
            return data
        spec = services.MARKETPLACES[marketplace]
        entered = self.credentials_entered()
        seller_id = (data.get("seller_id") or "").strip()
        if spec.seller_id_field and seller_id and spec.seller_id_field not in entered:
            existing = self.instance.credential_values if self.instance.pk else {}
            if not self.instance.pk or seller_id != existing.get(spec.seller_id_field):
                entered[spec.seller_id_field] = seller_id
        try:
            services.validate_credentials(
                marketplace, entered, existing=self.instance.credential_values if self.instance.pk else None
            )
            if data.get("settings") is not None:
                services.validate_settings(data["settings"])
        except DomainError as exc:
            for field, messages in exc.details.items():
                self.add_error(field if field in self.fields else None, messages)
        if not spec.seller_id_field and not seller_id and not self.instance.pk:
            self.add_error("seller_id", _("This marketplace needs the seller id."))
        self._credentials = entered
        return data


MarketplaceAccountForm = type(
    "MarketplaceAccountForm",
    (_AccountFormBase,),
    {
        "__module__": __name__,
        **{
            _credential_field_name(key): _credential_input(key, used_by)
            for key, used_by in CREDENTIAL_KEYS.items()
        },
    },
)


@admin.register(MarketplaceAccount)
class MarketplaceAccountAdmin(AccountSyncMixin, TenantScopedAdmin):
    form = MarketplaceAccountForm
    list_display = [
        "name",
        "marketplace",
        "seller_id",
        "is_active",
        "credentials_state",
        "last_sync",
        "listings_in_error_link",
    ]
    list_filter = ["marketplace", "is_active"]
    search_fields = ["name", "seller_id"]
    readonly_fields = [
        "credentials_state", "last_catalog_sync_at", "last_stock_price_sync_at", "last_orders_sync_at",
        "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (
            None,
            {"fields": ["tenant", "marketplace", "name", "seller_id", "base_url", "settings", "is_active"]},
        ),
        (
            _("Credentials (write-only)"),
            {
                "fields": ["credentials_state", *[_credential_field_name(k) for k in CREDENTIAL_KEYS]],
                "description": _(
                    "Fill in the keys your marketplace needs. They are stored encrypted and never shown "
                    "again; on a change, leave a key empty to keep it."
                ),
            },
        ),
        (_("Sync"), {"fields": readonly_fields[1:]}),
    ]

    class Media:
        css = ADMIN_CSS
        js = ["marketplaces/account_form.js"]

    def get_fieldsets(self, request: HttpRequest, obj: MarketplaceAccount | None = None) -> list:
        """An existing account shows only its marketplace's credential keys."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.marketplace:
            return fieldsets
        spec = services.MARKETPLACES[obj.marketplace]
        keys = [*spec.credential_fields, *spec.optional_credential_fields]
        name, options = fieldsets[1]
        fields = ["credentials_state", *[_credential_field_name(k) for k in keys]]
        return [fieldsets[0], (name, {**options, "fields": fields}), *fieldsets[2:]]

    @admin.display(description=_("credentials"))
    def credentials_state(self, account: MarketplaceAccount) -> str:
        if account.pk and account.credentials_configured:
            return _("Configured: %(keys)s") % {"keys": ", ".join(sorted(account.credential_values))}
        return _("Not configured")

    def save_model(self, request: HttpRequest, obj: MarketplaceAccount, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in ("name", "base_url", "settings", "is_active") if f in data}
            spec = services.MARKETPLACES[obj.marketplace]
            if data.get("seller_id") and not spec.seller_id_field:
                changes["seller_id"] = data["seller_id"]
            if form._credentials:
                changes["credentials"] = form._credentials
            services.update_account(obj, actor=request.user, changes=changes)
            return
        tenant = data["tenant"] if sees_all_tenants(request.user) else request.user.tenant
        account = services.connect_account(
            tenant=tenant,
            marketplace=data["marketplace"],
            name=data["name"],
            seller_id=data.get("seller_id") or "",
            base_url=data.get("base_url") or "",
            settings=data.get("settings") or {},
            credentials=form._credentials,
            actor=request.user,
        )
        obj.pk = account.pk

    def delete_model(self, request: HttpRequest, obj: MarketplaceAccount) -> None:
        services.delete_account(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for account in queryset:
            services.delete_account(account, actor=request.user)


class AccountListFilter(admin.SimpleListFilter):
    """The accounts of the user's tenant only (a plain FK filter would list every tenant's)."""

    title = _("account")
    parameter_name = "account"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, Any]]:
        accounts = scoped_related_queryset(MarketplaceAccount, request)
        if accounts is None:
            accounts = MarketplaceAccount.objects.all()
        return [(str(a.pk), str(a)) for a in accounts.order_by("name", "id")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(account_id=value) if value and value.isdigit() else queryset


class HasErrorFilter(admin.SimpleListFilter):
    title = _("error")
    parameter_name = "has_error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("With an error")), ("no", _("Without an error"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


@admin.register(Listing)
class ListingAdmin(ListingRetryMixin, TenantScopedAdmin):
    list_display = [
        "variant",
        "account",
        "status_badge",
        "external_barcode",
        "pushed_quantity",
        "pushed_price",
        "last_synced_at",
        "next_attempt_at",
        "error_excerpt",
    ]
    list_filter = ["status", HasErrorFilter, "account__marketplace", AccountListFilter]
    search_fields = ["variant__sku", "external_barcode", "external_product_id"]
    list_select_related = ["variant", "account"]
    readonly_fields = [
        "account", "variant", "status_badge", "external_product_id", "external_barcode", "external_content_id",
        "pushed_quantity", "pushed_price", "last_error", "last_synced_at", "retry_count", "next_attempt_at",
        "payload_hash", "created_at", "updated_at",
    ]  # fmt: skip
    fields = readonly_fields

    class Media:
        css = ADMIN_CSS

    @admin.display(description=_("sync status"), ordering="status")
    def status_badge(self, listing: Listing) -> str:
        return badge(listing.status, listing.get_status_display())

    @admin.display(description=_("last error"))
    def error_excerpt(self, listing: Listing) -> str:
        if not listing.last_error:
            return ""
        return format_html(
            '<span class="mp-error" title="{}">{}</span>', listing.last_error, listing.last_error[:120]
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # listings are made by syncs

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CategoryMapping)
class CategoryMappingAdmin(CategorySearchMixin, TenantScopedAdmin):
    list_display = ["category", "account", "marketplace_category_id", "marketplace_category_name"]
    list_filter = [AccountListFilter]
    search_fields = ["category__name", "marketplace_category_id", "marketplace_category_name"]
    list_select_related = ["category", "account"]
    fields = [
        "tenant",
        "account",
        "category",
        "marketplace_category_id",
        "marketplace_category_name",
        "attribute_values",
    ]

    class Media:
        css = {"all": [*ADMIN_CSS["all"], CATEGORY_CSS]}
        js = [CATEGORY_JS]

    def save_model(self, request: HttpRequest, obj: CategoryMapping, form: Any, change: bool) -> None:
        if sees_all_tenants(request.user):
            obj.tenant_id = obj.account.tenant_id
        super().save_model(request, obj, form, change)


@admin.register(SyncJob)
class SyncJobAdmin(SyncJobLiveMixin, TenantScopedAdmin):
    list_display = [
        "id",
        "account",
        "kind",
        "state_badge",
        "progress",
        "failed",
        "started_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state", "kind", AccountListFilter]
    list_select_related = ["account"]
    readonly_fields = [
        "account", "kind", "state_badge", "progress", "live_stage", "live_message", "live_total", "live_done",
        "live_failed", "live_requests", "started_by", "created_at", "started_at", "heartbeat_at", "finished_at",
        "runs", "worker", "errors",
    ]  # fmt: skip
    fields = readonly_fields

    class Media:
        css = ADMIN_CSS
        js = [PROGRESS_JS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are requested through the API, the account page or a command

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
