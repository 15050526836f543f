"""Fault injection: 429 with Retry-After, 5xx, dropped connections and slow answers, repeatable by seed."""

import time

import httpx
import pytest

from marketplaces.sandbox.trendyol import TrendyolSandbox

from .conftest import KEY, SECRET, SELLER, seller_client, valid_item

CATEGORIES = "/product/product-categories"


def _outcomes(seed: int, count: int = 120) -> list[str]:
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, seed=seed, fail_rate=0.3,
                              rate_limits=False).start()
    outcomes = []
    try:
        with seller_client(sandbox) as client:
            for _ in range(count):
                try:
                    response = client.get(CATEGORIES)
                except httpx.RemoteProtocolError:
                    outcomes.append("drop")
                    continue
                if response.status_code == 429:
                    assert response.headers["Retry-After"] == "1"
                    assert response.json()["exception"] == "TooManyRequestsException"
                outcomes.append(str(response.status_code))
        assert [r.status for r in sandbox.requests] == [None if o == "drop" else int(o) for o in outcomes]
    finally:
        sandbox.stop()
    return outcomes


def test_the_same_seed_gives_the_same_faults_and_another_seed_differs():
    first, second, other = _outcomes(7), _outcomes(7), _outcomes(8)

    assert first == second
    assert first != other
    counts = {kind: sum(1 for o in first if o == kind or (kind == "5xx" and o.startswith("5")))
              for kind in ("200", "429", "5xx", "drop")}
    assert counts["200"] + counts["429"] + counts["5xx"] + counts["drop"] == 120
    assert 60 <= counts["200"] <= 100  # about 70 % succeed
    for kind in ("429", "5xx", "drop"):
        assert 4 <= counts[kind] <= 24, counts  # about 10 % each
    assert {o for o in first if o.startswith("5")} <= {"500", "502", "503", "504"}


def test_switches_and_retry_after_can_be_set_through_the_control_endpoint(sandbox: TrendyolSandbox,
                                                                           client: httpx.Client):
    response = httpx.post(sandbox.control_url + "/faults", json={"rate_limit_rate": 1.0, "retry_after": 7, "seed": 3})
    limited = client.get(CATEGORIES)
    httpx.post(sandbox.control_url + "/faults", json={"rate_limit_rate": 0.0, "error_rate": 1.0})
    failing = client.get(CATEGORIES)
    httpx.post(sandbox.control_url + "/faults", json={"error_rate": 0.0})
    fine = client.get(CATEGORIES)

    assert response.json()["faults"]["retry_after"] == 7
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert failing.status_code in (500, 502, 503, 504)
    assert fine.status_code == 200
    assert [r.fault for r in sandbox.requests] == ["429", "5xx", None]
    spread = httpx.post(sandbox.control_url + "/faults", json={"fail_rate": 0.3}).json()["faults"]
    cleared = httpx.post(sandbox.control_url + "/faults", json={"fail_rate": 0}).json()["faults"]
    assert [round(spread[k], 3) for k in ("rate_limit_rate", "error_rate", "drop_rate")] == [0.1, 0.1, 0.1]
    assert [cleared[k] for k in ("rate_limit_rate", "error_rate", "drop_rate")] == [0, 0, 0]
    assert httpx.post(sandbox.control_url + "/faults", json={"error_rate": 2}).status_code == 400
    assert httpx.post(sandbox.control_url + "/faults", json={"bogus": 1}).status_code == 400


def test_a_429_or_5xx_or_early_drop_processes_nothing(sandbox: TrendyolSandbox, client: httpx.Client):
    create = f"/product/sellers/{SELLER}/v2/products"
    for switch in ({"rate_limit_rate": 1.0}, {"error_rate": 1.0}, {"drop_rate": 1.0}):
        sandbox.set_faults(**{"rate_limit_rate": 0.0, "error_rate": 0.0, "drop_rate": 0.0, **switch})
        try:
            response = client.post(create, json={"items": [valid_item("F1")]})
            assert response.status_code >= 429
        except httpx.RemoteProtocolError:
            assert switch == {"drop_rate": 1.0}

    assert sandbox.products() == {}
    assert sandbox.request_count == 3


def test_a_late_drop_processes_the_request_but_loses_the_answer(sandbox: TrendyolSandbox, client: httpx.Client):
    sandbox.set_faults(drop_rate=1.0, drop_phase="after")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/product/sellers/{SELLER}/v2/products", json={"items": [valid_item("F1")]})
    sandbox.set_faults(drop_rate=0.0)

    assert list(sandbox.products()) == ["F1"]
    assert [(r.status, r.fault) for r in sandbox.requests] == [(None, "drop")]


def test_slow_answers_are_delayed():
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, delay=0.25).start()
    try:
        with seller_client(sandbox) as client:
            started = time.monotonic()
            response = client.get(CATEGORIES)
            elapsed = time.monotonic() - started
            with pytest.raises(httpx.ReadTimeout):
                client.get(CATEGORIES, timeout=0.05)
    finally:
        sandbox.stop()

    assert response.status_code == 200
    assert elapsed >= 0.25


def test_rate_limit_429_carries_retry_after_until_the_next_minute(sandbox: TrendyolSandbox, client: httpx.Client):
    sandbox.rate_limits["brands"] = 2
    statuses = [client.get("/product/brands") for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 60


def test_invalid_switches_are_refused():
    with pytest.raises(ValueError):
        TrendyolSandbox(error_rate=1.5)
    with pytest.raises(ValueError):
        TrendyolSandbox(rate_limit_rate=0.6, error_rate=0.6)
    with pytest.raises(ValueError):
        TrendyolSandbox(drop_phase="sometimes")
