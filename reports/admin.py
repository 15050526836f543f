"""Reports in the admin: the sales report (the Daily sales entry), marketplace performance
and inventory pages, each with date pickers, a chart and CSV / XLSX downloads."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meschain.errors import DomainError
from reports.models import DailySales
from reports.services.build import build_report
from reports.services.tables import CONTENT_TYPES, report_tables, to_csv, to_xlsx

TITLES = {
    "sales": gettext_lazy("Sales report"),
    "performance": gettext_lazy("Marketplace performance"),
    "inventory": gettext_lazy("Inventory report"),
}


def _number(value: Any) -> float:
    return float(value or 0)


def report_chart(kind: str, report: dict[str, Any]) -> dict[str, Any]:
    """The chart of a report page, as Chart.js takes it (see static/reports/charts.js)."""
    if kind == "sales":
        return {
            "type": "line",
            "labels": [p["period"].isoformat() for p in report["series"]],
            "datasets": [
                {"label": str(_("net revenue")), "data": [_number(p["net"]) for p in report["series"]]},
                {"label": str(_("gross revenue")), "data": [_number(p["gross"]) for p in report["series"]]},
            ],
        }
    if kind == "performance":
        return {
            "type": "bar",
            "labels": [a["name"] for a in report["accounts"]],
            "datasets": [
                {
                    "label": str(_("sync success rate (%)")),
                    "data": [_number(a["sync_success_rate"]) for a in report["accounts"]],
                },
                {
                    "label": str(_("listings in error")),
                    "data": [a["listings_in_error"] for a in report["accounts"]],
                },
            ],
        }
    return {
        "type": "bar",
        "labels": [w["code"] for w in report["warehouses"]],
        "datasets": [
            {
                "label": str(_("value at cost")),
                "data": [_number(w["value_at_cost"]) for w in report["warehouses"]],
            },
            {
                "label": str(_("value at price")),
                "data": [_number(w["value_at_price"]) for w in report["warehouses"]],
            },
        ],
    }


@admin.register(DailySales)
class ReportsAdmin(admin.ModelAdmin):
    """Daily sales rows are kept by the orders services: nobody edits them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("performance/", wrap(self.performance_view), name="reports_performance"),
            path("inventory/", wrap(self.inventory_view), name="reports_inventory"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return self._page(request, "sales")

    def performance_view(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, "performance")

    def inventory_view(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, "inventory")

    def _page(self, request: HttpRequest, kind: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        params = request.GET
        tenant_id = getattr(request.user, "tenant_id", None)
        report = None
        if tenant_id is None:
            messages.info(request, _("Reports belong to a tenant; log in as one of its users."))
        else:
            try:
                report = build_report(
                    kind,
                    tenant_id,
                    start=params.get("from"),
                    end=params.get("to"),
                    group_by=params.get("group_by"),
                    channel=params.get("channel"),
                )
            except DomainError as exc:
                for field, errors in (exc.details or {}).items():
                    messages.error(request, f"{field}: {' '.join(map(str, errors))}")
        tables = report_tables(kind, report) if report else []
        chosen = params.get("format")
        if report and chosen in CONTENT_TYPES:
            body = to_csv(tables) if chosen == "csv" else to_xlsx(tables)
            response = HttpResponse(body, content_type=CONTENT_TYPES[chosen])
            response["Content-Disposition"] = f'attachment; filename="{kind}-report.{chosen}"'
            return response
        query = params.copy()
        query.pop("format", None)
        context = {
            **self.admin_site.each_context(request),
            "title": TITLES[kind],
            "kind": kind,
            "opts": self.model._meta,
            "report": report,
            "tables": tables,
            "chart": report_chart(kind, report) if report else None,
            "query": query.urlencode(),
            "pages": [
                (name, TITLES[name], reverse(url))
                for name, url in (
                    ("sales", "admin:reports_dailysales_changelist"),
                    ("performance", "admin:reports_performance"),
                    ("inventory", "admin:reports_inventory"),
                )
            ],
        }
        return TemplateResponse(request, "admin/reports/report.html", context)
