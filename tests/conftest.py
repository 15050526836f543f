"""Shared fixtures: tenants, users of every role, API clients, API keys.

Tests run on the embedded defaults (SQLite, local memory) or on PostgreSQL and Redis when
DATABASE_URL / REDIS_URL are set; `.ci/run` runs the suite both ways.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import ApiKey, Role, Tenant, User

PASSWORD = "Correct-Horse-Battery-9"


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("db.backends.postgresql")  # or django_prometheus's


def on_redis() -> bool:
    return "RedisCache" in settings.CACHES["default"]["BACKEND"]


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not on_redis():
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fast_passwords_and_clean_cache(settings: Any, request: Any) -> None:
    """bcrypt at cost 12 takes ~0.3 s a hash: tests use a fast hasher unless marked
    `real_hasher`. The cache (throttle counters, sessions) starts empty each test."""
    if "real_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture(scope="session")
def _test_media_root(tmp_path_factory: Any) -> Any:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _uploads_in_a_temp_dir(settings: Any, _test_media_root: Any) -> None:
    """Files a test uploads (product images) never land in the project's media/."""
    settings.MEDIA_ROOT = str(_test_media_root)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "real_hasher: use the production password hashers")


@pytest.fixture
def make_tenant(db: Any) -> Callable[..., Tenant]:
    counter = {"n": 0}

    def make(slug: str | None = None, name: str | None = None) -> Tenant:
        counter["n"] += 1
        slug = slug or f"tenant-{counter['n']}"
        tenant, _owner = services.create_tenant(
            slug=slug,
            name=name or slug.title(),
            owner_username=f"{slug}-owner",
            owner_email=f"owner@{slug}.example.com",
            owner_password=PASSWORD,
        )
        return tenant

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(tenant: Tenant, role: str = Role.VIEWER, username: str | None = None) -> User:
        username = username or f"{tenant.slug}-{role}"
        if role == Role.OWNER and User.objects.filter(username=username).exists():
            return User.objects.get(username=username)
        return services.create_user(
            tenant=tenant,
            username=username,
            email=f"{username}@example.com",
            password=PASSWORD,
            role=role,
        )

    return make


@pytest.fixture
def tenant_a(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("alpha", "Alpha Store")


@pytest.fixture
def tenant_b(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("bravo", "Bravo Store")


@pytest.fixture
def owner(tenant_a: Tenant) -> User:
    return User.objects.get(username="alpha-owner")


@pytest.fixture
def manager(tenant_a: Tenant, make_user: Callable[..., User]) -> User:
    return make_user(tenant_a, Role.MANAGER)


@pytest.fixture
def operator(tenant_a: Tenant, make_user: Callable[..., User]) -> User:
    return make_user(tenant_a, Role.OPERATOR)


@pytest.fixture
def viewer(tenant_a: Tenant, make_user: Callable[..., User]) -> User:
    return make_user(tenant_a, Role.VIEWER)


@pytest.fixture
def other_owner(tenant_b: Tenant) -> User:
    return User.objects.get(username="bravo-owner")


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client authenticated as `user` with a fresh JWT access token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def make_api_key(db: Any) -> Callable[..., tuple[ApiKey, str]]:
    def make(tenant: Tenant, scopes: list[str] | None = None, **kwargs: Any) -> tuple[ApiKey, str]:
        return services.create_api_key(
            tenant=tenant, name=kwargs.pop("name", "Storefront"), scopes=scopes or ["catalog:read"], **kwargs
        )

    return make


@pytest.fixture
def key_client() -> Callable[[str], APIClient]:
    def make(full_key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=full_key)
        return client

    return make


@pytest.fixture
def admin_client_for() -> Callable[[User], Client]:
    """A browser client logged in to the admin as `user` (a real session cookie)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="accounts.backends.TenantUserBackend")
        return client

    return make
