"""deploy/: gunicorn serves the application with JSON access lines, its worker count follows
the CPUs, and the nginx site agrees with the application's settings."""

import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "meschain.conf"


def _gunicorn_config(monkeypatch, **env: str) -> dict:
    for name in ("GUNICORN_WORKERS", "GUNICORN_BIND", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_runs_two_workers_per_cpu_plus_one_unless_told(monkeypatch):
    default = _gunicorn_config(monkeypatch)
    told = _gunicorn_config(monkeypatch, GUNICORN_WORKERS="3", GUNICORN_BIND="127.0.0.1:9001", GUNICORN_TIMEOUT="90")

    assert default["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert (default["bind"], default["timeout"], default["accesslog"]) == (["127.0.0.1:8000"], 60, "-")
    assert (told["workers"], told["bind"], told["timeout"]) == (3, ["127.0.0.1:9001"], 90)


def test_nginx_site_matches_the_application_settings(settings):
    site = NGINX_SITE.read_text()

    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size[1]) * 1024 * 1024 == 10 * 1024 * 1024 == settings.MAX_UPLOAD_SIZE
    assert 'add_header Referrer-Policy "same-origin" always;' in site
    assert settings.SECURE_REFERRER_POLICY == "same-origin"
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;' in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site  # SECURE_PROXY_SSL_HEADER
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site  # TRUSTED_PROXY_COUNT=1
    assert "return 301 https://$host$request_uri;" in site
    assert f"alias /srv/meschain/{Path(settings.STATIC_ROOT).name}/;" in site


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="needs nginx and openssl")
def test_nginx_accepts_the_site(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=shop.example.com",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (
        NGINX_SITE.read_text()
        .replace("/etc/letsencrypt/live/shop.example.com/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/shop.example.com/privkey.pem", str(tmp_path / "key.pem"))
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/site.conf; }}\n"
    )

    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_the_application_with_json_access_lines(tmp_path):
    port = _free_port()
    drop = {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ENV", "DEBUG", "PYTEST_XDIST_WORKER"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1"
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "meschain.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"X-Request-ID": "deploy-check-1"})
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = (response.status, json.loads(response.read()), response.headers["X-Request-ID"])
            except OSError:
                time.sleep(0.3)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)

    assert answer == (200, {"status": "ok"}, "deploy-check-1"), stderr
    access = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert [(a["logger"], a["method"], a["path"], a["status"], a["request_id"]) for a in access] == [
        ("gunicorn.access", "GET", "/health", 200, "deploy-check-1")
    ]
    assert access[0]["message"] == "GET /health 200" and access[0]["duration_ms"] >= 0
    server_lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["message"].startswith("Listening at: http://127.0.0.1:") for line in server_lines)
