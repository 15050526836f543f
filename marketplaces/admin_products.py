"""The product list's "Sync to marketplace…" action (mixed into catalog/admin.py's
ProductAdmin): a page to pick one of the tenant's active accounts, then the products'
variants are listed there and a catalogue sync is requested."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from marketplaces import services
from marketplaces.admin_views import job_link
from marketplaces.models import Listing, MarketplaceAccount, SyncKind
from meschain.admin import report_domain_error
from meschain.errors import Conflict, DomainError
from meschain.tenancy import scope


class _AccountChoiceForm(forms.Form):
    account = forms.ModelChoiceField(queryset=MarketplaceAccount.objects.none(), label=_("Marketplace account"),
                                     empty_label=None)  # fmt: skip

    def __init__(self, *args: Any, accounts: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class ProductMarketplaceSyncMixin:
    """ProductAdmin's "Sync to marketplace…" action."""

    def has_marketplace_sync_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("marketplaces.add_syncjob") and request.user.has_perm(
            "marketplaces.add_listing"
        )

    @admin.action(description=_("Sync to marketplace…"), permissions=["marketplace_sync"])
    def sync_to_marketplace(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        accounts = scope(MarketplaceAccount.objects.filter(is_active=True), request.user).order_by(
            "name", "id"
        )
        if not accounts.exists():
            messages.warning(request, gettext("Connect an active marketplace account first."))
            return None
        product_ids = list(queryset.order_by().values_list("pk", flat=True).distinct())
        form = _AccountChoiceForm(
            request.POST if request.POST.get("post") == "yes" else None, accounts=accounts
        )
        if form.is_bound and form.is_valid():
            sync_products(request, form.cleaned_data["account"], product_ids)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Sync products to a marketplace"),
            "opts": self.opts,
            "media": self.media,
            "form": form,
            "ids": product_ids,
            "products": list(queryset.order_by("title", "id")[:20]),
            "hidden_count": max(len(product_ids) - 20, 0),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/marketplaces/sync_products.html", context)


def sync_products(request: HttpRequest, account: MarketplaceAccount, product_ids: list[int]) -> None:
    """List the products' variants on the account, then ask for a catalogue sync."""
    created = services.list_variants(account, product_ids=product_ids)
    messages.info(request, ngettext(
        "%(account)s: %(count)d new listing.", "%(account)s: %(count)d new listings.", created,
    ) % {"account": account.name, "count": created})  # fmt: skip
    if (
        not created
        and not Listing.objects.filter(account=account, variant__product_id__in=product_ids).exists()
    ):
        messages.warning(request, gettext(
            "Nothing to send: only published products whose category is mapped for this account are listed."
        ))  # fmt: skip
        return
    try:
        job = services.request_sync(account, SyncKind.CATALOG, actor=request.user)
    except Conflict as exc:
        running = (exc.details or {}).get("job") or []
        messages.warning(request, format_html(
            gettext("A catalogue sync of {account} is already queued or running ({job}): these products go with "
                    "the next one."),
            account=account.name, job=job_link(running[0]) if running else "",
        ))  # fmt: skip
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, format_html(
            gettext("{account}: catalogue sync {job} requested."), account=account.name, job=job_link(job.pk)
        ))  # fmt: skip
