"""/api/orders: list, read, place (storefront), import, change status, timeline."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import require_tenant
from meschain.api.permissions import ScopeOrModelPermissions
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import ValidationFailed
from meschain.idempotency import idempotent
from orders import imports, services
from orders.files import orders_from_csv
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.serializers import (
    ImportQuerySerializer,
    ImportSummarySerializer,
    NoteSerializer,
    OrderDetailSerializer,
    OrderEventSerializer,
    OrderInputSerializer,
    OrderSerializer,
    StatusChangeSerializer,
)

MAX_IMPORT = 5_000
ORDER_SCOPES = {"GET": "orders:read", "HEAD": "orders:read", "POST": "orders:write", "PUT": "orders:write"}
ORDERINGS = {"placed_at": ("placed_at", "id"), "-placed_at": ("-placed_at", "-id"), "total": ("total", "id"),
             "-total": ("-total", "-id"), "number": ("number",), "-number": ("-number",)}  # fmt: skip
FILTERS = [
    OpenApiParameter("status", str, enum=list(OrderStatus.values), required=False),
    OpenApiParameter("channel", str, required=False),
    OpenApiParameter("placed_from", str, required=False, description=_("Date or date-time, inclusive.")),
    OpenApiParameter("placed_to", str, required=False, description=_("Date or date-time, inclusive.")),
    OpenApiParameter("customer_email", str, required=False),
    OpenApiParameter("number", str, required=False),
    OpenApiParameter("external_id", str, required=False),
    OpenApiParameter("needs_attention", bool, required=False),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS), required=False),
]


def _when(value: str, name: str, *, end: bool) -> Any:
    moment = parse_datetime(value) if "T" in value or " " in value else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValidationFailed(details={name: [_("Enter a date (YYYY-MM-DD) or a date-time.")]})
        return Q(**{f"placed_at__date__{'lte' if end else 'gte'}": day})
    return Q(**{f"placed_at__{'lte' if end else 'gte'}": moment})


@extend_schema(tags=["orders"])
class OrderViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    queryset = Order.objects.select_related("customer")
    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = ORDER_SCOPES
    action_scopes = {
        "import_orders": None,
        "set_status": None,
        "notes": None,
    }  # people's work, not storefronts'
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if getattr(self.request.user, "api_key_id", None):  # storefronts see their own orders only
            queryset = queryset.filter(channel="storefront")
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in OrderStatus.values:
                raise ValidationFailed(details={"status": [_("Not a valid status.")]})
            queryset = queryset.filter(status=params["status"])
        for name in ("channel", "number", "external_id"):
            if params.get(name):
                queryset = queryset.filter(**{name: params[name]})
        if params.get("customer_email"):
            queryset = queryset.filter(customer__email=params["customer_email"].strip().lower())
        if params.get("placed_from"):
            queryset = queryset.filter(_when(params["placed_from"], "placed_from", end=False))
        if params.get("placed_to"):
            queryset = queryset.filter(_when(params["placed_to"], "placed_to", end=True))
        if params.get("needs_attention"):
            flag = params["needs_attention"].lower()
            if flag not in ("true", "false", "1", "0"):
                raise ValidationFailed(details={"needs_attention": [_("Use true or false.")]})
            queryset = queryset.filter(needs_attention=flag in ("true", "1"))
        ordering = params.get("ordering", "-placed_at")
        if ordering not in ORDERINGS:
            raise ValidationFailed(
                details={"ordering": [_("Choose one of: %(options)s") % {"options": ", ".join(ORDERINGS)}]}
            )
        return queryset.order_by(*ORDERINGS[ordering])

    def _detail(self, order: Order) -> dict[str, Any]:
        order = (
            self.get_queryset()
            .prefetch_related(
                Prefetch("lines", OrderLine.objects.order_by("id")),
                Prefetch("events", OrderEvent.objects.order_by("id")),
            )
            .get(pk=order.pk)
        )
        return OrderDetailSerializer(order).data

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: OrderDetailSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._detail(self.get_object()))

    @extend_schema(request=OrderInputSerializer, responses={201: OrderDetailSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        form = OrderInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        channel = "storefront" if getattr(request.user, "api_key_id", None) else "manual"
        order = services.place_order(require_tenant(request), channel=channel, actor=request.user, **data)
        return Response(self._detail(order), status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusChangeSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["put"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        form = StatusChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.change_status(order, actor=request.user, new_status=form.validated_data["status"],
                               note=form.validated_data.get("note", ""), restock=form.validated_data["restock"],
                               tracking_number=form.validated_data.get("tracking_number"))  # fmt: skip
        return Response(self._detail(order))

    @extend_schema(responses={200: OrderEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        page = self.paginate_queryset(order.events.order_by("id"))
        return self.get_paginated_response(OrderEventSerializer(page, many=True).data)

    @extend_schema(request=NoteSerializer, responses={201: OrderEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        form = NoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        event = services.add_note(order, form.validated_data["note"], actor=request.user)
        return Response(OrderEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "application/json": serializers.ListSerializer(child=serializers.DictField()),
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
        parameters=[
            OpenApiParameter(
                "channel", str, required=False, description=_("e.g. import, storefront, trendyol:3")
            ),
            OpenApiParameter("stock_policy", str, enum=["reserve", "skip", "force"], required=False),
        ],
        responses={200: ImportSummarySerializer},
    )
    @action(detail=False, methods=["post"], url_path="import")
    @idempotent
    def import_orders(self, request: Request) -> Response:
        options = ImportQuerySerializer(data=request.query_params.dict())
        options.is_valid(raise_exception=True)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            rows = orders_from_csv(upload.read())
        elif isinstance(request.data, list):
            rows = request.data
        else:
            raise ValidationFailed(
                details={"body": [_("Send a JSON array of orders or a CSV file in 'file'.")]}
            )
        if not rows or len(rows) > MAX_IMPORT:
            raise ValidationFailed(
                details={"body": [_("Send from 1 to %(max)d orders.") % {"max": MAX_IMPORT}]}
            )
        results = imports.import_orders(
            require_tenant(request), rows, actor=request.user, **options.validated_data
        )
        counts = dict.fromkeys(("created", "updated", "unchanged", "error"), 0)
        for result in results:
            counts[result.status] += 1
        response = Response({"counts": counts, "rows": [r.as_dict() for r in results]})
        response.message = (
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(error)d with errors.")
            % counts
        )
        return response
