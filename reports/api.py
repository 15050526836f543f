"""/api/reports/sales, /performance, /inventory: JSON, or the same figures as a CSV or
XLSX download with ?format=csv|xlsx."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meschain.api.permissions import ScopeOrModelPermissions
from meschain.errors import PermissionDenied, ValidationFailed
from reports.models import DailySales
from reports.serializers import InventoryReportSerializer, PerformanceReportSerializer, SalesReportSerializer
from reports.services.build import build_report
from reports.services.tables import CONTENT_TYPES, FORMATS, report_tables, to_csv, to_xlsx

_DATETIME = serializers.DateTimeField()


def plain(value: Any) -> Any:
    """The report as JSON data, as its serializer (which documents it) would give it:
    money and rates as strings, dates in ISO 8601 — without a field object per value."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _DATETIME.to_representation(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class FormatIsADownload(DefaultContentNegotiation):
    """`?format=` names a download the view writes itself (or a bad value it refuses with a
    400), not a renderer; without it, the usual negotiation (406 for what is not JSON)."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        if "format" in request.query_params:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


RANGE = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, required=False, description=_("First day (default: 30 days ago).")
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, required=False, description=_("Last day, included (default: today).")
    ),
]
FORMAT = OpenApiParameter("format", str, enum=list(FORMATS), required=False,
                          description=_("json (default), or a csv or xlsx download of the same figures."))  # fmt: skip


def _responses(serializer: Any) -> dict:
    return {
        (200, "application/json"): serializer,
        (200, "text/csv"): OpenApiTypes.STR,
        (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
    }


class ReportView(APIView):
    kind = ""
    serializer_class: Any = None
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes: dict[str, str] = {}  # people's reading, not storefronts'
    queryset = DailySales.objects.none()  # view_dailysales: every role reads reports
    content_negotiation_class = FormatIsADownload

    def get(self, request: Request) -> Any:
        tenant_id = getattr(request.user, "tenant_id", None)
        if tenant_id is None:
            raise PermissionDenied(_("Reports belong to a tenant; log in as one of its users."))
        params = request.query_params
        chosen = params.get("format") or "json"
        if chosen not in FORMATS:
            raise ValidationFailed(details={"format": [_("Choose one of: json, csv, xlsx.")]})
        report = build_report(self.kind, tenant_id, start=params.get("from"), end=params.get("to"),
                              group_by=params.get("group_by"), channel=params.get("channel"))  # fmt: skip
        if chosen == "json":
            return Response(plain(report))
        tables = report_tables(self.kind, report)
        body = to_csv(tables) if chosen == "csv" else to_xlsx(tables)
        response = HttpResponse(body, content_type=CONTENT_TYPES[chosen])
        response["Content-Disposition"] = f'attachment; filename="{self.kind}-report.{chosen}"'
        return response


@extend_schema(tags=["reports"])
class SalesReportView(ReportView):
    kind = "sales"
    serializer_class = SalesReportSerializer

    @extend_schema(
        parameters=[*RANGE, OpenApiParameter("group_by", str, enum=["day", "week", "month"], required=False),
                    OpenApiParameter("channel", str, required=False, description=_("e.g. storefront, trendyol:3")),
                    FORMAT],
        responses=_responses(SalesReportSerializer),
    )  # fmt: skip
    def get(self, request: Request) -> Any:
        return super().get(request)


@extend_schema(tags=["reports"])
class PerformanceReportView(ReportView):
    kind = "performance"
    serializer_class = PerformanceReportSerializer

    @extend_schema(parameters=[*RANGE, FORMAT], responses=_responses(PerformanceReportSerializer))
    def get(self, request: Request) -> Any:
        return super().get(request)


@extend_schema(tags=["reports"])
class InventoryReportView(ReportView):
    kind = "inventory"
    serializer_class = InventoryReportSerializer

    @extend_schema(parameters=[FORMAT], responses=_responses(InventoryReportSerializer))
    def get(self, request: Request) -> Any:
        return super().get(request)
