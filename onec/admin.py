import io
import zipfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from meschain.admin import TenantScopedAdmin
from onec.models import ExchangeSession, OneCExchange


class OneCExchangeForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored hashed. Leave empty to keep the current password."),
    )

    class Meta:
        model = OneCExchange
        fields = ["tenant", "name", "username", "is_active", "catalog_enabled", "orders_enabled", "price_type",
                  "warehouse_map", "missing_products", "publish_new_products", "reply_encoding", "status_map"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.instance.pk and not data.get("new_password"):
            self.add_error("new_password", _("Set a password for the new account."))
        return data


@admin.register(OneCExchange)
class OneCExchangeAdmin(TenantScopedAdmin):
    form = OneCExchangeForm
    list_display = ["name", "username", "is_active", "catalog_enabled", "orders_enabled", "orders_confirmed_at"]
    readonly_fields = ["orders_confirmed_at", "created_at"]
    search_fields = ["name", "username"]

    def save_model(self, request: HttpRequest, obj: OneCExchange, form: Any, change: bool) -> None:
        if form.cleaned_data.get("new_password"):
            obj.set_password(form.cleaned_data["new_password"])
        super().save_model(request, obj, form, change)


@admin.register(ExchangeSession)
class ExchangeSessionAdmin(TenantScopedAdmin):
    list_display = ["__str__", "account", "kind", "state", "started_at", "duration_seconds", "steps", "error_count"]
    list_filter = ["kind", "state"]
    readonly_fields = ["account", "kind", "state", "files", "progress", "counts", "errors", "steps",
                       "remote_addr", "query_time", "started_at", "updated_at", "finished_at", "files_purged_at",
                       "download"]  # fmt: skip
    exclude = ["token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("duration (s)"))
    def duration_seconds(self, obj: ExchangeSession) -> str:
        return f"{obj.duration:.1f}" if obj.duration is not None else "—"

    @admin.display(description=_("errors"))
    def error_count(self, obj: ExchangeSession) -> int:
        return len(obj.errors or [])

    @admin.display(description=_("received files"))
    def download(self, obj: ExchangeSession) -> str:
        if not obj.files:
            return "—"
        if obj.files_purged_at:
            return _("The files were deleted on %(date)s after the retention period; only their names are kept.") % {
                "date": date_format(localtime(obj.files_purged_at), "DATETIME_FORMAT")}  # fmt: skip
        url = reverse("admin:onec_exchangesession_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download what was received (zip)"))

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/", download, name="onec_exchangesession_download"), *super().get_urls()]

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_queryset(request).filter(pk=pk).first()
        if session is None or not self.has_view_permission(request, session):
            raise Http404
        if session.files_purged_at:
            messages.warning(request, self.download(session))
            return redirect("admin:onec_exchangesession_change", session.pk)
        folder = Path(session.folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(session.files):
                if (folder / name).is_file():
                    archive.write(folder / name, name)
        buffer.seek(0)
        return FileResponse(buffer, as_attachment=True, filename=f"1c-exchange-{session.pk}.zip")
