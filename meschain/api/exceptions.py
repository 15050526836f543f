"""Turns every error raised in an API view into the envelope with a stable code."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from meschain.api.envelope import error_body
from meschain.errors import HTTP_STATUS, DomainError, ErrorCode

logger = logging.getLogger("meschain.api")

_BY_CLASS: list[tuple[type[Exception], ErrorCode]] = [
    (drf.NotAuthenticated, ErrorCode.AUTHENTICATION_FAILED),
    (drf.AuthenticationFailed, ErrorCode.AUTHENTICATION_FAILED),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (drf.NotFound, ErrorCode.NOT_FOUND),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (drf.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (drf.Throttled, ErrorCode.RATE_LIMITED),
    (drf.ParseError, ErrorCode.VALIDATION_ERROR),
    (drf.ValidationError, ErrorCode.VALIDATION_ERROR),
]


def _details_of(detail: Any) -> Any:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return None


def _message_of(code: ErrorCode, exc: drf.APIException) -> str:
    if code == ErrorCode.VALIDATION_ERROR and not isinstance(exc, drf.ParseError):
        return _("Some fields are not valid.")
    if code == ErrorCode.RATE_LIMITED:
        wait = getattr(exc, "wait", None)
        if wait:
            return _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": int(wait + 0.999)}
        return _("Too many requests.")
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        return _("The request could not be processed.")
    return str(detail)


def envelope_exception_handler(exc: Exception, context: dict) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details or None), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        code = ErrorCode.PAYLOAD_TOO_LARGE
        return Response(
            error_body(code, _("The request body is too large.")),
            status=HTTP_STATUS[code],
        )

    if not isinstance(exc, drf.APIException):
        set_rollback()
        logger.exception("Unhandled error in API view")
        code = ErrorCode.SERVER_ERROR
        return Response(
            error_body(code, _("An unexpected error occurred. It has been logged.")),
            status=500,
        )

    code = next((c for cls, c in _BY_CLASS if isinstance(exc, cls)), None)
    if code is None:
        code = {
            400: ErrorCode.VALIDATION_ERROR,
            401: ErrorCode.AUTHENTICATION_FAILED,
            403: ErrorCode.PERMISSION_DENIED,
            404: ErrorCode.NOT_FOUND,
            409: ErrorCode.CONFLICT,
            413: ErrorCode.PAYLOAD_TOO_LARGE,
            503: ErrorCode.SERVICE_UNAVAILABLE,
        }.get(exc.status_code, ErrorCode.SERVER_ERROR)
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait + 0.999))
    set_rollback()
    body = error_body(code, _message_of(code, exc), _details_of(exc.detail))
    status = exc.status_code
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        # DRF downgrades 401 to 403 when the view has no authenticator to offer a
        # challenge (e.g. the token refresh view); AUTHENTICATION_FAILED is always 401.
        status = 401
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return Response(body, status=status, headers=headers)
