"""A URLconf for tests: the project's routes plus a few probe endpoints that later apps
will provide for real (an endpoint open to API keys by scope, and views that fail).

Use with `@pytest.mark.urls("tests.meschain.probe_urls")`.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasApiScope
from meschain import urls as project_urls

PROBE = "/api/test-probe"
PROBE_V1 = "/api/v1/test-probe"


class ScopedProbeView(APIView):
    """Reads need catalog:read, writes catalog:write (for API keys; users pass)."""

    permission_classes = [IsAuthenticated, HasApiScope]
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}

    def get(self, request: Request) -> Response:
        return Response({"principal": str(request.user), "tenant": request.user.tenant_id})

    def post(self, request: Request) -> Response:
        return Response({"principal": str(request.user), "echo": request.data})

    def delete(self, request: Request) -> Response:  # no scope maps DELETE: keys never pass
        return Response({"deleted": True})


class BrokenApiView(APIView):
    permission_classes: list = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("boom")


def broken_plain_view(request: HttpRequest, *args: Any) -> JsonResponse:
    raise RuntimeError("boom")


urlpatterns = [
    path("api/test-probe", ScopedProbeView.as_view()),
    path("api/v1/test-probe", ScopedProbeView.as_view()),
    path("api/test-broken-drf", BrokenApiView.as_view()),
    path("api/test-broken-plain", broken_plain_view),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500
