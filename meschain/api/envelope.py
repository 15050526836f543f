"""The one response envelope every API answer uses, success and error alike."""

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from meschain import context
from meschain.errors import HTTP_STATUS, ErrorCode


def _stamp() -> dict[str, str]:
    now = timezone.now()
    return {
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "request_id": context.current().request_id,
    }


def success_body(data: Any, *, message: str = "", pagination: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data, "message": str(message)}
    if pagination is not None:
        body["pagination"] = pagination
    body.update(_stamp())
    return body


def error_body(code: str, message: Any, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": str(code), "message": str(message)}
    if details:
        error["details"] = details
    return {"success": False, "error": error, **_stamp()}


def error_response(
    code: ErrorCode, message: Any, details: Any = None, *, status: int | None = None
) -> JsonResponse:
    """An enveloped error for plain Django views (outside DRF)."""
    return JsonResponse(error_body(code, message, details), status=status or HTTP_STATUS[code])


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path == "/api"


def prerendered_response(data_json: bytes, *, pagination: dict[str, int] | None = None, etag: str = "") -> HttpResponse:
    """The envelope around `data` that was rendered (and cached) earlier: only the
    timestamp and request id are new, so a cache hit skips serializers and renderers."""
    stamp = _stamp()
    parts = [b'{"success":true,"data":', data_json, b',"message":""']
    if pagination is not None:
        parts += [b',"pagination":', json.dumps(pagination, separators=(",", ":")).encode()]
    parts += [b',"timestamp":"', stamp["timestamp"].encode(), b'","request_id":"', stamp["request_id"].encode(), b'"}']
    response = HttpResponse(b"".join(parts), content_type="application/json")
    if etag:
        response["ETag"] = etag
    return response
