"""Fuzzes every operation of the served OpenAPI schema with schemathesis.

Each operation runs twice: as a tenant owner (JWT Bearer) and as a storefront API key
holding every scope. A case passes when the answer is not a 500 and conforms to the
schema: a documented status code, a documented content type, and a body that matches
the documented envelope (success or ErrorEnvelope).

The fuzzer aims at real rows as well as made-up ones: path ids and id fields of bodies are
drawn sometimes from the rows of a small world (the owner's tenant and another tenant),
and the auth bodies sometimes carry real credentials or a live refresh token. Every case runs in a savepoint
that is rolled back, with freshly minted credentials, so what one case changes (a logout,
a new role, a suspended owner, a deleted row) never makes a later case fail.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from django.test import override_settings
from django.test.client import ClientHandler
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from accounts.models import Role, User
from catalog.services import products as product_services
from catalog.services import stock as stock_services
from catalog.services import taxonomy
from marketplaces import services as marketplace_services
from marketplaces.sandbox.trendyol import TrendyolSandbox
from orders import services as order_services
from tests.conftest import PASSWORD
from webhooks import services as webhook_services

# PostgreSQL is where bad input meets real constraints (NUL bytes, integer ranges, text
# lengths, row locks), so the fuzzer runs in CI's PostgreSQL pass.
pytestmark = [pytest.mark.fuzz, pytest.mark.postgres, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FRESH_REFRESH_TOKEN = "<a fresh refresh token of the owner>"


class DjangoTestApp:
    """Serves Django over WSGI the way its test client does: inside the test's database
    transaction, without closing the connection at the end of each request."""

    def __init__(self) -> None:
        self.handler = ClientHandler(enforce_csrf_checks=True)

    def __call__(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        response = self.handler(environ)
        headers = list(response.items())
        headers += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        if response.streaming:
            return iter(response.streaming_content)
        return iter([response.content])


schema = schemathesis.openapi.from_wsgi("/api/schema/", DjangoTestApp())
# Credentials are set per case below; random Authorization headers would only mask them.
schema.config.generation.update(with_security_parameters=False)
# The schema's examples, then hypothesis-driven fuzzing bounded by max_examples (below).
# The coverage phase is left out: it is not bounded by max_examples (hundreds of cases for
# a wide body) and does not aim at real rows, so it would cost most of the run for little.
schema.config.phases.update(phases=["examples", "fuzzing"])

# Ids of real rows per collection path ("/api/users" → [3, 4, …]), filled by `world`.
_real_ids: dict[str, list[int]] = {}


def _collection_of(path: str, parameter: str) -> str | None:
    """`/api/webhooks/{id}/deliveries`, `id` → `/api/webhooks`."""
    prefix = path.split("/{" + parameter + "}", 1)[0]
    return None if "{" in prefix or prefix == path else prefix


@schema.hook
def flatmap_path_parameters(ctx: schemathesis.HookContext, path_parameters: dict | None) -> Any:
    """Sometimes aim a path id at a real row: the caller's own, or another tenant's."""
    if not path_parameters or ctx.operation is None:
        return st.just(path_parameters)
    choices = [st.just(path_parameters)]
    for name in path_parameters:
        ids = _real_ids.get(_collection_of(ctx.operation.path, name) or "")
        if ids:
            choices.append(st.sampled_from(ids).map(lambda pk, name=name: {**path_parameters, name: pk}))
    return st.one_of(choices)


def _ids_named(field: str) -> list[int]:
    """Real ids a body field of this name may carry: `brand` or `brand_id` → the brands',
    `category_id` → the categories', `variant_id` → the variants' (listed in products)."""
    noun = field.removesuffix("_ids").removesuffix("_id")
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return [
        pk
        for collection, ids in _real_ids.items()
        if collection.rsplit("/", 1)[-1] in (plural, f"marketplace-{plural}")  # `account` → its accounts
        for pk in ids
    ]


_AIMED_ITEMS = 3  # items of a list that may be aimed; a 10,000-row body stays cheap to draw


def _aimed(value: Any) -> st.SearchStrategy:
    """`value`, or a copy whose id fields sometimes name real rows."""
    if isinstance(value, dict):
        parts = {}
        for field, item in value.items():
            ids = _ids_named(field) if isinstance(field, str) else []
            parts[field] = st.one_of(st.just(item), st.sampled_from(ids)) if ids else _aimed(item)
        return st.fixed_dictionaries(parts)
    if isinstance(value, list) and value:
        head, rest = value[:_AIMED_ITEMS], value[_AIMED_ITEMS:]
        return st.tuples(*(_aimed(item) for item in head)).map(lambda aimed: [*aimed, *rest])
    return st.just(value)


@schema.hook
def flatmap_body(ctx: schemathesis.HookContext, body: Any) -> Any:
    """Sometimes send what a real client sends: valid credentials, a live refresh token,
    ids of real rows."""
    path = ctx.operation.path if ctx.operation is not None else ""
    if path.endswith("/auth/login"):
        return st.one_of(st.just(body), st.just({"username": "alpha-owner", "password": PASSWORD}))
    if path.endswith(("/auth/refresh", "/auth/logout")):
        return st.one_of(st.just(body), st.just({"refresh": FRESH_REFRESH_TOKEN}))
    return _aimed(body)


def _harvest(client: APIClient, collection: str) -> None:
    """Record the ids a list endpoint shows, and those of rows nested in them (a
    product's variants are recorded under `/api/products/variants`)."""
    response = client.get(collection, {"per_page": 200})
    if response.status_code != 200:
        return
    for row in response.json()["data"]:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            continue
        _real_ids.setdefault(collection, []).append(row["id"])
        for field, nested in row.items():
            if isinstance(nested, list) and nested and all(isinstance(item, dict) for item in nested):
                ids = [item["id"] for item in nested if isinstance(item.get("id"), int)]
                _real_ids.setdefault(f"{collection}/{field}", []).extend(ids)


@dataclass
class World:
    owner: User
    api_key: str  # holds every scope
    ids: dict[str, list[int]]  # real ids per collection path


def _build_world(marketplace_url: str) -> World:
    alpha, owner = account_services.create_tenant(
        slug="alpha", name="Alpha Store", owner_username="alpha-owner", owner_email="owner@alpha.example.com",
        owner_password=PASSWORD,
    )  # fmt: skip
    _bravo, other_owner = account_services.create_tenant(
        slug="bravo", name="Bravo Store", owner_username="bravo-owner", owner_email="owner@bravo.example.com",
        owner_password=PASSWORD,
    )  # fmt: skip
    for role in (Role.MANAGER, Role.OPERATOR, Role.VIEWER):
        account_services.create_user(
            tenant=alpha,
            username=f"alpha-{role}",
            email=f"{role}@alpha.example.com",
            password=PASSWORD,
            role=role,
        )
    _key, api_key = account_services.create_api_key(
        tenant=alpha, name="Storefront", scopes=list(account_services.API_KEY_SCOPES)
    )
    for user in (owner, other_owner):
        tenant_id, slug = user.tenant_id, user.tenant.slug
        endpoint, _secret = webhook_services.create_endpoint(
            tenant=user.tenant, url=f"https://hooks.{slug}.example.com/meschain", event_types=["order.created"],
            actor=user,
        )  # fmt: skip
        webhook_services.send_test(endpoint, actor=user)
        brand = taxonomy.save_brand(tenant_id, name=f"{slug} brand", actor=user)
        category = taxonomy.save_category(tenant_id, name=f"{slug} category", actor=user)
        taxonomy.save_warehouse(tenant_id, code=f"{slug}-2", name=f"{slug} second warehouse", actor=user)
        product = product_services.create_product(
            tenant_id, data={"title": f"{slug} tee", "brand_id": brand.pk, "category_id": category.pk},
            variants=[{"sku": f"{slug}-TEE-M", "price": "19.90"}], actor=user,
        )  # fmt: skip
        stock_services.adjust(tenant_id, product.variants.get().pk, delta=5, actor=user)
        order_services.place_order(  # rows for the reports
            tenant_id, channel="import", lines=[{"sku": f"{slug}-TEE-M", "quantity": 1, "unit_price": "19.90"}],
            actor=user,
        )  # fmt: skip
        account = marketplace_services.connect_account(
            tenant=user.tenant, marketplace="trendyol", name=f"{slug} Trendyol", actor=user, base_url=marketplace_url,
            credentials={"seller_id": "100000", "api_key": "sandbox-api-key", "api_secret": "sandbox-api-secret"},
        )  # fmt: skip
        marketplace_services.ensure_listing(account, product.variants.get())
        marketplace_services.request_sync(account, "stock_price", actor=user)

    collections = {
        operation.path
        for result in schema.get_all_operations()
        for operation in [result.ok()]
        if operation.method.upper() == "GET" and "{" not in operation.path
    }
    _real_ids.clear()
    for user in (owner, other_owner):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        for collection in sorted(collections):
            _harvest(client, collection)
    return World(owner=owner, api_key=api_key, ids=_real_ids)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The rows the fuzzer aims at, in the owner's tenant and in another one: users of
    every role, a webhook endpoint with a delivery, a brand, a category, a warehouse, a
    product with a variant in stock. A new resource gets a row here; its ids are then
    picked up from its list endpoint with no further change.

    Built once for the module in a transaction that is rolled back at the end; each
    test, and each case in it, runs in a savepoint inside it."""
    sandbox = TrendyolSandbox(seller_id="100000").start()  # the accounts talk to it, never to Trendyol
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            API_THROTTLE_RATE="100000/min",  # the fuzzer is fast; throttling has its own tests
            WEBHOOK_ALLOW_PRIVATE_NETWORKS=True,  # no DNS look-ups of fuzzed host names
        ),
        transaction.atomic(),
    ):
        try:
            yield _build_world(sandbox.base_url)
        finally:
            transaction.set_rollback(True)
            sandbox.stop()


@pytest.fixture(params=["owner-jwt", "storefront-api-key"])
def credentials(request: Any, world: World) -> Callable[[], dict[str, str]]:
    """Fresh credential headers for each case."""
    if request.param == "owner-jwt":
        return lambda: {"Authorization": f"Bearer {RefreshToken.for_user(world.owner).access_token}"}
    return lambda: {"X-API-Key": world.api_key}


def test_the_world_gives_the_fuzzer_real_rows_to_aim_at(world: World) -> None:
    assert len(world.ids["/api/users"]) == 5  # four of alpha, one of bravo
    assert len(world.ids["/api/webhooks"]) == 2
    assert len(world.ids["/api/products"]) == 2
    assert len(world.ids["/api/products/variants"]) == 2
    assert len(world.ids["/api/warehouses"]) == 4  # each tenant's default and second
    assert _ids_named("variant_id") == world.ids["/api/products/variants"]
    assert _ids_named("category") == world.ids["/api/categories"]
    assert len(world.ids["/api/marketplace-accounts"]) == 2
    assert len(world.ids["/api/listings"]) == 2
    assert len(world.ids["/api/sync/status"]) == 2
    assert _ids_named("account") == world.ids["/api/marketplace-accounts"]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, credentials: Callable[[], dict[str, str]], world: World
) -> None:
    if isinstance(case.body, dict) and case.body.get("refresh") == FRESH_REFRESH_TOKEN:
        case.body = {**case.body, "refresh": str(RefreshToken.for_user(world.owner))}
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
    case.headers = {**headers, **credentials()}
    with transaction.atomic():
        response = case.call()
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)
