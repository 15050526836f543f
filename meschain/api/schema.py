"""OpenAPI: every response documented inside the envelope, with the error codes."""

import re
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance

from meschain.api.serializers import StrictSerializer
from meschain.errors import HTTP_STATUS, ErrorCode

ENVELOPE_MARK = "x-meschain-envelope"

_STAMP = {
    "timestamp": {"type": "string", "format": "date-time"},
    "request_id": {"type": "string", "example": "req_3f9a0c1d2e4b5a6978877665"},
}
PAGINATION_SCHEMA = {
    "type": "object",
    "required": ["page", "per_page", "total", "pages"],
    "properties": {
        "page": {"type": "integer", "example": 1},
        "per_page": {"type": "integer", "example": 50},
        "total": {"type": "integer", "example": 1000},
        "pages": {"type": "integer", "example": 20},
    },
}


def envelope_schema(data_schema: dict | None, *, paginated: bool = False) -> dict:
    """The success envelope around `data_schema`. For a paginated list, `data_schema` is
    the list's own (array) schema, as drf-spectacular hands it to the paginator."""
    properties: dict[str, Any] = {
        "success": {"type": "boolean", "enum": [True]},
        "data": data_schema or {},
        "message": {"type": "string"},
        **_STAMP,
    }
    required = ["success", "data", "message", "timestamp", "request_id"]
    if paginated:
        properties["pagination"] = PAGINATION_SCHEMA
        required.append("pagination")
    return {"type": "object", "required": required, "properties": properties, ENVELOPE_MARK: True}


ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "error", "timestamp", "request_id"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        },
        **_STAMP,
    },
}

# Statuses any operation can answer, whatever it does.
_COMMON_ERRORS = {
    "400": "Bad input: VALIDATION_ERROR (malformed JSON, wrong types, missing fields).",
    "401": "AUTHENTICATION_FAILED: no or invalid credentials.",
    "403": "PERMISSION_DENIED: authenticated but not allowed.",
    "404": "NOT_FOUND: no such object in your tenant.",
    "405": "METHOD_NOT_ALLOWED.",
    "406": "NOT_ACCEPTABLE: the Accept header asks for something other than JSON.",
    "413": "PAYLOAD_TOO_LARGE: the body exceeds the upload limit.",
    "415": "UNSUPPORTED_MEDIA_TYPE.",
    "429": "RATE_LIMITED (see Retry-After) or ACCOUNT_LOCKED.",
    "500": "SERVER_ERROR: a bug; the request id identifies the log lines.",
}
# Statuses any write can answer besides those.
_WRITE_ERRORS = {
    "409": "CONFLICT, INVALID_TRANSITION or INSUFFICIENT_STOCK: the request conflicts with the "
    "current state (a duplicate, a row still in use, a status change that is not allowed, "
    "not enough stock).",
}
_WRITE_METHODS = {"post", "put", "patch", "delete"}


def drop_versioned_duplicates(endpoints: list[tuple]) -> list[tuple]:
    """`/api/v1/…` serves the same operations as `/api/…`: document them once."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/api/v1/")]


# Python's \w and \b know every script; the schema's regex dialect (ECMA-262) knows ASCII.
_SCRIPT_AWARE_CLASS = re.compile(r"\\[wWbB]")


class EnvelopeAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema; `add_envelope_components` wraps its answers in the envelope."""

    def _map_serializer(self, serializer: Any, direction: str, bypass_extensions: bool = False) -> dict:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(force_instance(serializer), StrictSerializer):
            schema["additionalProperties"] = False  # unknown fields are a 400, not ignored
        return schema

    def _insert_field_validators(self, field: Any, schema: dict) -> None:
        super()._insert_field_validators(field, schema)
        script_aware = any(
            isinstance(validator, RegexValidator)
            and not validator.regex.flags & re.ASCII
            and _SCRIPT_AWARE_CLASS.search(validator.regex.pattern)
            for validator in field.validators
        )
        if script_aware:
            # A pattern like a Unicode slug's `^[-\w]+$` would call "çay-bardağı" or
            # "чай" invalid in every client that checks it: leave it to the server.
            for node in (schema, *schema.get("oneOf", [])):
                node.pop("pattern", None)


def add_envelope_components(result: dict, generator: Any, request: Any, public: bool) -> dict:
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, response in list(responses.items()):
                if not str(status).startswith("2"):
                    # An error documented with a description only still comes enveloped.
                    response["content"] = {"application/json": {"schema": error_ref}}
                    continue
                for media_type, media in response.get("content", {}).items():
                    if "json" not in media_type:
                        continue  # a download (CSV, XLSX) is not enveloped
                    schema = media.get("schema")
                    if not _is_envelope(schema, schemas):
                        media["schema"] = envelope_schema(schema)
            errors = {**_COMMON_ERRORS, **(_WRITE_ERRORS if method in _WRITE_METHODS else {})}
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": error_ref}}},
                )
    result.setdefault("info", {})["description"] = (
        result["info"].get("description", "")
        + "\n\nError codes and their HTTP statuses: "
        + ", ".join(f"`{c.value}` ({HTTP_STATUS[c]})" for c in ErrorCode)
        + "."
    )
    return result


def _is_envelope(schema: dict | None, schemas: dict) -> bool:
    if not schema:
        return False
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return bool(schema.get(ENVELOPE_MARK))
