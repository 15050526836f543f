"""The storefront's cache hits, answered before URL routing and DRF.

A GET of `/api/products` or `/api/products/{id}` with a valid `X-API-Key` that has
`catalog:read`, within its rate limit, whose page is in the cache, gets the cached bytes
here, with the same checks the API view makes (the same functions: key lookup, scope,
rate-limit counter). Anything else — no or bad key, missing scope, over the limit, a JWT or
session caller, another Accept, a cache miss — goes on to the API view unchanged, which
answers (and fills the cache) as usual. Placed last in MIDDLEWARE, so every response
header the other middleware adds is still added.
"""

import re
from collections.abc import Callable
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from accounts import services
from accounts.authentication import ApiKeyPrincipal
from catalog import cache
from meschain.api.envelope import prerendered_response
from meschain.api.throttling import ClientRateThrottle

_DETAIL = re.compile(r"^/api/products/([0-9]{1,18})$")
_ACCEPTED = frozenset({"", "*/*", "application/json"})
_ALLOW = {True: "GET, POST, HEAD, OPTIONS", False: "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"}


class StorefrontCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = settings.API_KEY_HEADER

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.cached(request) or self.get_response(request)

    def cached(self, request: HttpRequest) -> HttpResponse | None:
        if request.method != "GET" or not request.path.startswith("/api/products"):
            return None
        is_list = request.path == "/api/products"
        match = None if is_list else _DETAIL.match(request.path)
        if not is_list and match is None:
            return None
        raw = request.META.get(self.header, "").strip()
        # JWT is tried before the API key: a request carrying both is the view's to judge
        if not raw or "HTTP_AUTHORIZATION" in request.META:
            return None
        if request.META.get("HTTP_ACCEPT", "").strip() not in _ACCEPTED:
            return None
        key = services.authenticate_api_key(raw)
        if key is None:
            return None
        principal = ApiKeyPrincipal(key)
        if not principal.has_scope("catalog:read"):
            return None
        lookup = cache.Lookup(key.tenant_id, request, product_id=None if is_list else int(match.group(1)))
        if lookup.entry is None:
            return None
        # counted like the view counts; over the limit, the view answers 429
        if not ClientRateThrottle().allow_request(SimpleNamespace(user=principal, _request=request), None):
            return None
        etag, data_json, pagination = lookup.entry
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            response["ETag"] = etag
        else:
            response = prerendered_response(data_json, pagination=pagination, etag=etag)
        response["Allow"] = _ALLOW[is_list]
        return response
