"""HTTP load benchmark of the MesChain API, next to the ceilings measured in the same run.

    .venv/bin/python benchmarks/run_load.py [--duration 10] [--results benchmarks/RESULTS.md]

What it does, every run bounded and on 127.0.0.1 only:

1. creates the PostgreSQL database named by DATABASE_URL when it is missing, migrates it,
   loads a generated data set (tenants "bench-…" with a few hundred users each, written
   with bulk_create) and runs VACUUM ANALYZE (autovacuum may be off);
2. issues JWTs in-process: access tokens, a pool of refresh tokens (each refresh rotates
   and blacklists its token, so every request needs a fresh one) and login bodies;
3. counts the SQL queries one request of each endpoint runs (Django test client);
4. serves ``benchmarks/ceiling_wsgi.py`` and the application side by side under
   gunicorn (sync workers) and drives each endpoint with wrk from a separate process,
   with Lua scripts written to a temporary folder; each application endpoint is measured
   right after a few seconds of the bare Django view, and the CPU time other processes
   took meanwhile is recorded;
5. prints one table: requests/s, p50/p95/p99 latency, errors, the ratio to the bare
   Django view measured alongside, SQL statements per request and the other processes'
   share of the CPUs; ``--results FILE`` also writes it as Markdown.

gunicorn is always terminated, also on Ctrl-C or SIGTERM. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/meschain_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
PORTS = range(8500, 8600)
HOST = "127.0.0.1"
SLUG_PREFIX = "bench-"
PASSWORD = "Bench-Load-Password-2026"
#: high enough that the throttle never answers 429, low enough that it still counts
#: (the counter round trips to Redis are part of every API request's real cost)
THROTTLE_RATE = "1000000000/min"
#: a row measured while other processes took this share of the CPUs gets a warning
OTHERS_WARNING = 0.05

# --- wrk Lua -----------------------------------------------------------------
# Shared by every endpoint: numbers the threads, counts non-2xx answers per thread
# and prints the summary as one JSON line that run_load.py parses.
LUA_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

non2xx = 0
exhausted = 0
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function read_pool(path, nthreads)
  local pool, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % nthreads == id then pool[#pool + 1] = line end
      i = i + 1
    end
  end
  return pool
end

function done(summary, latency, requests)
  local bad, empty = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    empty = empty + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d, "status": %d, "non2xx": %d, "exhausted": %d, "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    bad, empty, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""

# GET with a bearer token, cycling through a pool (args: file, threads).
LUA_BEARER_GET = r"""
local pool, pos = {}, 0
function init(args)
  pool = read_pool(args[1], tonumber(args[2]))
end
function request()
  pos = pos % #pool + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. pool[pos]})
end
"""

# POST a JSON body, cycling through a pool of bodies (args: file, threads).
LUA_POST_CYCLE = r"""
local pool, pos = {}, 0
function init(args)
  pool = read_pool(args[1], tonumber(args[2]))
end
function request()
  pos = pos % #pool + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, pool[pos])
end
"""

# POST a JSON body, each one used ONCE (refresh tokens are rotated and blacklisted on
# use). When a thread runs out it resends its last body (a counted error) and says so.
LUA_POST_ONCE = r"""
local pool, pos = {}, 0
function init(args)
  pool = read_pool(args[1], tonumber(args[2]))
end
function request()
  pos = pos + 1
  local body = pool[pos]
  if body == nil then
    exhausted = exhausted + 1
    body = pool[#pool]
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


@dataclass
class Endpoint:
    key: str
    label: str
    server: str  # "ceiling" or "app"
    method: str
    path: str
    lua: str = ""  # extra Lua; empty = a static GET
    pool: str = ""  # name of the pool file the Lua reads
    low_concurrency: bool = False
    warmup: bool = True


ENDPOINTS = [
    Endpoint("raw", "raw WSGI callable, no Django", "ceiling", "GET", "/bench/raw"),
    Endpoint("ceiling", "bare Django view, no middleware", "ceiling", "GET", "/bench/ceiling"),
    Endpoint("health", "GET /health (full middleware)", "app", "GET", "/health"),
    Endpoint("me", "GET /api/users/me (JWT)", "app", "GET", "/api/users/me", LUA_BEARER_GET, "access"),
    Endpoint("users", "GET /api/users (page of 50)", "app", "GET", "/api/users", LUA_BEARER_GET, "access"),
    Endpoint(
        "refresh",
        "POST /api/auth/refresh",
        "app",
        "POST",
        "/api/auth/refresh",
        LUA_POST_ONCE,
        "refresh",
        warmup=False,
    ),
    Endpoint(
        "login",
        "POST /api/auth/login (bcrypt)",
        "app",
        "POST",
        "/api/auth/login",
        LUA_POST_CYCLE,
        "login",
        low_concurrency=True,
        warmup=False,
    ),
]
ENDPOINT_KEYS = [e.key for e in ENDPOINTS]


@dataclass
class Result:
    endpoint: Endpoint
    connections: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    exhausted: int = 0
    queries: int | None = None
    ratio: float | None = None
    all_rps: list[float] = field(default_factory=list)
    #: share of all CPUs' time other processes used while this was measured
    others_cpu: float = 0.0
    #: req/s of the bare Django view measured just before this row
    ceiling_rps: float | None = None
    #: server CPU time per request (gunicorn workers, PostgreSQL, Redis), in ms
    cpu_ms: float | None = None
    #: the same for the bare Django view measured just before this row
    ceiling_cpu_ms: float | None = None
    cpu_ratio: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class BenchmarkError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- Database ----------------------------------------------------------------


def ensure_database(database_url: str, *, recreate: bool) -> None:
    """Create the benchmark database when missing (drop it first with --recreate)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchmarkError("DATABASE_URL must name a PostgreSQL database (postgres://…).")
    name = parts.path.lstrip("/")
    if not name:
        raise BenchmarkError("DATABASE_URL names no database.")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            if "bench" not in name:
                raise BenchmarkError(
                    f"--recreate only drops a database whose name contains 'bench', not {name!r}."
                )
            log(f"dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meschain.settings")
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", interactive=False, verbosity=0)


def load_data(tenants: int, users_per_tenant: int) -> None:
    """`tenants` tenants "bench-NN" with `users_per_tenant` users each (one owner, ~5 %
    managers, ~45 % operators, the rest viewers; one operator in five has two extra
    permissions). Reused when an earlier run left exactly this data set."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.models import Role, Tenant, User

    bench_tenants = Tenant.objects.filter(slug__startswith=SLUG_PREFIX)
    bench_users = User.objects.filter(tenant__slug__startswith=SLUG_PREFIX)
    # refresh tokens of earlier runs: keep the token tables the same size run to run
    OutstandingToken.objects.filter(user__in=bench_users).delete()
    if bench_tenants.count() == tenants and bench_users.count() == tenants * users_per_tenant:
        log(f"reusing the data set: {tenants} tenants x {users_per_tenant} users")
        return
    started = time.perf_counter()
    with transaction.atomic():
        bench_users.delete()
        bench_tenants.delete()
        groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
        extra = list(
            Permission.objects.filter(
                content_type__app_label="accounts", codename__in=["add_user", "change_user"]
            )
        )
        password_hash = make_password(PASSWORD)  # one bcrypt; every user shares it
        tenant_rows = Tenant.objects.bulk_create(
            Tenant(slug=f"{SLUG_PREFIX}{n:02d}", name=f"Benchmark seller {n:02d}")
            for n in range(1, tenants + 1)
        )
        users: list[User] = []
        for tenant in tenant_rows:
            for i in range(users_per_tenant):
                if i == 0:
                    role = Role.OWNER
                elif i % 20 == 1:
                    role = Role.MANAGER
                elif i % 2 == 0:
                    role = Role.OPERATOR
                else:
                    role = Role.VIEWER
                username = f"{tenant.slug}-u{i:04d}"
                users.append(
                    User(
                        tenant=tenant,
                        username=username,
                        email=f"{username}@bench.example.com",
                        first_name=f"First{i}",
                        last_name=f"Last{i}",
                        role=role,
                        is_staff=True,
                        password=password_hash,
                    )
                )
        users = User.objects.bulk_create(users, batch_size=2000)
        memberships = [User.groups.through(user_id=u.pk, group_id=groups[u.role].pk) for u in users]
        User.groups.through.objects.bulk_create(memberships, batch_size=5000)
        grants = [
            User.user_permissions.through(user_id=u.pk, permission_id=p.pk)
            for n, u in enumerate(users)
            if u.role == Role.OPERATOR and n % 10 == 0
            for p in extra
        ]
        User.user_permissions.through.objects.bulk_create(grants, batch_size=5000)
    log(f"loaded {len(tenant_rows)} tenants, {len(users)} users in {time.perf_counter() - started:.1f} s")


def vacuum_analyze() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")


# --- Tokens and request pools -----------------------------------------------


def sample_users(count: int) -> list[Any]:
    """Active users spread over every bench tenant and role."""
    from accounts.models import User

    users = list(User.objects.filter(tenant__slug__startswith=SLUG_PREFIX).order_by("pk"))
    if not users:
        raise BenchmarkError("no benchmark users were loaded")
    step = max(1, len(users) // count)
    return users[::step][:count]


def write_pools(folder: Path, *, refresh_count: int, runs: int = 1) -> dict[str, Path]:
    """Writes one file per pool, one item a line: access tokens, login bodies, refresh
    bodies (their OutstandingToken rows inserted as a login would have), the refresh
    bodies split into one file per run ("refresh0", "refresh1", …): each is used once."""
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
    from rest_framework_simplejwt.utils import datetime_from_epoch

    users = sample_users(64)
    access = [str(AccessToken.for_user(u)) for u in users]
    login = [json.dumps({"username": u.username, "password": PASSWORD}) for u in users]

    started = time.perf_counter()
    refresh_bodies: list[str] = []
    rows: list[OutstandingToken] = []
    for n in range(refresh_count):
        user = users[n % len(users)]
        token = RefreshToken()
        token[api_settings.USER_ID_CLAIM] = str(user.pk)
        encoded = str(token)
        refresh_bodies.append(json.dumps({"refresh": encoded}))
        rows.append(
            OutstandingToken(
                user=user,
                jti=token[api_settings.JTI_CLAIM],
                token=encoded,
                created_at=token.current_time,
                expires_at=datetime_from_epoch(token["exp"]),
            )
        )
    OutstandingToken.objects.bulk_create(rows, batch_size=5000)
    log(f"issued {refresh_count} refresh tokens in {time.perf_counter() - started:.1f} s")

    # the first refresh token is kept for count_queries, outside the pools wrk uses up
    pools = {"access": access, "login": login, "refresh_check": refresh_bodies[:1]}
    share = max(1, (len(refresh_bodies) - 1) // runs)
    for run in range(runs):
        pools[f"refresh{run}"] = refresh_bodies[1 + run * share : 1 + (run + 1) * share]
    paths = {}
    for name, lines in pools.items():
        paths[name] = folder / f"{name}.txt"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def count_queries(pools: dict[str, Path]) -> dict[str, int]:
    """SQL queries of one request per endpoint, through the full middleware stack."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    access = pools["access"].read_text().split()[0]
    refresh_body = pools["refresh_check"].read_text().splitlines()[0]
    login_body = pools["login"].read_text().splitlines()[0]
    client = Client(SERVER_NAME=HOST)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    calls = {
        "health": lambda: client.get("/health"),
        "me": lambda: client.get("/api/users/me", **auth),
        "users": lambda: client.get("/api/users", **auth),
        "refresh": lambda: client.post("/api/auth/refresh", refresh_body, content_type="application/json"),
        "login": lambda: client.post("/api/auth/login", login_body, content_type="application/json"),
    }
    counts: dict[str, int] = {}
    for key, call in calls.items():
        if key in ("health", "me", "users"):
            call()  # warm what a running worker has warm (imports, connections)
        with CaptureQueriesContext(connection) as captured:
            response = call()
        if response.status_code != 200:
            raise BenchmarkError(
                f"{key}: expected 200 in-process, got {response.status_code}: {response.content[:300]!r}"
            )
        counts[key] = len(captured)
    return counts


def bcrypt_seconds() -> float:
    """Median time of one password check with the configured (first) hasher."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        check_password(PASSWORD, encoded)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# --- CPU accounting -------------------------------------------------------------


def _system_ticks() -> tuple[int, int]:
    """(all CPU time, idle time) since boot, in clock ticks, summed over every CPU."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return sum(fields), fields[3] + fields[4]


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, CPU ticks used, command name) of every process."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        rest = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), name)
    return table


def cpu_busy(seconds: float = 2.0) -> float:
    """Share of all CPUs busy over `seconds` (before the run: load from other processes
    that will skew the figures)."""
    try:
        total1, idle1 = _system_ticks()
        time.sleep(seconds)
        total2, idle2 = _system_ticks()
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = total2 - total1
    return 1 - (idle2 - idle1) / total if total else float("nan")


class CpuAccount:
    """Where the CPU time went while one figure was measured.

    Server: gunicorn and its workers, the PostgreSQL backends connected to the benchmark
    database, and the Redis server — what serving the requests cost, whoever else was
    running. wrk and this script are ours but not the server's. Others: all the rest of
    the busy CPU time, such as a test suite running next to the benchmark (kernel time
    not charged to any process counts there too, so an idle machine shows 0–3 %)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.available = Path("/proc/stat").exists()
        self.tick = 1 / os.sysconf("SC_CLK_TCK")

    def _server(self, pid: int, table: dict[int, tuple[int, int, str]]) -> bool:
        name = table[pid][2]
        if name.startswith("redis-server"):
            return True
        if name == "postgres":
            try:
                return f" {self.database} " in Path(f"/proc/{pid}/cmdline").read_text()
            except OSError:
                return False
        me, seen = os.getpid(), 0
        while pid in table and seen < 64:
            if table[pid][0] == me:  # a child of this script: gunicorn (wrk has exited)
                return True
            pid = table[pid][0]
            seen += 1
        return False

    def _server_ticks(self) -> dict[int, int]:
        table = _processes()
        return {pid: ticks for pid, (_parent, ticks, _name) in table.items() if self._server(pid, table)}

    @staticmethod
    def _own_ticks() -> float:
        """This script and its exited children (wrk), in clock ticks."""
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total * os.sysconf("SC_CLK_TCK")

    def start(self) -> None:
        if self.available:
            self.server_before = self._server_ticks()
            self.own_before = self._own_ticks()
            self.system_before = _system_ticks()

    def stop(self) -> tuple[float, float]:
        """(seconds of CPU the server used, share of all CPUs' time other processes
        used) since start()."""
        if not self.available:
            return 0.0, 0.0
        total, idle = _system_ticks()
        total -= self.system_before[0]
        busy = total - (idle - self.system_before[1])
        server = sum(t - self.server_before.get(pid, 0) for pid, t in self._server_ticks().items())
        own = self._own_ticks() - self.own_before
        others = max(0.0, (busy - server - own) / total) if total > 0 else 0.0
        return server * self.tick, others


# --- gunicorn and wrk ----------------------------------------------------------


def free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise BenchmarkError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def gunicorn(app: str, *, workers: int, env: dict[str, str], log_path: Path, probe: str) -> Iterator[int]:
    """Serves `app` on 127.0.0.1 until the block ends; always terminates it."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(BASE_DIR),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--no-control-socket",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
    ]
    log(f"starting gunicorn {app} on {HOST}:{port} ({workers} sync workers)")
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited with {process.returncode}:\n{tail(log_path)}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}{probe}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise BenchmarkError(f"gunicorn did not answer {probe} within 60 s:\n{tail(log_path)}")
            time.sleep(0.2)
        yield port
    finally:
        stop_process_group(process)
        log(f"gunicorn on port {port} stopped")


def stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_wrk(
    wrk: str, url: str, script: Path, *, threads: int, connections: int, seconds: float, args: list[str]
) -> dict[str, Any]:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = re.search(r"^WRK_JSON (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise BenchmarkError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(match.group(1))


def check_answers(url: str, endpoint: Endpoint, pools: dict[str, Path]) -> None:
    """One request before the load: the endpoint must answer 200, or the figures would
    measure an error page."""
    headers: dict[str, str] = {}
    data = None
    if endpoint.pool == "access":
        headers["Authorization"] = "Bearer " + pools["access"].read_text().split()[0]
    elif endpoint.pool:
        return  # login costs a bcrypt and refresh a token; count_queries checked both
    request = urllib.request.Request(url, data=data, headers=headers, method=endpoint.method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise BenchmarkError(f"{endpoint.path} answered {status} before the load; not measuring it")


def measure(
    wrk: str,
    endpoint: Endpoint,
    *,
    port: int,
    folder: Path,
    pools: dict[str, Path],
    threads: int,
    connections: int,
    duration: float,
    warmup: float,
    account: CpuAccount,
    run: int = 0,
    quiet: bool = False,
) -> Result:
    url = f"http://{HOST}:{port}{endpoint.path}"
    check_answers(url, endpoint, pools)
    script = folder / f"{endpoint.key}.lua"
    script.write_text(LUA_COMMON + endpoint.lua)
    threads = min(threads, connections)
    pool = f"{endpoint.pool}{run}" if endpoint.pool == "refresh" else endpoint.pool
    args = [str(pools[pool]), str(threads)] if endpoint.pool else []
    if warmup > 0 and endpoint.warmup:
        run_wrk(wrk, url, script, threads=threads, connections=connections, seconds=warmup, args=args)
    if not quiet:
        log(f"{endpoint.label}: {connections} connections, {duration:g} s (run {run + 1})")
    account.start()
    raw = run_wrk(wrk, url, script, threads=threads, connections=connections, seconds=duration, args=args)
    server_seconds, others_cpu = account.stop()
    errors = raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return Result(
        endpoint=endpoint,
        connections=connections,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        requests=raw["requests"],
        errors=errors,
        exhausted=raw["exhausted"],
        others_cpu=others_cpu,
        cpu_ms=server_seconds * 1000 / raw["requests"] if raw["requests"] else None,
        raw=raw,
    )


# --- Report --------------------------------------------------------------------


def machine() -> dict[str, str]:
    info = {"cores": str(os.cpu_count() or "?"), "memory": "?", "cpu": platform.processor() or "?"}
    if shutil.which("nproc"):
        info["cores"] = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    if shutil.which("free"):
        free = subprocess.run(["free", "-m"], capture_output=True, text=True, check=False).stdout
        mem = next((line.split() for line in free.splitlines() if line.startswith("Mem:")), None)
        if mem:
            info["memory"] = f"{int(mem[1]) / 1024:.1f} GiB"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["os"] = platform.platform()
    return info


def versions(wrk: str) -> dict[str, str]:
    import django
    import rest_framework
    from django.db import connection
    from django_redis import get_redis_connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    redis_version = get_redis_connection("default").info("server").get("redis_version", "?")
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    words = (out.stdout + out.stderr).split()
    wrk_version = words[1] if len(words) > 1 and words[0] == "wrk" else "?"  # "wrk debian/4.1.0-3 [epoll] …"
    gunicorn_version = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "drf": rest_framework.VERSION,
        "postgresql": postgres,
        "redis": redis_version,
        "gunicorn": gunicorn_version.replace("gunicorn (version ", "").rstrip(")"),
        "wrk": wrk_version,
    }


def table(results: list[Result]) -> str:
    header = (
        "| endpoint | conc. | req/s | p50 ms | p95 ms | p99 ms | errors | ÷ bare view "
        "| server CPU ms/req | CPU ÷ bare view | SQL/req | others' CPU |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "—"
        cpu = f"{r.cpu_ms:.2f}" if r.cpu_ms is not None else "—"
        cpu_ratio = f"{r.cpu_ratio:.3f}" if r.cpu_ratio is not None else "—"
        queries = str(r.queries) if r.queries is not None else "—"
        errors = f"{r.errors} / {r.requests}"
        rps = f"{r.rps:,.0f}"
        if len(r.all_rps) > 1:
            rps += f" ({min(r.all_rps):,.0f}–{max(r.all_rps):,.0f})"
        lines.append(
            f"| {r.endpoint.label} | {r.connections} | {rps} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.p99_ms:.1f} | {errors} | {ratio} | {cpu} | {cpu_ratio} | {queries} | {r.others_cpu:.0%} |"
        )
    return "\n".join(lines)


def login_line(results: list[Result], bcrypt: float, workers: int, cores: int) -> str:
    login = next((r for r in results if r.endpoint.key == "login"), None)
    busy = min(workers, cores)
    ceiling = busy / bcrypt
    text = (
        f"bcrypt ceiling for logins: {busy} busy core(s) ÷ {bcrypt * 1000:.0f} ms per password check "
        f"= {ceiling:.1f} logins/s"
    )
    if login is not None:
        text += f"; measured {login.rps:.1f} logins/s = {login.rps / ceiling:.0%} of that ceiling"
    return text + "."


def write_results(
    path: Path,
    *,
    results: list[Result],
    settings_line: str,
    login_text: str,
    machine_info: dict[str, str],
    version_info: dict[str, str],
    warnings: list[str],
) -> None:
    now = datetime.now(UTC)
    body = [
        "# Load benchmark results",
        "",
        "Written by `benchmarks/run_load.py --results` (options in the Run line); how to read the",
        "figures is in [README.md](README.md). Absolute figures move ±15 % from run to run: read",
        "the ratios to the bare Django view measured alongside, and when **others' CPU** is high",
        "(other processes were using the machine), the server CPU per request.",
        "",
        f"- **Date:** {now:%Y-%m-%d %H:%M} UTC",
        f"- **Machine:** {machine_info['cores']} cores ({machine_info['cpu']}), {machine_info['memory']} memory, "
        f"{machine_info['os']}; wrk, gunicorn, PostgreSQL and Redis all on the same cores",
        "- **Software:** " + ", ".join(f"{name} {version}" for name, version in version_info.items()),
        f"- **Run:** {settings_line}",
        "",
        table(results),
        "",
        login_text,
        "",
    ]
    if warnings:
        body += ["Warnings:", "", *[f"- {w}" for w in warnings], ""]
    path.write_text("\n".join(body))
    log(f"wrote {path}")


# --- Main ----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="HTTP load benchmark of the MesChain API (gunicorn + wrk, 127.0.0.1 only)."
    )
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds of load per endpoint (default 10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of unrecorded load first (default 2)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--login-connections", type=int, default=4, help="wrk connections for the login (default 4)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per endpoint; the table shows the median run, or the least disturbed one (default 1)",
    )
    parser.add_argument(
        "--ceiling-duration",
        type=float,
        default=5,
        help="seconds of bare-view load measured just before each app endpoint (default 5)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--tenants", type=int, default=4, help="tenants in the data set (default 4)")
    parser.add_argument("--users-per-tenant", type=int, default=400, help="users per tenant (default 400)")
    parser.add_argument(
        "--refresh-pool",
        type=int,
        default=0,
        help="refresh tokens to issue (default: 1,500 per second of --duration)",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated subset of: {','.join(ENDPOINT_KEYS)} (the ceiling always runs)",
    )
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--results", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 9:
        parser.error("--repeat must be between 1 and 9")
    if args.duration <= 0 or args.duration > 600:
        parser.error("--duration must be between 0 and 600 seconds")
    unknown = {k for k in args.only.split(",") if k} - set(ENDPOINT_KEYS)
    if unknown:
        parser.error(f"unknown endpoints in --only: {', '.join(sorted(unknown))}")
    return args


def pick(runs: list[Result]) -> Result:
    """The run the table shows: the median one, or, when other processes disturbed any
    of them, the least disturbed one."""
    if any(r.others_cpu >= OTHERS_WARNING for r in runs):
        return min(runs, key=lambda r: r.others_cpu)
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def run_endpoints(
    wrk: str,
    args: argparse.Namespace,
    endpoints: list[Endpoint],
    *,
    folder: Path,
    pools: dict[str, Path],
    queries: dict[str, int],
    account: CpuAccount,
    server_env: dict[str, str],
    ceiling_env: dict[str, str],
) -> list[Result]:
    """Serves the ceilings and the app side by side (an idle server costs nothing) and
    measures every endpoint; each app endpoint run follows a run of the bare view, so
    its ratio compares two figures taken a moment apart even when the machine's load
    drifts."""
    bare = next(e for e in ENDPOINTS if e.key == "ceiling")
    results: list[Result] = []
    with (
        gunicorn(
            "benchmarks.ceiling_wsgi:application",
            workers=args.workers,
            env=ceiling_env,
            log_path=folder / "ceiling.log",
            probe="/bench/ceiling",
        ) as ceiling_port,
        gunicorn(
            "meschain.wsgi:application",
            workers=args.workers,
            env=server_env,
            log_path=folder / "app.log",
            probe="/health",
        ) as app_port,
    ):
        for endpoint in endpoints:
            port = ceiling_port if endpoint.server == "ceiling" else app_port
            conns = args.login_connections if endpoint.low_concurrency else args.connections
            runs: list[Result] = []
            for run in range(args.repeat):
                common = {"folder": folder, "pools": pools, "threads": args.threads, "account": account}
                paired = None
                if endpoint.server == "app":
                    paired = measure(
                        wrk,
                        bare,
                        port=ceiling_port,
                        connections=args.connections,
                        duration=args.ceiling_duration,
                        warmup=0,
                        quiet=True,
                        **common,
                    )
                result = measure(
                    wrk,
                    endpoint,
                    port=port,
                    connections=conns,
                    duration=args.duration,
                    warmup=args.warmup if run == 0 else 0,
                    run=run,
                    **common,
                )
                if paired is not None:
                    result.ceiling_rps, result.ceiling_cpu_ms = paired.rps, paired.cpu_ms
                runs.append(result)
                log(
                    f"  {result.rps:,.1f} req/s, p99 {result.p99_ms:.1f} ms, {result.errors} errors, "
                    f"server CPU {result.cpu_ms or 0:.2f} ms/req, others' CPU {result.others_cpu:.0%}"
                    + (f"; bare view just before: {paired.rps:,.0f} req/s" if paired else "")
                )
            result = pick(runs)
            result.all_rps = [r.rps for r in runs]
            result.queries = queries.get(endpoint.key, 0 if endpoint.server == "ceiling" else None)
            results.append(result)
    reference = next(r for r in results if r.endpoint.key == "ceiling")
    for r in results:
        base = r.ceiling_rps or reference.rps
        r.ratio = r.rps / base if base else None
        base_cpu = r.ceiling_cpu_ms if r.ceiling_rps else reference.cpu_ms
        r.cpu_ratio = base_cpu / r.cpu_ms if base_cpu and r.cpu_ms else None
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrk is not installed, so nothing can be measured. On Debian/Ubuntu: sudo apt-get install -y wrk",
            file=sys.stderr,
        )
        return 2
    # SIGTERM ends the run like Ctrl-C does: the finally blocks stop gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "API_THROTTLE_RATE": THROTTLE_RATE,
        "DJANGO_SETTINGS_MODULE": "meschain.settings",
    }
    selected = [k for k in args.only.split(",") if k] or ENDPOINT_KEYS
    endpoints = [e for e in ENDPOINTS if e.key in selected or e.server == "ceiling"]
    refresh_count = args.refresh_pool or int(args.duration * 1500)

    busy_before = cpu_busy()
    log(f"CPUs busy before the run (other processes): {busy_before:.0%}")
    try:
        ensure_database(database_url, recreate=args.recreate)
        setup_django(env)
        migrate()
        load_data(args.tenants, args.users_per_tenant)
        with tempfile.TemporaryDirectory(prefix="meschain-load-") as tmp:
            folder = Path(tmp)
            pools = write_pools(
                folder,
                refresh_count=1 + (refresh_count * args.repeat if "refresh" in selected else args.repeat),
                runs=args.repeat,
            )
            vacuum_analyze()
            log("counting queries per request (in-process)")
            queries = count_queries(pools)
            log("timing the password hasher")
            bcrypt = bcrypt_seconds()
            version_info = versions(wrk)
            from django.db import connections

            connections.close_all()

            server_env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)}
            server_env.update(env)
            ceiling_env = {k: v for k, v in server_env.items() if k != "DJANGO_SETTINGS_MODULE"}
            account = CpuAccount(urlsplit(database_url).path.lstrip("/"))
            results = run_endpoints(
                wrk,
                args,
                endpoints,
                folder=folder,
                pools=pools,
                queries=queries,
                account=account,
                server_env=server_env,
                ceiling_env=ceiling_env,
            )
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; gunicorn stopped", file=sys.stderr)
        return 130

    warnings = [
        f"{r.endpoint.label}: the token pool ran out {r.exhausted} times (those requests are errors); "
        "raise --refresh-pool"
        for r in results
        if r.exhausted
    ]
    busy = [r for r in results if r.others_cpu >= OTHERS_WARNING]
    if busy:
        warnings.append(
            "other processes used the CPUs during "
            + ", ".join(f"{r.endpoint.label} ({r.others_cpu:.0%})" for r in busy)
            + ": those figures are low; run again on a quiet machine"
        )
    machine_info = machine()
    cores = int(machine_info["cores"]) if machine_info["cores"].isdigit() else 1
    login_text = login_line(results, bcrypt, args.workers, cores)
    settings_line = (
        f"gunicorn {args.workers} sync workers; wrk -t{args.threads} -c{args.connections} "
        f"(login -c{args.login_connections}) -d{args.duration:g}s after a {args.warmup:g} s warm-up; "
        f"{args.tenants} tenants x {args.users_per_tenant} users; DEBUG off, throttle on at {THROTTLE_RATE}"
    )
    if args.repeat > 1:
        settings_line += (
            f"; {args.repeat} runs per endpoint, the table shows the median one or, when other processes "
            "took CPU, the least disturbed one"
        )
    settings_line += f"; CPUs busy with other processes just before the run: {busy_before:.0%}"
    print()
    print(settings_line)
    print(table(results))
    print(login_text)
    for warning in warnings:
        print(f"warning: {warning}")
    if args.results:
        write_results(
            args.results,
            results=results,
            settings_line=settings_line,
            login_text=login_text,
            machine_info=machine_info,
            version_info=version_info,
            warnings=warnings,
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(),
                    "machine": machine_info,
                    "versions": version_info,
                    "bcrypt_seconds": bcrypt,
                    "results": [
                        {
                            "endpoint": r.endpoint.key,
                            "connections": r.connections,
                            "ratio": r.ratio,
                            "queries": r.queries,
                            "all_rps": r.all_rps,
                            "bare_view_rps_just_before": r.ceiling_rps,
                            "server_cpu_ms_per_request": r.cpu_ms,
                            "bare_view_cpu_ms_just_before": r.ceiling_cpu_ms,
                            "cpu_ratio": r.cpu_ratio,
                            "others_cpu": r.others_cpu,
                            **r.raw,
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
