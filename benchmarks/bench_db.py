"""What the database benchmarks share: their own PostgreSQL database, recreated per run
(BENCH_DATABASE_URL, else a default name on the local PostgreSQL), and a Redis database."""

import os
import subprocess


def use_bench_database(default_name: str, *, redis_db: int = 13) -> str:
    """Point this process's settings at the benchmark's database; returns its URL."""
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_name}")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meschain.settings")
    return url


def recreate_database(url: str) -> None:
    """Drop and create the database named by `url` (only a benchmark's own)."""
    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate {name!r}: a benchmark database's name contains 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
