"""Gunicorn settings for MesChain: `gunicorn -c deploy/gunicorn.conf.py meschain.wsgi`.

Every value can be changed through the environment (the systemd unit's EnvironmentFile,
or the compose file), without editing this file.
"""

import os
from typing import Any


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Where to listen. nginx proxies to it; keep it on the loopback interface (or a Unix
# socket, "unix:/run/meschain/gunicorn.sock") unless a container network sits between.
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]

# 2 x CPUs + 1 synchronous workers: while one waits on the database another computes.
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1)
threads = _int("GUNICORN_THREADS", 1)

# A request still running after `timeout` seconds gets its worker killed and restarted.
# The longest requests are report exports and the 1C exchange steps (20 s by default).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Headers longer than nginx would pass are refused here too.
limit_request_line = 8190
limit_request_fields = 100

# The proxy's X-Forwarded-* headers are believed from these addresses only. The
# application decides the client address itself (TRUSTED_PROXY_COUNT) and https from
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Heartbeat files in memory, not on a disk that may stall (or be read-only).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Logs: one JSON object a line, like the application's (meschain/logging.py). Access lines
# go to standard output, the server's own messages to standard error.
logger_class = "meschain.accesslog.JsonGunicornLogger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
capture_output = False

proc_name = "meschain"

# The runtime control socket (`gunicornc`) only where asked for, e.g.
# /run/meschain/gunicorn.ctl: its default path in the home folder is shared by every
# instance of the user and is read-only under the systemd unit.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: with PROMETHEUS_MULTIPROC_DIR set, drop its live metric gauges."""
    from meschain.metrics import mark_process_dead

    mark_process_dead(worker.pid)
