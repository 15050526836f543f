"""A storefront key is looked up once and then served from the cache — but revoking it
takes effect on the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services

pytestmark = pytest.mark.django_db


def test_cached_key_costs_no_lookup_and_revocation_is_immediate(tenant_a, owner, make_api_key, key_client):
    key, secret = make_api_key(tenant_a, ["catalog:read"])
    client = key_client(secret)
    assert client.get("/api/products").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/products").status_code == 200
    assert not [q for q in queries.captured_queries if "accounts_apikey" in q["sql"]]

    services.revoke_api_key(key, actor=owner)

    refused = client.get("/api/products")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AUTHENTICATION_FAILED"
