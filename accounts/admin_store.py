"""The admin page of a tenant's store settings, for its owners: the default low-stock
threshold of its variants."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import LOW_STOCK_THRESHOLD_MAX
from accounts.services import store
from meschain.errors import DomainError


class StoreSettingsForm(forms.Form):
    low_stock_threshold = forms.IntegerField(
        label=gettext_lazy("Low-stock threshold"),
        required=False,
        min_value=0,
        max_value=LOW_STOCK_THRESHOLD_MAX,
        help_text=gettext_lazy(
            "Available units at or below which a variant counts as low on stock, unless the variant "
            "has its own threshold. Leave empty for the platform's default."
        ),
    )


def store_settings(request: HttpRequest) -> HttpResponse:
    """GET: the settings of the user's tenant; POST: change them (owners only)."""
    tenant = request.user.tenant
    if tenant is None or not store.can_change_settings(request.user, tenant.pk):
        raise PermissionDenied(_("Only an owner of this tenant may do this."))
    status = 200
    if request.method == "POST":
        form = StoreSettingsForm(request.POST)
        if form.is_valid():
            try:
                store.set_low_stock_threshold(
                    tenant.pk, form.cleaned_data["low_stock_threshold"], actor=request.user
                )
            except DomainError as exc:
                for messages_of_field in exc.details.values():
                    for message in messages_of_field:
                        form.add_error("low_stock_threshold", message)
            else:
                messages.success(
                    request, _("The store settings of %(tenant)s were saved.") % {"tenant": tenant.name}
                )
                return HttpResponseRedirect(reverse("account-store-settings"))
        status = 400
    else:
        form = StoreSettingsForm(initial={"low_stock_threshold": tenant.low_stock_threshold})
    context = {
        **admin.site.each_context(request),
        "subtitle": None,
        "title": _("Store settings"),
        "tenant": tenant,
        "form": form,
        "platform_default": store.platform_low_stock_default(),
    }
    return TemplateResponse(request, "admin/accounts/store_settings.html", context, status=status)
