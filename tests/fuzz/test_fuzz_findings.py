"""What the fuzzer found, pinned down as plain tests that run on every database."""

import json

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from catalog.models import Product
from catalog.services import products as product_services
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error

pytestmark = pytest.mark.django_db


def _assert_json_404(response) -> None:
    assert_error(response, 404, "NOT_FOUND", message="No API endpoint at this path.")


def test_a_write_to_an_unknown_api_path_is_an_enveloped_404_not_a_csrf_page(client_for, owner):
    # The /api/ catch-all used to run through CSRF protection: an HTML 403 page.
    response = client_for(owner).put("/api/users/abc", {"first_name": "Ann"}, format="json")
    _assert_json_404(response)


def test_an_api_path_with_a_newline_is_an_enveloped_404_not_an_html_page(client_for, owner):
    # The catch-all's `.` stops at a newline; Django's HTML 404 page answered.
    response = client_for(owner).delete("/api/products/1%0A/images/2")
    _assert_json_404(response)


def test_a_nul_character_in_a_free_form_object_is_refused_and_changes_nothing(client_for, owner):
    # PostgreSQL stores \u0000 in no jsonb value: it used to be a 500 there.
    product = product_services.create_product(
        owner.tenant_id, data={"title": "Tee", "attributes": {"colour": "red"}},
        variants=[{"sku": "TEE-M", "price": "19.90"}], actor=owner,
    )  # fmt: skip
    body = json.dumps({"attributes": {"colour": "bl\u0000ue"}})
    response = client_for(owner).patch(f"/api/products/{product.pk}", body, content_type="application/json")
    assert_error(
        response, 400, "VALIDATION_ERROR", details={"attributes": ["Null characters are not allowed."]}
    )
    assert Product.objects.get(pk=product.pk).attributes == {"colour": "red"}


def test_a_nul_character_in_an_object_key_is_refused_too(anon_client, owner):
    audit_rows_before = AuditLog.objects.count()
    body = json.dumps({"username": "alpha-owner", "password": PASSWORD, "\u0000": 1})
    response = anon_client.post("/api/auth/login", body, content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR", details={"\u0000": ["Null characters are not allowed."]})
    assert OutstandingToken.objects.count() == 0  # nobody was logged in
    assert AuditLog.objects.count() == audit_rows_before
