from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.forms import SetPasswordMixin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiKey, Tenant, User, UserStatus
from accounts.services import two_factor
from meschain.admin import TenantScopedAdmin
from meschain.errors import DomainError
from meschain.tenancy import sees_all_tenants

# Devices hold the two-factor secrets: managed only through the account pages.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "require_two_factor", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["is_active", "require_two_factor"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class UserAddForm(SetPasswordMixin, forms.ModelForm):
    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ["tenant", "username", "email", "first_name", "last_name", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "tenant" in self.fields:  # shown to superusers only; a user always has a tenant
            self.fields["tenant"].required = True

    def clean(self) -> dict:
        cleaned = super().clean()
        self.validate_passwords()
        return cleaned


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "role", "status"]


@admin.register(User)
class UserAdmin(TenantScopedAdmin):
    list_display = ["username", "email", "full_name", "role", "status", "two_factor_on", "last_login"]
    list_filter = ["role", "status"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["username"]
    list_select_related = ["tenant"]
    readonly_fields = ["username", "last_login", "date_joined"]
    actions = ["turn_off_two_factor"]

    @admin.action(
        description=_("Turn off two-factor authentication (lost phone) for selected users"),
        permissions=["change"],
    )
    def turn_off_two_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for user in queryset:
            if user.pk == request.user.pk or not two_factor.is_enabled(user):
                continue
            try:
                two_factor.disable(user, actor=request.user)
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                return
            done += 1
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication turned off for %(count)d user.",
                "Two-factor authentication turned off for %(count)d users.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.display(description=_("name"))
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    @admin.display(description=_("two-factor"), boolean=True, ordering="has_two_factor")
    def two_factor_on(self, user: User) -> bool:
        return user.has_two_factor

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return (
            super()
            .get_queryset(request)
            .exclude(status=UserStatus.DELETED)
            .annotate(has_two_factor=Exists(confirmed))
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = UserChangeForm if obj is not None else UserAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            fields = [
                "tenant",
                "username",
                "email",
                "first_name",
                "last_name",
                "role",
                "password1",
                "password2",
            ]
        else:
            fields = [
                "username",
                "first_name",
                "last_name",
                "email",
                "role",
                "status",
                "last_login",
                "date_joined",
            ]
        if not sees_all_tenants(request.user):
            fields = [f for f in fields if f != "tenant"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not services.can_manage_users(request.user, obj):
            return obj.pk == request.user.pk and super().has_change_permission(request, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # users are suspended or marked deleted, never removed

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            tenant = data.get("tenant") if sees_all_tenants(request.user) else request.user.tenant
            created = services.create_user(
                tenant=tenant,
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                role=data["role"],
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                actor=request.user,
            )
            obj.pk = created.pk
            return
        current = User.objects.get(pk=obj.pk)
        profile = {
            f: data[f]
            for f in ("first_name", "last_name", "email", "status")
            if f in data and data[f] != getattr(current, f)
        }
        if profile:
            services.update_user(current, actor=request.user, changes=profile)
        if data.get("role") and data["role"] != current.role:
            services.set_user_access(current, actor=request.user, role=data["role"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Groups and permissions follow the role through the services."""


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=[(s, s) for s in services.API_KEY_SCOPES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiKey
        fields = ["tenant", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "expires_at", "last_used_at", "state", "created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    list_select_related = ["tenant"]
    actions = ["revoke_selected"]

    @admin.display(description=_("scopes"))
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    @admin.display(description=_("state"))
    def state(self, key: ApiKey) -> str:
        if key.revoked_at:
            return str(_("revoked"))
        return str(_("active")) if key.is_usable else str(_("expired"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [
            "tenant",
            "name",
            "prefix",
            "scope_list",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_by",
            "created_at",
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:
            return self.get_readonly_fields(request, obj)
        fields = ["tenant", "name", "scopes", "expires_at"]
        return fields if sees_all_tenants(request.user) else fields[1:]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the audit trail keeps the key

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        data = form.cleaned_data
        tenant = data["tenant"] if sees_all_tenants(request.user) else request.user.tenant
        key, full_key = services.create_api_key(
            tenant=tenant,
            name=data["name"],
            scopes=list(data["scopes"]),
            expires_at=data.get("expires_at"),
            actor=request.user,
        )
        obj.pk = key.pk
        obj._full_key = full_key

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API key created"),
            "api_key": obj,
            "full_key": obj._full_key,
        }
        return TemplateResponse(request, "admin/accounts/apikey/created.html", context)

    @admin.action(description=_("Revoke selected API keys"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_api_key(key, actor=request.user)
                revoked += 1
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                return
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
