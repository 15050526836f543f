"""The marketplace HTTP client layer against the Trendyol sandbox over real HTTP: auth,
final and retryable errors, back-off, Retry-After, timeouts, dropped connections, the
per-account rate limit shared through the cache (and across processes on Redis), and
credentials kept out of logs."""

import base64
import json
import logging
import math
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from marketplaces.adapters.base import AccountConfig
from marketplaces.client import (
    MarketplaceError,
    MarketplaceHttpClient,
    RateLimitExceeded,
    RetryPolicy,
    parse_retry_after,
)
from tests.marketplaces.conftest import KEY, SECRET, SELLER

FAST = RetryPolicy(max_attempts=4, base_seconds=0.005, max_seconds=0.05)
CATEGORIES = "/product/product-categories"


def make_client(sandbox, *, auth=(KEY, SECRET), user_agent=f"{SELLER} - SelfIntegration", retry=FAST,
                rate_limit="", account_key=None, **kwargs) -> MarketplaceHttpClient:
    headers = {"User-Agent": user_agent} if user_agent else {}
    return MarketplaceHttpClient(sandbox.base_url, account_key=account_key or f"test:{uuid.uuid4().hex}",
                                 auth=auth, headers=headers, retry=retry, rate_limit=rate_limit,
                                 timeout=kwargs.pop("timeout", 5), seed=1, **kwargs)


def align_to_window(period: float = 1.0, margin: float = 0.02) -> None:
    """Start just after a window boundary so a window's grants cluster at its start."""
    now = time.time()
    time.sleep(math.ceil(now / period) * period - now + margin)


def test_basic_auth_and_user_agent_are_sent_and_accepted(sandbox):
    seen = []
    with make_client(sandbox, event_hooks={"request": [seen.append]}) as client:
        body = client.get(CATEGORIES)
    assert [c["name"] for c in body["categories"]] == ["Giyim", "Elektronik", "Ev & Yaşam"]
    assert seen[0].headers["User-Agent"] == "100000 - SelfIntegration"
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert client.stats.requests == 1 and client.stats.attempts == 1 and client.stats.retries == 0
    assert sandbox.request_count == 1


def test_bad_credentials_are_final_401_with_the_marketplace_body(sandbox):
    with make_client(sandbox, auth=(KEY, "wrong-secret")) as client, pytest.raises(MarketplaceError) as caught:
        client.get(CATEGORIES)
    error = caught.value
    assert error.status == 401 and error.retryable is False and error.attempts == 1
    assert error.body["exception"] == "ClientApiAuthenticationException"
    assert error.errors == ["Authentication failed: check the API key and API secret."]
    assert sandbox.request_count == 1  # a 4xx is never retried


@pytest.mark.parametrize("agent", ["", f"{SELLER} - Self Integration", "999 - SelfIntegration"])
def test_wrong_user_agent_is_a_final_403(sandbox, agent):
    # "" sends httpx's own User-Agent; "999" is another seller than the credentials' one.
    with make_client(sandbox, user_agent=agent) as client, pytest.raises(MarketplaceError) as caught:
        client.get(CATEGORIES)
    assert caught.value.status == 403 and caught.value.retryable is False
    assert caught.value.body["exception"] == "ClientApiAuthorizationException"
    assert sandbox.request_count == 1


def test_other_4xx_are_not_retried(sandbox):
    with make_client(sandbox) as client:
        with pytest.raises(MarketplaceError) as caught:
            client.get("/product/categories/403/attributes")  # not a leaf
        assert caught.value.status == 400
        assert caught.value.errors == ["Category 403 is not a leaf category."]
        with pytest.raises(MarketplaceError) as caught:
            client.get("/product/categories/9999/attributes")
        assert caught.value.status == 404
    assert sandbox.request_count == 2
    assert client.stats.retries == 0 and client.stats.failures == 2


def test_5xx_is_retried_up_to_the_attempt_limit(sandbox):
    sandbox.set_faults(error_rate=1.0, seed=3)
    with make_client(sandbox) as client, pytest.raises(MarketplaceError) as caught:
        client.get(CATEGORIES)
    assert caught.value.status in (500, 502, 503, 504)
    assert caught.value.retryable is True and caught.value.attempts == 4
    assert sandbox.request_count == 4
    assert client.stats.attempts == 4 and client.stats.retries == 3 and client.stats.failures == 1


def test_intermittent_faults_are_absorbed_and_counted(sandbox):
    sandbox.set_faults(fail_rate=0.5, retry_after=0, seed=11)  # 429s, 5xx and dropped connections
    with make_client(sandbox, retry=RetryPolicy(max_attempts=12, base_seconds=0.002, max_seconds=0.02)) as client:
        for _ in range(30):
            assert len(client.get(CATEGORIES)["categories"]) == 3
    faults = Counter(r.fault for r in sandbox.requests)
    assert faults["429"] > 0 and faults["5xx"] > 0 and faults["drop"] > 0
    assert client.stats.requests == 30
    assert client.stats.attempts == sandbox.request_count == 30 + client.stats.retries
    assert client.stats.network_errors == faults["drop"]
    assert client.stats.statuses[429] == faults["429"]


def test_retry_after_is_honoured(sandbox):
    sandbox.set_faults(rate_limit_rate=1.0, retry_after=1)
    policy = RetryPolicy(max_attempts=2, base_seconds=0.001, max_seconds=5)
    with make_client(sandbox, retry=policy) as client, pytest.raises(MarketplaceError) as caught:
        started = time.monotonic()
        client.get(CATEGORIES)
    elapsed = time.monotonic() - started
    assert caught.value.status == 429 and caught.value.retryable is True
    assert caught.value.body["exception"] == "TooManyRequestsException"
    assert 1.0 <= elapsed < 1.8  # one wait of exactly Retry-After, not the tiny back-off
    assert sandbox.request_count == 2


def test_retry_after_is_capped(sandbox):
    sandbox.set_faults(rate_limit_rate=1.0, retry_after=30)
    policy = RetryPolicy(max_attempts=3, base_seconds=0.001, max_seconds=0.1)
    with make_client(sandbox, retry=policy) as client, pytest.raises(MarketplaceError):
        started = time.monotonic()
        client.get(CATEGORIES)
    assert 0.2 <= time.monotonic() - started < 1.0  # two waits of the 0.1 s cap
    assert sandbox.request_count == 3


def test_parse_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Fri, 27 Nov 2026 10:00:30 GMT", now=1795773600.0) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_dropped_connections_are_retried_then_reported(sandbox):
    sandbox.set_faults(drop_rate=1.0)
    policy = RetryPolicy(max_attempts=3, base_seconds=0.001, max_seconds=0.01)
    with make_client(sandbox, retry=policy) as client, pytest.raises(MarketplaceError) as caught:
        client.get(CATEGORIES)
    assert caught.value.status is None and caught.value.retryable is True and caught.value.attempts == 3
    assert client.stats.network_errors == 3
    assert sandbox.request_count == 3


def test_slow_answers_time_out_and_are_retried(sandbox):
    sandbox.set_faults(delay=0.6)
    policy = RetryPolicy(max_attempts=2, base_seconds=0.001, max_seconds=0.01)
    with make_client(sandbox, retry=policy, timeout=0.15) as client, pytest.raises(MarketplaceError) as caught:
        started = time.monotonic()
        client.get(CATEGORIES)
    assert time.monotonic() - started < 0.6  # did not wait for the slow answers
    assert caught.value.retryable is True and "ReadTimeout" in caught.value.message
    assert client.stats.attempts == 2 and client.stats.network_errors == 2


def test_rate_limit_is_shared_by_clients_of_the_same_account(sandbox):
    """Two client instances with one account key share 5 requests a second."""
    key = f"shared:{uuid.uuid4().hex}"
    sent = []
    hooks = {"request": [lambda request: sent.append(time.time())]}
    first = make_client(sandbox, rate_limit="5/s", account_key=key, event_hooks=hooks)
    second = make_client(sandbox, rate_limit="5/s", account_key=key, event_hooks=hooks)
    align_to_window()
    started = time.monotonic()
    for index in range(12):
        (first if index % 2 else second).get(CATEGORIES)
    elapsed = time.monotonic() - started
    first.close()
    second.close()
    per_window = Counter(int(t) for t in sent)
    assert sorted(per_window.values()) == [2, 5, 5]
    assert elapsed >= 1.9  # 12 requests at 5 a second need three windows
    assert first.stats.rate_limit_waits + second.stats.rate_limit_waits == 2
    # Another account is not slowed down by this one.
    other = make_client(sandbox, rate_limit="5/s", account_key=f"other:{uuid.uuid4().hex}")
    started = time.monotonic()
    for _ in range(5):
        other.get(CATEGORIES)
    assert time.monotonic() - started < 0.5
    assert other.stats.rate_limit_waits == 0


def test_rate_limit_wait_is_bounded(sandbox):
    with make_client(sandbox, rate_limit="1/min", rate_limit_max_wait=0.5) as client:
        client.get(CATEGORIES)
        started = time.monotonic()
        with pytest.raises(RateLimitExceeded) as caught:
            client.get(CATEGORIES)
    assert time.monotonic() - started < 0.2  # gave up at once: the window opens too late
    assert caught.value.retryable is True and caught.value.path == CATEGORIES and caught.value.status is None
    assert sandbox.request_count == 1  # the second call never went out


WORKER = r"""
import json, sys, time, math, django
django.setup()
from marketplaces.client import MarketplaceHttpClient, RetryPolicy
base_url, key, secret, seller, account_key, count = sys.argv[1:7]
sent = []
client = MarketplaceHttpClient(base_url, account_key=account_key, auth=(key, secret),
                               headers={"User-Agent": f"{seller} - SelfIntegration"}, rate_limit="5/s",
                               retry=RetryPolicy(2, 0.01, 0.05), event_hooks={"request": [lambda r: sent.append(time.time())]})
now = time.time()
time.sleep(math.ceil(now) + 1 - now + 0.02)  # both workers start on the same window boundary
for _ in range(int(count)):
    client.get("/product/product-categories")
print(json.dumps({"sent": sent, "waits": client.stats.rate_limit_waits}))
"""


@pytest.mark.redis
def test_rate_limit_is_shared_across_processes_on_redis(sandbox):
    """Two worker processes pushing for the same account stay within 5 requests a second together."""
    account_key = f"xproc:{uuid.uuid4().hex}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "meschain.settings"}
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, sandbox.base_url, KEY, SECRET, SELLER, account_key, "6"],
                                cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sorted(t for r in results for t in r["sent"])
    per_window = Counter(int(t) for t in sent)
    assert len(sent) == 12 and sandbox.request_count == 12
    assert max(per_window.values()) == 5 and len(per_window) == 3
    assert sum(r["waits"] for r in results) >= 2
    assert sent[-1] - sent[0] > 1.0  # three windows: more than one whole window apart


def test_credentials_never_reach_logs_or_errors(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    with make_client(sandbox) as client:
        client.get(CATEGORIES)
        sandbox.set_faults(fail_rate=1.0, retry_after=0, seed=5)
        with pytest.raises(MarketplaceError):
            client.get(CATEGORIES)
        sandbox.set_faults(fail_rate=0.0)
    with make_client(sandbox, auth=(KEY, "not-the-secret")) as bad, pytest.raises(MarketplaceError) as caught:
        bad.get(CATEGORIES)
    config = AccountConfig("trendyol", SELLER, KEY, SECRET, base_url=sandbox.base_url)
    texts = [caplog.text, str(caught.value), repr(caught.value), json.dumps(caught.value.as_dict()),
             repr(client), repr(config)]
    assert any("marketplace GET /product/product-categories" in r.getMessage() for r in caplog.records)
    for text in texts:
        for secret in (SECRET, KEY, token, "not-the-secret", "Authorization"):
            assert secret not in text
