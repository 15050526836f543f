"""The OpenAPI schema: valid OpenAPI 3, generated without a single warning, and it
documents the envelope every answer comes in, with the fixed set of error codes."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from meschain.errors import ErrorCode

ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
COMMON_ERROR_STATUSES = ["400", "401", "403", "404", "405", "406", "413", "415", "429", "500"]


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.slow  # runs manage.py in a subprocess
def test_manage_py_spectacular_validates_without_warnings_and_matches_the_served_schema(
    served: dict[str, Any], tmp_path: Any
) -> None:
    target = tmp_path / "openapi.json"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--format", "openapi-json", "--file", str(target)],
        cwd=settings.BASE_DIR, env=os.environ.copy(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    generated = json.loads(target.read_text())
    assert sorted(generated["paths"]) == sorted(served["paths"])
    assert not [path for path in generated["paths"] if path.startswith("/api/v1/")]


def test_served_schema_is_valid_openapi_3(served: dict[str, Any]) -> None:
    assert served["openapi"].startswith("3.")
    validate_schema(served)  # raises on any violation of the OpenAPI 3 meta-schema


def test_error_envelope_component_lists_every_error_code(served: dict[str, Any]) -> None:
    envelope = served["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["success", "error", "timestamp", "request_id"]
    assert envelope["properties"]["success"] == {"type": "boolean", "enum": [False]}
    error = envelope["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert error["properties"]["code"]["enum"] == [code.value for code in ErrorCode]
    assert "VALIDATION_ERROR" in error["properties"]["code"]["enum"]
    assert "SERVER_ERROR" in error["properties"]["code"]["enum"]
    for code in ErrorCode:
        assert f"`{code.value}`" in served["info"]["description"]


def test_every_operation_documents_the_common_errors_as_the_error_envelope(served: dict[str, Any]) -> None:
    operations = _operations(served)
    assert len(operations) >= 10
    for method, path, operation in operations:
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (method, path, status)
        missing = [status for status in COMMON_ERROR_STATUSES if status not in operation["responses"]]
        assert missing == [], (method, path)


def test_every_success_answer_is_documented_inside_the_envelope(served: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in _operations(served):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or "content" not in response:
                continue
            envelope = _resolve(served, response["content"]["application/json"]["schema"])
            assert {"success", "data", "message", "timestamp", "request_id"} <= set(envelope["required"]), (
                method,
                path,
                status,
            )
            assert _resolve(served, envelope["properties"]["success"])["enum"] == [True]
            checked += 1
    assert checked >= 10


def test_a_paginated_list_documents_its_rows_and_the_pagination_block(served: dict[str, Any]) -> None:
    response = served["paths"]["/api/users"]["get"]["responses"]["200"]
    envelope = _resolve(served, response["content"]["application/json"]["schema"])
    assert envelope["properties"]["data"] == {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
    assert "pagination" in envelope["required"]
    pagination = envelope["properties"]["pagination"]
    assert pagination["required"] == ["page", "per_page", "total", "pages"]
    parameters = {parameter["name"] for parameter in served["paths"]["/api/users"]["get"]["parameters"]}
    assert {"page", "per_page"} <= parameters


def test_each_operation_names_the_credentials_it_accepts(served: dict[str, Any]) -> None:
    schemes = served["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
    paths = served["paths"]
    assert "security" not in paths["/api/auth/login"]["post"]
    assert "security" not in paths["/api/auth/refresh"]["post"]
    # Endpoints for people refuse API keys, so they do not offer them.
    people_only = [{"jwtAuth": []}, {"cookieAuth": []}]
    assert paths["/api/users"]["get"]["security"] == people_only
    assert paths["/api/users/{id}"]["patch"]["security"] == people_only
    assert paths["/api/auth/logout"]["post"]["security"] == people_only


def test_writes_document_conflicts_and_reads_do_not(served: dict[str, Any]) -> None:
    conflict = {"application/json": {"schema": ERROR_REF}}
    for method, path, operation in _operations(served):
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert operation["responses"]["409"]["content"] == conflict, (method, path)
        else:
            assert "409" not in operation["responses"], (method, path)


def test_request_bodies_refuse_unknown_fields_as_the_api_does(served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]
    for name in ("LoginRequest", "UserCreateRequest", "PatchedUserUpdateRequest", "ProductInputRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    # Nested bodies too: a product's variants.
    assert schemas["VariantInputRequest"]["additionalProperties"] is False


def test_unicode_slugs_carry_no_ascii_only_pattern(served: dict[str, Any]) -> None:
    # "çay-bardağı" is a valid brand slug; ECMA-262's \w would call it invalid.
    assert served["components"]["schemas"]["Brand"]["properties"]["slug"] == {
        "type": "string",
        "readOnly": True,
    }
    # An ASCII slug keeps its pattern.
    tenant_slug = served["components"]["schemas"]["TenantSummary"]["properties"]["slug"]
    assert tenant_slug["pattern"] == "^[-a-zA-Z0-9_]+$"
