from typing import Any

import django_filters
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product, ProductStatus, StockLevel, Variant
from meschain.tenancy import tenant_id_of

ORDERINGS = {
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
}


class ProductFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ProductStatus.choices)
    category = django_filters.NumberFilter(
        method="in_category", help_text=_("A category id; includes its descendants.")
    )
    brand = django_filters.NumberFilter(field_name="brand_id")
    search = django_filters.CharFilter(
        method="text_search", max_length=200, help_text=_("Words in title, description, SKU.")
    )
    sku = django_filters.CharFilter(method="with_sku", max_length=64)
    barcode = django_filters.CharFilter(method="with_barcode", max_length=14)
    price_min = django_filters.NumberFilter(method="price_at_least", min_value=0)
    price_max = django_filters.NumberFilter(method="price_at_most", min_value=0)
    in_stock = django_filters.BooleanFilter(method="stocked")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    ordering = django_filters.ChoiceFilter(
        choices=[(k, k) for k in ORDERINGS], method="order", help_text=_("Sort order; '-' for descending.")
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def in_category(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        tenant_id = tenant_id_of(getattr(self.request, "user", None))
        path = Category.objects.filter(pk=value, tenant_id=tenant_id).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(category__path__startswith=path)

    def text_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery

            return queryset.filter(search_vector=SearchQuery(value, config="simple", search_type="websearch"))
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Q(variants__sku__icontains=value)
        ).distinct()

    def _variant_exists(self, queryset: QuerySet, condition: Q) -> QuerySet:
        return queryset.filter(Exists(Variant.objects.filter(condition, product_id=OuterRef("pk"))))

    def with_sku(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return self._variant_exists(queryset, Q(sku=value))

    def with_barcode(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return self._variant_exists(queryset, Q(barcode=value))

    def price_at_least(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return self._variant_exists(queryset, Q(price__gte=value, is_active=True))

    def price_at_most(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return self._variant_exists(queryset, Q(price__lte=value, is_active=True))

    def stocked(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        has_stock = Exists(
            StockLevel.objects.filter(
                variant__product_id=OuterRef("pk"), variant__is_active=True, on_hand__gt=F("reserved")
            )
        )
        return queryset.filter(has_stock) if value else queryset.exclude(has_stock)

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*ORDERINGS[value])
