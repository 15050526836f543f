"""Rate limits: one counter per user, per API key, per anonymous IP, shared by every
process (through Redis when REDIS_URL is set)."""

import time

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from meschain.api.throttling import parse_rate
from tests.meschain.envelope_asserts import assert_error, assert_ok
from tests.meschain.probe_urls import PROBE

pytestmark = pytest.mark.django_db

# Hour-long windows: a window boundary cannot fall inside a test and reset a counter.
RATE = "3/hour"


@pytest.fixture
def low_rate(settings):
    settings.API_THROTTLE_RATE = RATE


def assert_throttled(response, *, longest_wait: int = 3600) -> int:
    body = assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= longest_wait
    assert body["error"]["message"] == f"Too many requests. Try again in {retry_after} seconds."
    return retry_after


def bogus_refresh(client: APIClient):
    return client.post("/api/auth/refresh", {"refresh": "not-a-token"}, format="json")


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("60/min", (60, 60)), ("3/s", (3, 1)), ("10/hour", (10, 3600)), ("1000/day", (1000, 86400))],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


def test_fourth_request_of_a_user_is_rate_limited_for_the_rest_of_the_minute(client_for, owner, settings):
    settings.API_THROTTLE_RATE = "3/min"
    if 60 - time.time() % 60 < 1:  # too close to a window boundary: start in the next one
        time.sleep(60 - time.time() % 60 + 0.01)
    client = client_for(owner)
    for _ in range(3):
        assert_ok(client.get("/api/users/me"))

    assert_throttled(client.get("/api/users/me"), longest_wait=60)
    assert_throttled(client.get("/api/users"), longest_wait=60)  # every endpoint shares the counter


def test_user_counter_is_per_user(client_for, owner, viewer, low_rate):
    owner_client = client_for(owner)
    for _ in range(3):
        assert_ok(owner_client.get("/api/users/me"))
    assert_throttled(owner_client.get("/api/users/me"))

    viewer_client = client_for(viewer)
    for _ in range(3):
        assert_ok(viewer_client.get("/api/users/me"))
    assert_throttled(viewer_client.get("/api/users/me"))


def test_user_counter_follows_the_user_across_tokens_and_addresses(client_for, owner, low_rate):
    first = client_for(owner)
    second = APIClient(REMOTE_ADDR="10.9.8.7")
    second.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(owner).access_token}")

    assert_ok(first.get("/api/users/me"))
    assert_ok(second.get("/api/users/me"))
    assert_ok(first.get("/api/users/me"))

    assert_throttled(second.get("/api/users/me"))
    assert_throttled(first.get("/api/users/me"))


def test_anonymous_counter_is_per_ip(low_rate):
    here = APIClient(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        assert_error(bogus_refresh(here), 401, "AUTHENTICATION_FAILED")
    assert_throttled(bogus_refresh(here))

    there = APIClient(REMOTE_ADDR="10.0.0.2")
    assert_error(bogus_refresh(there), 401, "AUTHENTICATION_FAILED")


def test_a_user_is_not_throttled_by_anonymous_traffic_from_the_same_ip(client_for, owner, low_rate):
    anonymous = APIClient()
    for _ in range(4):
        bogus_refresh(anonymous)
    assert_throttled(bogus_refresh(anonymous))

    assert_ok(client_for(owner).get("/api/users/me"))


def test_login_is_throttled_per_ip(anon_client, owner, low_rate):
    for _ in range(3):
        anon_client.post("/api/auth/login", {"username": "alpha-owner"}, format="json")

    response = anon_client.post(
        "/api/auth/login", {"username": "alpha-owner", "password": "Correct-Horse-Battery-9"}, format="json"
    )

    assert_throttled(response)


def test_forwarded_for_is_ignored_without_trusted_proxies(low_rate):
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    for hop in range(3):
        bogus_refresh_from = client.post(
            "/api/auth/refresh", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{hop}"
        )
        assert_error(bogus_refresh_from, 401, "AUTHENTICATION_FAILED")

    spoofed = client.post(
        "/api/auth/refresh", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )

    assert_throttled(spoofed)


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(low_rate, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = APIClient(REMOTE_ADDR="10.0.0.254")
    for _ in range(3):
        proxy.post("/api/auth/refresh", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.1")
    first = proxy.post("/api/auth/refresh", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert_throttled(first)

    other = proxy.post("/api/auth/refresh", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert_error(other, 401, "AUTHENTICATION_FAILED")


@pytest.mark.urls("tests.meschain.probe_urls")
def test_api_key_counter_is_per_key(tenant_a, make_api_key, key_client, low_rate):
    _key, first_secret = make_api_key(tenant_a, name="Shop one")
    _other, second_secret = make_api_key(tenant_a, name="Shop two")
    first = key_client(first_secret)
    for _ in range(3):
        assert_ok(first.get(PROBE))
    assert_throttled(first.get(PROBE))

    second = key_client(second_secret)
    for _ in range(3):
        assert_ok(second.get(PROBE))
    assert_throttled(second.get(PROBE))


def test_throttled_request_changes_nothing(client_for, owner, viewer, low_rate):
    client = client_for(owner)
    for _ in range(3):
        client.get("/api/users/me")

    response = client.patch(f"/api/users/{viewer.pk}", {"first_name": "Late"}, format="json")

    assert_throttled(response)
    viewer.refresh_from_db()
    assert viewer.first_name == ""


def test_counter_starts_again_in_the_next_window(client_for, owner, settings):
    settings.API_THROTTLE_RATE = "1/s"
    if 1 - time.time() % 1 < 0.2:  # too close to the next second: start in it
        time.sleep(1 - time.time() % 1 + 0.01)
    client = client_for(owner)
    assert_ok(client.get("/api/users/me"))
    assert_throttled(client.get("/api/users/me"), longest_wait=1)

    time.sleep(1 - time.time() % 1 + 0.01)

    assert_ok(client.get("/api/users/me"))


@pytest.mark.redis
def test_counter_lives_in_redis_and_is_shared_by_every_process(client_for, owner, low_rate):
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    client = client_for(owner)
    assert_ok(client.get("/api/users/me"))

    keys = redis.keys(f"*throttle:user:{owner.pk}:*")
    assert len(keys) == 1
    assert int(redis.get(keys[0])) == 1
    assert 0 < redis.ttl(keys[0]) <= 3601

    # Another worker process serves two requests of the same user: it increments the
    # same Redis counter, and this process sees the limit reached.
    redis.incrby(keys[0], 2)

    assert_throttled(client.get("/api/users/me"))
    assert int(redis.get(keys[0])) == 4


@pytest.mark.redis
def test_two_clients_of_one_user_share_the_redis_counter(client_for, owner, low_rate):
    from django_redis import get_redis_connection

    first, second = client_for(owner), client_for(owner)
    assert_ok(first.get("/api/users/me"))
    assert_ok(second.get("/api/users/me"))
    assert_ok(first.get("/api/users/me"))

    assert_throttled(second.get("/api/users/me"))
    keys = get_redis_connection("default").keys(f"*throttle:user:{owner.pk}:*")
    assert [int(get_redis_connection("default").get(k)) for k in keys] == [4]
