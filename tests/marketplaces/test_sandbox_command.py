"""manage.py marketplace_sandbox: prints where to connect, serves, and stops after --duration."""

import re
import threading
import time
from io import StringIO

import httpx
import pytest
from django.core.management import CommandError, call_command


def test_command_serves_until_duration_and_prints_the_credentials():
    out = StringIO()  # read while the command still writes to it
    thread = threading.Thread(target=call_command, args=("marketplace_sandbox", "trendyol"),
                              kwargs={"port": 0, "seller_id": "123456", "api_key": "k1", "api_secret": "s1",
                                      "orders": 2, "duration": 1.0, "stdout": out})
    started = time.monotonic()
    thread.start()
    deadline = time.monotonic() + 5
    while "control:" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    lines = out.getvalue().splitlines()
    base_url = re.fullmatch(r"Trendyol sandbox running at (http://127\.0\.0\.1:\d+/integration)", lines[0]).group(1)

    response = httpx.get(base_url + "/order/sellers/123456/orders", auth=("k1", "s1"),
                         headers={"User-Agent": "123456 - SelfIntegration"})
    thread.join(timeout=10)

    assert lines[1:5] == ["  seller id:  123456", "  API key:    k1", "  API secret: s1",
                          "  User-Agent: 123456 - SelfIntegration"]
    assert response.status_code == 200
    assert response.json()["totalElements"] == 2
    assert not thread.is_alive()
    assert time.monotonic() - started >= 1.0
    assert out.getvalue().splitlines()[-1] == "Sandbox stopped after 1 API requests."
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/product/brands")


def test_command_refuses_bad_switches():
    with pytest.raises(CommandError, match="error_rate must be between 0 and 1"):
        call_command("marketplace_sandbox", "trendyol", "--port", "0", "--error-rate", "3", "--duration", "0")
    with pytest.raises(CommandError, match="--duration must not be negative"):
        call_command("marketplace_sandbox", "trendyol", "--duration", "-1")
