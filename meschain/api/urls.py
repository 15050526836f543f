"""All API routes, mounted at /api/ and again at /api/v1/."""

from django.urls import include, path

api_patterns = [
    path("", include("accounts.urls")),
    path("", include("webhooks.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("marketplaces.urls")),
    path("", include("reports.urls")),
    path("", include("onec.api_urls")),
]
