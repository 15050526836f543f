from django.urls import path

from reports.api import InventoryReportView, PerformanceReportView, SalesReportView

urlpatterns = [
    path("reports/sales", SalesReportView.as_view(), name="report-sales"),
    path("reports/performance", PerformanceReportView.as_view(), name="report-performance"),
    path("reports/inventory", InventoryReportView.as_view(), name="report-inventory"),
]
