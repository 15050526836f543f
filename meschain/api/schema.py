"""OpenAPI: every response documented inside the envelope, with the error codes."""

from typing import Any

from drf_spectacular.openapi import AutoSchema

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
    properties: dict[str, Any] = {
        "success": {"type": "boolean", "enum": [True]},
        "data": {"type": "array", "items": data_schema} if paginated else (data_schema or {}),
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


class EnvelopeAutoSchema(AutoSchema):
    """drf-spectacular's schema, with our security schemes named once."""


def add_envelope_components(result: dict, generator: Any, request: Any, public: bool) -> dict:
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE
    schemes = components.setdefault("securitySchemes", {})
    schemes["jwtAuth"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    schemes["apiKeyAuth"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, response in list(responses.items()):
                content = response.get("content", {})
                for media in content.values():
                    schema = media.get("schema")
                    if str(status).startswith("2") and not _is_envelope(schema, schemas):
                        media["schema"] = envelope_schema(schema)
                    elif not str(status).startswith("2"):
                        media["schema"] = error_ref
            for status, description in _COMMON_ERRORS.items():
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
