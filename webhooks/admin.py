from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meschain.admin import TenantScopedAdmin
from meschain.tenancy import sees_all_tenants
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"),
        choices=[(t, t) for t in services.SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "description", "event_types", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "is_active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at", "updated_at"]
    actions = ["send_test_delivery"]

    @admin.action(description=_("Send a test delivery"), permissions=["change"])
    def send_test_delivery(self, request: HttpRequest, queryset: QuerySet) -> None:
        endpoints = list(queryset)
        for endpoint in endpoints:
            services.send_test(endpoint, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "A test delivery was queued for %(count)d endpoint; see Webhook deliveries.",
                "Test deliveries were queued for %(count)d endpoints; see Webhook deliveries.",
                len(endpoints),
            )
            % {"count": len(endpoints)},
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in ("url", "description", "event_types", "is_active") if f in data}
            services.update_endpoint(obj, actor=request.user, changes=changes)
            return
        tenant = data["tenant"] if sees_all_tenants(request.user) else request.user.tenant
        endpoint, secret = services.create_endpoint(
            tenant=tenant,
            url=data["url"],
            event_types=list(data.get("event_types") or []),
            description=data.get("description", ""),
            actor=request.user,
        )
        obj.pk = endpoint.pk
        obj._secret = secret

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: Any = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Webhook endpoint created"),
            "endpoint": obj,
            "secret": obj._secret,
        }
        return TemplateResponse(request, "admin/webhooks/webhookendpoint/created.html", context)

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        services.delete_endpoint(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for endpoint in queryset:
            services.delete_endpoint(endpoint, actor=request.user)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_excerpt", "will_retry"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    list_display = [
        "delivery_id",
        "endpoint",
        "event_type",
        "state",
        "attempt_count",
        "last_status_code",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["delivery_id", "endpoint__url"]
    list_select_related = ["endpoint", "tenant"]
    inlines = [WebhookAttemptInline]
    actions = ["resend_selected"]
    readonly_fields = [
        "endpoint", "delivery_id", "event_type", "state", "attempt_count", "next_attempt_at",
        "last_status_code", "last_error", "created_at", "completed_at", "body",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the delivery log is kept

    @admin.action(description=_("Resend selected deliveries"), permissions=["change"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        deliveries = list(queryset.select_related("endpoint"))
        for delivery in deliveries:
            services.resend(delivery, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", len(deliveries)
            )
            % {"count": len(deliveries)},
            messages.SUCCESS,
        )
