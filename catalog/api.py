"""/api/products and the storefront catalogue. Thin: validate, call services, serialize."""

from collections.abc import Callable
from functools import cached_property, partial
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import cache
from catalog.filters import ProductFilter
from catalog.models import Product, ProductStatus, Variant
from catalog.serializers import (
    BulkInputSerializer,
    BulkResultSerializer,
    ProductInputSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    StatusInputSerializer,
)
from catalog.services import bulk, products, stock
from meschain.api.envelope import prerendered_response
from meschain.api.permissions import ScopeOrModelPermissions
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import PermissionDenied, ValidationFailed
from meschain.idempotency import idempotent

CATALOG_SCOPES = {
    "GET": "catalog:read",
    "HEAD": "catalog:read",
    "POST": "catalog:write",
    "PUT": "catalog:write",
    "PATCH": "catalog:write",
    "DELETE": "catalog:write",
}


def is_storefront(request: Request) -> bool:
    """An API-key caller sees the storefront view: published products only."""
    return getattr(request.user, "api_key_id", None) is not None


class CountedPaginator(Paginator):
    """A paginator whose total comes from `count` (a cache) instead of a fresh COUNT(*)."""

    def __init__(self, object_list: Any, per_page: int, *, count: Callable[[], int], **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def require_tenant(request: Request) -> int:
    tenant_id = getattr(request.user, "tenant_id", None)
    if tenant_id is None:
        raise PermissionDenied(_("Catalogue rows belong to a tenant; log in as one of its users."))
    return tenant_id


@extend_schema(tags=["products"])
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    queryset = Product.objects.select_related("brand", "category").prefetch_related(
        Prefetch("variants", Variant.objects.order_by("position", "id")), "images"
    )
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = CATALOG_SCOPES

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().order_by("-updated_at", "-id")
        if is_storefront(self.request):
            active = Variant.objects.filter(product_id=OuterRef("pk"), is_active=True)
            queryset = queryset.filter(status=ProductStatus.PUBLISHED).filter(Exists(active))
        return queryset

    def _serialize(self, items: Any, *, many: bool) -> Any:
        rows = list(items) if many else [items]
        variant_ids = [v.pk for p in rows for v in p.variants.all()]
        context = {
            **self.get_serializer_context(),
            "available": stock.available_by_variant(variant_ids),
            "storefront": is_storefront(self.request),
        }
        return ProductSerializer(rows if many else items, many=many, context=context).data

    def _cached(self, request: Request, build: Any, *, product_id: int | None = None) -> HttpResponse:
        lookup = cache.Lookup(request.user.tenant_id, request, product_id=product_id)
        entry = lookup.entry
        if entry is None:
            data, pagination = build(lookup)
            entry = lookup.put(JSONRenderer().render(data), pagination)
        etag, data_json, pagination = entry
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        return prerendered_response(data_json, pagination=pagination, etag=etag)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        def build(lookup: cache.Lookup | None = None) -> tuple[Any, dict[str, int]]:
            queryset = self.filter_queryset(self.get_queryset())
            if lookup is not None:
                self.paginator.django_paginator_class = partial(
                    CountedPaginator, count=lambda: lookup.count(queryset.count)
                )
            page = self.paginate_queryset(queryset)
            return self._serialize(page, many=True), self.paginator.pagination_block()

        if is_storefront(request):
            return self._cached(request, build)
        data, pagination = build()
        response = Response(data)
        response.pagination = pagination
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        pk = str(kwargs.get("pk", ""))
        if is_storefront(request) and pk.isdigit():
            return self._cached(
                request,
                lambda _lookup: (self._serialize(self.get_object(), many=False), None),
                product_id=int(pk),
            )
        return Response(self._serialize(self.get_object(), many=False))

    def _fresh(self, product: Product) -> Any:
        # the writer's view, whatever the status (the storefront filter is for reads)
        return self._serialize(super().get_queryset().get(pk=product.pk), many=False)

    @extend_schema(request=ProductInputSerializer, responses={201: ProductSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        form = ProductInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        variants = data.pop("variants")
        product = products.create_product(
            require_tenant(request), data=data, variants=variants, actor=request.user
        )
        return Response(self._fresh(product), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProductUpdateSerializer, responses={200: ProductSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        form = ProductUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        variants = changes.pop("variants", None)
        product = products.update_product(product, changes=changes, variants=variants, actor=request.user)
        return Response(self._fresh(product))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        products.delete_product(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StatusInputSerializer, responses={200: ProductSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        form = StatusInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        product = products.change_status(product, form.validated_data["status"], actor=request.user)
        response = Response(self._fresh(product))
        response.message = _("Status changed to %(status)s.") % {
            "status": ProductStatus(product.status).label
        }
        return response

    @extend_schema(request=BulkInputSerializer, responses={200: BulkResultSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request: Request) -> Response:
        form = BulkInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = bulk.bulk_upsert(
            require_tenant(request),
            form.validated_data["rows"],
            policy=form.validated_data["policy"],
            actor=request.user,
        )
        counts = result.counts()
        if not result.applied:
            raise ValidationFailed(
                _("Nothing was applied: %(count)d rows have errors.") % {"count": counts["error"]},
                details={"rows": [r.as_dict() for r in result.rows if r.status == "error"], "counts": counts},
            )
        body = {"applied": result.applied, "counts": counts, "rows": [r.as_dict() for r in result.rows]}
        response = Response(body)
        response.message = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(error)d with errors."
        ) % (result.counts())
        return response
