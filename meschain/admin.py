"""Admin site branding, the tenant-scoped ModelAdmin base, and the audit log."""

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from meschain.errors import DomainError
from meschain.models import AuditLog
from meschain.tenancy import scope, sees_all_tenants

admin.site.site_header = _("MesChain Back Office")
admin.site.site_title = _("MesChain Back Office")
admin.site.index_title = _("Dashboard")


def _tenant_field_of(model: type[models.Model]) -> str | None:
    try:
        model._meta.get_field("tenant")
    except Exception:
        return None
    return "tenant"


def scoped_related_queryset(model: type[models.Model], request: HttpRequest) -> QuerySet | None:
    """What a form may offer for a foreign key to `model`: the user's tenant's rows."""
    from accounts.models import Tenant

    if sees_all_tenants(request.user):
        return None
    if model is Tenant:
        return Tenant.objects.filter(pk=getattr(request.user, "tenant_id", None))
    field = _tenant_field_of(model)
    if field is None:
        return None
    return scope(model._default_manager.all(), request.user, field)


def _without(fields: Any, name: str) -> list:
    """Admin `fields` (names, or tuples of names shown on one line) without `name`."""
    kept: list = []
    for item in fields:
        if isinstance(item, (list, tuple)):
            row = tuple(f for f in item if f != name)
            if row:
                kept.append(row)
        elif item != name:
            kept.append(item)
    return kept


def _detail_lines(details: Any, prefix: str = "") -> list[str]:
    """Readable lines from an error's details: a field's messages as they are, nested ones
    behind their path ({"variants": {"0": {"sku": ["…"]}}} → "variants #1 sku: …")."""
    if isinstance(details, dict):
        lines = []
        for key, value in details.items():
            label = f"#{int(key) + 1}" if str(key).isdigit() else str(key)
            if not prefix and isinstance(value, (list, tuple)):
                lines.extend(_detail_lines(value))  # a field's own messages
            else:
                lines.extend(_detail_lines(value, f"{prefix} {label}".strip()))
        return lines
    if isinstance(details, (list, tuple)):
        return [line for item in details for line in _detail_lines(item, prefix)]
    return [f"{prefix}: {details}" if prefix else str(details)]


def report_domain_error(request: HttpRequest, exc: DomainError) -> None:
    """A service's refusal as admin messages: its message, then one line per detail."""
    messages.error(request, str(exc.message))
    for line in _detail_lines(exc.details):
        messages.error(request, line)


class TenantScopedFormFieldsMixin:
    """Foreign keys and many-to-many choices limited to the user's tenant."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        queryset = scoped_related_queryset(db_field.remote_field.model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        queryset = scoped_related_queryset(db_field.remote_field.model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TenantScopedAdmin(TenantScopedFormFieldsMixin, admin.ModelAdmin):
    """Non-superusers see, pick and save only their own tenant's rows; the tenant is
    set on save and never shown to them. Domain errors from services become messages."""

    tenant_field = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope(super().get_queryset(request), request.user, self.tenant_field)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if not sees_all_tenants(request.user) and self.tenant_field == "tenant":
            exclude.append("tenant")
        return exclude

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if sees_all_tenants(request.user) or self.tenant_field != "tenant":
            return fieldsets
        # The form excludes the tenant (get_exclude); declared fields must not ask for it.
        return [(name, {**options, "fields": _without(options["fields"], "tenant")}) for name, options in fieldsets]

    def get_list_display(self, request: HttpRequest) -> Any:
        display = list(super().get_list_display(request))
        if sees_all_tenants(request.user) and self.tenant_field == "tenant" and "tenant" not in display:
            display.append("tenant")
        return display

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        if sees_all_tenants(request.user) and self.tenant_field == "tenant":
            filters.append("tenant")
        return filters

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not sees_all_tenants(request.user) and self.tenant_field == "tenant":
            obj.tenant_id = request.user.tenant_id
        super().save_model(request, obj, form, change)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as exc:
            report_domain_error(request, exc)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(AuditLog)
class AuditLogAdmin(TenantScopedAdmin):
    list_display = [
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
        "request_id",
    ]
    # actor: only the people who appear in the rows this user may see
    list_filter = [
        "action",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "object_type",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["actor_label", "object_repr", "object_id", "request_id", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
