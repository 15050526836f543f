"""The exchange script 1C calls (`/1c/exchange`, `/bitrix/admin/1c_exchange.php`):
`type=catalog|sale`, `mode=checkauth|init|file|import|query|success`, plain-text replies.

1C sends no CSRF token, so the view is csrf_exempt; after checkauth (HTTP Basic) the
session cookie it was given is what authenticates each request."""

import base64
import binascii
import time
from collections.abc import Iterator

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from meschain.middleware import client_ip
from onec import exporter, services, statuses
from onec.services import COOKIE, ExchangeError


def _reply(lines: list[str], encoding: str = "utf-8", status: int = 200) -> HttpResponse:
    body = "\n".join(lines).encode(encoding, errors="replace")
    return HttpResponse(body, status=status, content_type=f"text/plain; charset={encoding}")


def _rate_limited(request: HttpRequest) -> bool:
    limit = int(services.setting("ONEC_RATE_LIMIT", 600))
    key = f"onec-rate:{client_ip(request)}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) > limit
    except ValueError:  # pragma: no cover (expired between add and incr)
        return False


def _basic(request: HttpRequest) -> tuple[str, str]:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise ExchangeError(_("HTTP Basic authentication is required."))
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ExchangeError(_("Malformed Authorization header.")) from exc
    text = decoded.decode("utf-8") if _utf8(decoded) else decoded.decode("cp1251")
    username, _sep, password = text.partition(":")
    return username, password


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body(request: HttpRequest) -> Iterator[bytes]:
    while chunk := request.read(64 * 1024):
        yield chunk


@csrf_exempt
def exchange(request: HttpRequest) -> HttpResponse:
    if _rate_limited(request):
        response = _reply(["failure", _("Too many requests; slow down.")], status=429)
        response["Retry-After"] = "60"
        return response
    kind, mode = request.GET.get("type", ""), request.GET.get("mode", "")
    encoding = "utf-8"
    try:
        if kind not in services.KINDS:
            raise ExchangeError(_("Unknown type %(type)s.") % {"type": kind[:20]})
        if mode == "checkauth":
            session = services.login(request, *_basic(request), kind)
            encoding = session.account.reply_encoding
            return _reply(["success", COOKIE, session.token, f"sessid={session.token}"], encoding)
        session = services.session_for(request.COOKIES.get(COOKIE), kind)
        encoding = session.account.reply_encoding
        if mode == "init":
            return _reply(["zip=yes", f"file_limit={services.file_limit()}"], encoding)
        if mode == "file":
            if request.method != "POST":
                raise ExchangeError(_("Send the file with POST."))
            services.receive_chunk(session, request.GET.get("filename"), _body(request))
            if kind == "sale":
                statuses.import_file(session, request.GET.get("filename"))
            return _reply(["success"], encoding)
        if mode == "import":
            finished, message = services.import_step(session, request.GET.get("filename"))
            return _reply(["success" if finished else "progress", message], encoding)
        if mode == "query" and kind == "sale":
            body = exporter.query(session)
            return HttpResponse(body, content_type=f"application/xml; charset={encoding}")
        if mode == "success" and kind == "sale":
            exporter.confirm(session)
            return _reply(["success"], encoding)
        if mode in ("complete", "deactivate"):
            services.finish(session)
            return _reply(["success"], encoding)
        raise ExchangeError(_("Unknown mode %(mode)s.") % {"mode": mode[:20]})
    except ExchangeError as exc:
        return _reply(["failure", str(exc)], encoding)
