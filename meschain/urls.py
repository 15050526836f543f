from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found as html_page_not_found
from django.views.defaults import server_error as html_server_error
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from meschain import health, metrics_view
from meschain.api.envelope import error_response, is_api_path
from meschain.api.urls import api_patterns
from meschain.api.views import api_not_found
from meschain.errors import ErrorCode

urlpatterns = [
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics_view.metrics, name="metrics"),  # Prometheus; networks or token only
    path(
        "api/schema/",
        SpectacularAPIView.as_view(urlconf=[path("api/", include(api_patterns))]),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(api_patterns)),
    path("api/", include(api_patterns)),
    re_path(r"^api(/.*)?$", api_not_found),
    path("admin/", include("accounts.admin_urls")),  # two-step login, password reset, account pages
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onec.urls")),
    # uploaded files (product images) while developing; in production the web server serves MEDIA_ROOT
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(ErrorCode.SERVER_ERROR, _("An unexpected error occurred. It has been logged."))
    return html_server_error(request)


handler500 = server_error


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path that matches no route, even the /api/ catch-all above (whose `.` stops at a
    newline in the path), still answers the enveloped 404 under /api/."""
    if is_api_path(request.path):
        return api_not_found(request)
    return html_page_not_found(request, exception)


handler404 = not_found
