"""Production settings: `check --deploy` is clean, and missing secrets stop the start."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

from meschain.crypto import generate_key

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # each test starts Django in a subprocess


def _production_env(**overrides: str) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_SSL_REDIRECT"}}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        ENCRYPTION_KEYS=f"k2:{generate_key()},k1:{generate_key()}",
        ALLOWED_HOSTS="shop.example.com,admin.example.com",
        CSRF_TRUSTED_ORIGINS="https://admin.example.com",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_reports_a_weak_secret_key():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env(SECRET_KEY="too-short")
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize("variable", ["SECRET_KEY", "ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_secret(variable):
    result = _manage("check", env=_production_env(**{variable: ""}))

    assert result.returncode != 0
    assert f"{variable} must be set when DJANGO_ENV=production." in result.stderr
    assert "System check identified" not in result.stdout
