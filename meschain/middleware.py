"""Cross-cutting middleware: request id and client context, request body cap."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.log import log_response
from django.utils.translation import gettext as _

from meschain import context
from meschain.api.envelope import error_response, is_api_path
from meschain.errors import ErrorCode

_INCOMING_ID = re.compile(r"^[A-Za-z0-9_.\-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address; X-Forwarded-For is trusted only behind known proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when well-formed), binds it
    for log lines and audit rows, and echoes it in the X-Request-ID header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else None
        with context.bind(request_id=request_id, ip=client_ip(request), request=request) as ctx:
            request.request_id = ctx.request_id
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs 4xx/5xx answers after the middleware returns, outside this
                # context; log them here so the line carries the request id.
                log_response(
                    "%s: %s", response.reason_phrase, request.path, response=response, request=request
                )
        response["X-Request-ID"] = ctx.request_id
        return response


def _callers_language(request: HttpRequest) -> translation.override:
    """The refusals below come before LocaleMiddleware has run: they still answer in the
    language the caller asked for (Accept-Language or the language cookie)."""
    return translation.override(translation.get_language_from_request(request))


class BodySizeLimitMiddleware:
    """Refuses bodies over MAX_UPLOAD_SIZE before anything reads them (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_UPLOAD_SIZE
        if length > limit:
            with _callers_language(request):
                message = _("The request body is larger than the %(limit)s limit.") % {
                    "limit": filesizeformat(limit).replace("\xa0", " ")
                }
            if is_api_path(request.path):
                return error_response(ErrorCode.PAYLOAD_TOO_LARGE, message)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)


class QueryNulGuardMiddleware:
    """Refuses API query parameters containing a NUL character (400): PostgreSQL cannot
    compare text with one, so every filter would otherwise fail with a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path) and "\x00" in request.META.get("QUERY_STRING", "").replace(
            "%00", "\x00"
        ):
            bad = sorted(
                {name for name, values in request.GET.lists() if any("\x00" in v for v in [name, *values])}
            )
            with _callers_language(request):
                message = _("Null characters are not allowed.")
                return error_response(
                    ErrorCode.VALIDATION_ERROR,
                    _("Some fields are not valid."),
                    {n or "query": [message] for n in bad or ["query"]},
                )
        return self.get_response(request)
