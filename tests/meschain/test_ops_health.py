"""/health and /ready as a load balancer sees them, against real components that stop."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }


@pytest.fixture
def temporary_redis() -> Iterator[tuple[subprocess.Popen, str]]:
    """A redis-server of our own on a free port, so the test may stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: cannot start and stop a real Redis")
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no"]
    process = subprocess.Popen(
        [*command, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the temporary redis-server did not start")
        time.sleep(0.05)
    try:
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_health_answers_while_the_process_lives():
    response = Client().get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Request-ID"].startswith("req_")


def test_health_is_get_only():
    assert Client().post("/health").status_code == 405


def test_ready_checks_database_and_cache(settings):
    settings.CELERY_BROKER_URL = ""

    response = Client().get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_ready_turns_503_when_redis_stops(settings, temporary_redis):
    process, url = temporary_redis
    settings.CACHES = _redis_cache(url)
    settings.CELERY_BROKER_URL = url.replace("/0", "/1")

    up = Client().get("/ready")
    assert up.status_code == 200
    assert up.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}

    process.terminate()
    process.wait(timeout=10)
    started = time.monotonic()
    down = Client().get("/ready")
    elapsed = time.monotonic() - started

    assert down.status_code == 503
    assert down.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "error", "broker": "error"},
        "message": "Not ready: broker, cache unavailable.",
    }
    assert elapsed < 3


def test_ready_names_the_cache_alone_when_only_the_cache_is_down(settings, temporary_redis):
    process, url = temporary_redis
    settings.CACHES = _redis_cache(url)
    settings.CELERY_BROKER_URL = ""
    assert Client().get("/ready").status_code == 200

    process.terminate()
    process.wait(timeout=10)
    response = Client().get("/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error"}
    assert response.json()["message"] == "Not ready: cache unavailable."


def test_ready_names_an_unreachable_broker_quickly(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"

    started = time.monotonic()
    response = Client().get("/ready")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "error"}
    assert response.json()["message"] == "Not ready: broker unavailable."
    assert elapsed < 2
