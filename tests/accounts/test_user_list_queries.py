"""The user list costs a fixed number of queries, however many users it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Role, User
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_ok

pytestmark = pytest.mark.django_db

#: the token's user (1), the caller's permissions (2), count (1), page (1), the page's
#: extra permissions (1) — six today — and one of slack
MAX_QUERIES = 7


def fill_tenant(tenant, total: int) -> None:
    """Users up to `total` in the tenant, every third with an extra permission."""
    owner = User.objects.get(tenant=tenant, role=Role.OWNER)
    for n in range(User.objects.filter(tenant=tenant).count(), total):
        user = services.create_user(
            tenant=tenant, username=f"{tenant.slug}-staff-{n:02d}", email=f"staff{n}@{tenant.slug}.example.com",
            password=PASSWORD, role=Role.OPERATOR if n % 2 else Role.VIEWER,
        )
        if n % 3 == 0:
            services.set_user_access(user, actor=owner, permissions=["accounts.view_user", "meschain.view_auditlog"])


def list_queries(client, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        body = assert_ok(client.get("/api/users", params))
    return len(captured.captured_queries), body


def test_list_query_count_does_not_grow_with_the_users(client_for, owner, tenant_a, make_tenant, django_assert_max_num_queries):
    make_tenant("noise")  # another tenant's rows must not change anything either
    client = client_for(owner)
    fill_tenant(tenant_a, 5)

    with django_assert_max_num_queries(MAX_QUERIES):
        small_count, small = list_queries(client)
    fill_tenant(tenant_a, 30)
    with django_assert_max_num_queries(MAX_QUERIES):
        large_count, large = list_queries(client)

    assert small["pagination"]["total"] == 5
    assert large["pagination"]["total"] == 30
    assert len(large["data"]) == 30
    assert small_count == large_count
    with_perms = [u for u in large["data"] if u["permissions"]]
    assert len(with_perms) == 9
    assert all(u["permissions"] == ["accounts.view_user", "meschain.view_auditlog"] for u in with_perms)


def test_paging_through_the_list_costs_the_same_per_page(client_for, owner, tenant_a):
    fill_tenant(tenant_a, 30)
    client = client_for(owner)

    counts = []
    names: list[str] = []
    for page in (1, 2, 3):
        count, body = list_queries(client, page=page, per_page=10)
        counts.append(count)
        names += [u["username"] for u in body["data"]]

    assert len(set(counts)) == 1
    assert counts[0] <= MAX_QUERIES
    assert names == sorted(User.objects.filter(tenant=tenant_a).values_list("username", flat=True))


def test_superuser_list_across_tenants_is_bounded_too(client_for, superuser, tenant_a, make_tenant, django_assert_max_num_queries):
    fill_tenant(tenant_a, 12)
    fill_tenant(make_tenant("other"), 12)

    with django_assert_max_num_queries(MAX_QUERIES):
        body = assert_ok(client_for(superuser).get("/api/users"))

    assert body["pagination"]["total"] == 25


def test_detail_and_me_are_a_handful_of_queries(client_for, owner, viewer, django_assert_max_num_queries):
    client = client_for(owner)

    with django_assert_max_num_queries(MAX_QUERIES):
        assert_ok(client.get(f"/api/users/{viewer.pk}"))
    with django_assert_max_num_queries(4):
        assert_ok(client.get("/api/users/me"))
