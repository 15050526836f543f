"""/api/inventory: stock per variant and warehouse, adjustments, the movement ledger."""

from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import require_tenant
from catalog.models import MovementReason, StockLevel, StockMovement, Variant
from catalog.serializers import AdjustInputSerializer, StockLevelSerializer, StockMovementSerializer
from catalog.services import stock
from meschain.api.permissions import ScopeOrModelPermissions
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import ValidationFailed
from meschain.tenancy import scope

INVENTORY_SCOPES = {"GET": "inventory:read", "HEAD": "inventory:read", "POST": "inventory:write"}


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(details={name: [_("Enter a whole number.")]}) from None


@extend_schema(tags=["inventory"])
class InventoryViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    queryset = StockLevel.objects.select_related("variant__product", "warehouse")
    serializer_class = StockLevelSerializer
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = INVENTORY_SCOPES

    def get_queryset(self) -> QuerySet:
        queryset = (
            super()
            .get_queryset()
            .annotate(available_units=F("on_hand") - F("reserved"))
            .order_by("variant__sku", "warehouse_id")
        )
        params = self.request.query_params
        if params.get("sku"):
            if "\x00" in params["sku"]:  # PostgreSQL text cannot hold NUL: a 400, not a 500
                raise ValidationFailed(details={"sku": [_("Not a valid SKU.")]})
            queryset = queryset.filter(variant__sku=params["sku"])
        for name, field in (("warehouse", "warehouse_id"), ("variant", "variant_id")):
            value = _int_param(self.request, name)
            if value is not None:
                queryset = queryset.filter(**{field: value})
        low = _int_param(self.request, "low_stock")
        if low is not None:
            queryset = queryset.filter(available_units__lte=low)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("sku", str, required=False),
            OpenApiParameter("warehouse", int, required=False),
            OpenApiParameter("variant", int, required=False),
            OpenApiParameter(
                "low_stock", int, required=False, description=_("Only rows with available ≤ this.")
            ),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AdjustInputSerializer, responses={200: StockLevelSerializer})
    @action(detail=False, methods=["post"])
    def adjust(self, request: Request) -> Response:
        form = AdjustInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        tenant_id = require_tenant(request)
        lookup = {"sku": data["sku"]} if "sku" in data else {"pk": data["variant_id"]}
        variant = scope(Variant.objects.all(), request.user).filter(**lookup).first()
        if variant is None:
            raise ValidationFailed(
                details={"sku" if "sku" in data else "variant_id": [_("No such variant in your catalogue.")]}
            )
        result = stock.adjust(
            tenant_id,
            variant.pk,
            delta=data.get("delta"),
            absolute=data.get("quantity"),
            warehouse_id=data.get("warehouse_id"),
            reason=data["reason"],
            note=data.get("note", ""),
            actor=request.user,
        )
        level = self.get_queryset().get(variant_id=result.variant_id, warehouse_id=result.warehouse_id)
        response = Response(StockLevelSerializer(level).data)
        response.message = _("Stock adjusted.")
        return response


@extend_schema(tags=["inventory"])
class MovementViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    queryset = StockMovement.objects.select_related("variant", "warehouse").order_by("-id")
    serializer_class = StockMovementSerializer
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = INVENTORY_SCOPES

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        params = self.request.query_params
        if params.get("sku"):
            if "\x00" in params["sku"]:  # PostgreSQL text cannot hold NUL: a 400, not a 500
                raise ValidationFailed(details={"sku": [_("Not a valid SKU.")]})
            queryset = queryset.filter(variant__sku=params["sku"])
        if params.get("reason"):
            if params["reason"] not in MovementReason.values:
                raise ValidationFailed(details={"reason": [_("Not a valid reason.")]})
            queryset = queryset.filter(reason=params["reason"])
        variant = _int_param(self.request, "variant")
        if variant is not None:
            queryset = queryset.filter(variant_id=variant)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("sku", str, required=False),
            OpenApiParameter("variant", int, required=False),
            OpenApiParameter("reason", str, required=False, enum=list(MovementReason.values)),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
