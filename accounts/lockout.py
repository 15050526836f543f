"""The answer to a locked-out login, for the admin and the API alike (called by axes)."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from meschain.api.envelope import error_response, is_api_path
from meschain.errors import ErrorCode


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed login attempts. This account is locked for %(minutes)d minutes.") % {
        "minutes": minutes
    }
    if is_api_path(request.path):
        response: HttpResponse = error_response(ErrorCode.ACCOUNT_LOCKED, message)
    else:
        # Rendered now: this answer comes from middleware, where no one renders it later.
        context = {**admin.site.each_context(request), "message": message, "title": _("Locked out")}
        response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
