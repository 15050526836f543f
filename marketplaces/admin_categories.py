"""Category mapping in the admin: the form searches the account's marketplace tree.

static/marketplaces/category_mapping.js asks two JSON views of CategoryMappingAdmin (the
search over the leaves, a leaf's attributes) and fills the marketplace category id, its
name and the attribute values; the form checks the required attributes on save. The
views answer only for an account of the user's tenant (another tenant's is a 404).
"""

import json
from typing import Any

from django import forms
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from marketplaces import services
from marketplaces.models import CategoryMapping, MarketplaceAccount
from meschain.errors import DomainError, ValidationFailed
from meschain.tenancy import scope

CATEGORY_JS = "marketplaces/category_mapping.js"
CATEGORY_CSS = "marketplaces/category_mapping.css"


def _texts() -> dict[str, str]:
    """The words category_mapping.js shows (translated here: the CSP allows no inline script)."""
    return {
        "search": gettext("Search the marketplace's categories"),
        "placeholder": gettext("A word of the category, e.g. tişört"),
        "button": gettext("Search"),
        "refresh": gettext("Reload the tree from the marketplace"),
        "choose_account": gettext("Choose the account first."),
        "searching": gettext("Searching…"),
        "none": gettext("No leaf category matches."),
        "loading": gettext("Loading the attributes…"),
        "attributes": gettext("Attributes of the marketplace category"),
        "required": gettext("required"),
        "empty": gettext("—"),
        "by_sync": gettext("Filled from the product by the sync:"),
        "no_attributes": gettext("This category has no attributes to fill."),
        "failed": gettext("The request failed."),
    }


class CategoryMappingForm(forms.ModelForm):
    """Checks the mapping against the marketplace's tree when it can be had: a leaf
    category, every required attribute given, only allowed values."""

    class Meta:
        model = CategoryMapping
        fields = ["tenant", "account", "category", "marketplace_category_id", "marketplace_category_name",
                  "attribute_values"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("marketplace_category_id")
        if field is not None:
            field.widget.attrs.update({
                "data-category-search": reverse("admin:marketplaces_categorymapping_category_search"),
                "data-category-attributes": reverse("admin:marketplaces_categorymapping_category_attributes"),
                "data-texts": json.dumps(_texts(), ensure_ascii=False),
                "autocomplete": "off",
            })  # fmt: skip
            field.help_text = _("Search below, or type the id of a leaf category.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        account, category_id = data.get("account"), data.get("marketplace_category_id")
        values = data.get("attribute_values")
        if values is not None and not isinstance(values, dict):
            self.add_error("attribute_values", _("Give a JSON object: attribute id → value."))
            return data
        if account is None or not category_id or self.has_error("attribute_values"):
            return data
        try:
            leaf = services.validate_mapping(account, category_id, values or {})
        except ValidationFailed as exc:
            for field, messages in exc.details.items():
                name = "marketplace_category_id" if field == "category_id" else field
                self.add_error(name if name in self.fields else None, messages)
            return data
        if leaf is not None and not data.get("marketplace_category_name"):
            data["marketplace_category_name"] = leaf["name"][:300]
        return data


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": str(exc.code), "message": str(exc.message), "details": exc.details or {}}},
        status=exc.status,
    )


class CategorySearchMixin:
    """The JSON views of the mapping form (staff only through admin_view)."""

    form = CategoryMappingForm

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("category-search/", wrap(require_GET(self.category_search_view)),
                 name="marketplaces_categorymapping_category_search"),
            path("category-attributes/", wrap(require_GET(self.category_attributes_view)),
                 name="marketplaces_categorymapping_category_attributes"),
            *super().get_urls(),
        ]  # fmt: skip

    def _may_map(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    def _account(self, request: HttpRequest) -> MarketplaceAccount | None:
        raw = request.GET.get("account", "")
        if not raw.isdigit() or len(raw) > 18:
            raise ValidationFailed(details={"account": [gettext("Choose the account.")]})
        return scope(MarketplaceAccount.objects.all(), request.user).filter(pk=int(raw)).first()

    def _answer(self, request: HttpRequest, build: Any) -> JsonResponse:
        if not self._may_map(request):
            return JsonResponse({"error": {"code": "PERMISSION_DENIED", "message": gettext(
                "You may not map categories.")}}, status=403)  # fmt: skip
        try:
            account = self._account(request)
            if account is None:  # another tenant's account is no different from a missing one
                return JsonResponse({"error": {"code": "NOT_FOUND", "message": gettext(
                    "No marketplace account with this id.")}}, status=404)  # fmt: skip
            return JsonResponse(build(account, request.GET.get("refresh") in ("1", "true")))
        except DomainError as exc:
            return _error(exc)

    def category_search_view(self, request: HttpRequest) -> JsonResponse:
        def build(account: MarketplaceAccount, refresh: bool) -> dict[str, Any]:
            results = services.search_categories(account, request.GET.get("q", ""), refresh=refresh)
            return {"account": account.pk, "marketplace": account.marketplace, "results": results}

        return self._answer(request, build)

    def category_attributes_view(self, request: HttpRequest) -> JsonResponse:
        def build(account: MarketplaceAccount, refresh: bool) -> dict[str, Any]:
            category = request.GET.get("category", "")
            attributes = services.category_attributes(account, category, refresh=refresh)
            leaf = services.find_leaf(account, category)
            return {"account": account.pk, "category": leaf, "attributes": attributes}

        return self._answer(request, build)
