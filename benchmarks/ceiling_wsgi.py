"""The ceilings the load benchmark reads every other figure against.

Served by gunicorn exactly like the application (same workers, same wrk settings), but
with nothing of MesChain in it:

- ``/bench/raw``      a plain WSGI callable: what gunicorn and the socket cost alone;
- ``/bench/ceiling``  a bare Django view with **no middleware**, no database, no cache:
  the reference every ratio in the results table divides by.

Run it with ``gunicorn benchmarks.ceiling_wsgi:application`` from the project folder;
``benchmarks/run_load.py`` does that for you.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-ceiling-only-not-a-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/ceiling", ceiling)]

_django = get_wsgi_application()
_RAW_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", "2")]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/bench/raw":
        start_response("200 OK", _RAW_HEADERS)
        return [b"ok"]
    return _django(environ, start_response)
