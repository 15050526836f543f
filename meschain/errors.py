"""Domain errors raised by services. The API turns each into its envelope code and status.

Services never import the API layer; they raise these, and
`meschain.api.exceptions` maps them onto HTTP.
"""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    OTP_REQUIRED = "OTP_REQUIRED"
    OTP_INVALID = "OTP_INVALID"
    TWO_FACTOR_SETUP_REQUIRED = "TWO_FACTOR_SETUP_REQUIRED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    SERVER_ERROR = "SERVER_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.AUTHENTICATION_FAILED: 401,
    ErrorCode.ACCOUNT_LOCKED: 429,
    ErrorCode.OTP_REQUIRED: 401,
    ErrorCode.OTP_INVALID: 401,
    ErrorCode.TWO_FACTOR_SETUP_REQUIRED: 403,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.NOT_ACCEPTABLE: 406,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.INSUFFICIENT_STOCK: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}


class DomainError(Exception):
    """A business rule said no. Carries a stable code, a readable message and details."""

    code: ErrorCode = ErrorCode.VALIDATION_ERROR
    default_message: Any = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, details: dict | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        super().__init__(str(self.message))

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]


class ValidationFailed(DomainError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = ErrorCode.PERMISSION_DENIED
    default_message = _("You do not have permission to perform this action.")


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    default_message = _("The request conflicts with the current state.")


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    default_message = _("This status change is not allowed.")


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK
    default_message = _("Not enough stock.")
