"""Real Celery workers for tests: `celery worker` subprocesses against the test database
and Redis, with our tasks routed to them (not eager)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from kombu import pools as kombu_pools

from meschain.celery import app

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, env: dict[str, str], *, beat: bool = False, name: str = "w1") -> None:
        self.log = Path(tempfile.mkstemp(prefix=f"celery-{name}-", suffix=".log")[1])
        self.schedule = Path(tempfile.mkdtemp(prefix="celery-beat-")) / "schedule"
        command = [sys.executable, "-m", "celery", "-A", "meschain", "worker", "-P", "solo", "-n", f"{name}@%h",
                   "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(self.schedule)]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail("The Celery worker exited:\n" + self.log.read_text())
            if "ready." in self.log.read_text():
                return
            time.sleep(0.2)
        pytest.fail("The Celery worker did not start:\n" + self.log.read_text())

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement — as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        keep = os.environ.get("CELERY_TEST_LOG_DIR")  # keep the worker's log for a post-mortem
        if keep:
            shutil.copy(self.log, Path(keep) / self.log.name)
        self.log.unlink(missing_ok=True)


def _reset_producer_pools() -> None:
    """Celery builds its connection pools on first use (with the eager default broker):
    drop them so the next send connects to the broker configured now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu keeps producer pools per broker URL, process-wide


@contextmanager
def celery_workers(settings: Any, extra_env: dict[str, str] | None = None) -> Iterator[Any]:
    """Route our tasks to Redis; yields start(beat=False, name=…) → Worker. Every worker
    started is stopped on exit."""
    broker = django_settings.REDIS_URL
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": broker, "CELERY_BROKER_URL": broker,
           **(extra_env or {})}  # fmt: skip
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = broker
    app.conf.task_always_eager = False
    _reset_producer_pools()
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    started: list[Worker] = []

    def start(*, beat: bool = False, name: str = "w1") -> Worker:
        worker = Worker(env, beat=beat, name=f"{name}-{len(started)}")
        started.append(worker)
        return worker

    with app.connection_for_write() as conn:  # nothing left over from an earlier test
        conn.default_channel.queue_purge("celery")
    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        app.conf.broker_url, app.conf.task_always_eager = previous
        _reset_producer_pools()
