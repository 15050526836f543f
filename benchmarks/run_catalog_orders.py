"""Catalogue and orders at speed, end to end over HTTP, next to this machine's ceilings.

    .venv/bin/python benchmarks/run_catalog_orders.py [--variants 100000] [--duration 10]

Needs PostgreSQL, Redis and wrk (like run_load.py, whose helpers it uses). It serves the
app with gunicorn (2 sync workers) and a Celery worker on the Redis broker, as deployed,
and measures:

1. `POST /api/products/bulk` with 10,000 new rows, then the same rows changed (target:
   each under 1.5 s end to end), next to a raw `COPY` of the same rows;
2. the storefront (`X-API-Key`): `GET /api/products` (50 a page, filtered) and
   `GET /api/products/{id}` under 32 connections (target: p99 under 30 ms), as a ratio to
   the bare-Django-view ceiling measured in the same run. After the bulk phase's events
   are dispatched, every URL of each pool is requested once, cold: those cache misses are
   reported on their own lines, and the load then measures the steady state;
3. `POST /api/orders/import`, 10,000 orders with 30,000 lines in two requests of 5,000
   (target: under 3 s);
4. storefront order placement, `POST /api/orders` from 32 connections: orders/s and p99,
   then checks that every stock level equals the sum of its ledger.

Everything stays on 127.0.0.1 and every phase is bounded in time.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_load as harness

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/meschain_bench_catalog"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TENANT = "bench-shop"
PASSWORD = "Quiet-Harbor-7319-Lantern"
ROWS = 10_000

# GET paths from a pool (args: file, threads, optional API key).
LUA_GET_POOL = r"""
local pool, pos, key = {}, 0, ""
function init(args)
  pool = read_pool(args[1], tonumber(args[2]))
  key = args[3] or ""
end
function request()
  pos = pos % #pool + 1
  if key ~= "" then return wrk.format("GET", pool[pos], {["X-API-Key"] = key}) end
  return wrk.format("GET", pool[pos])
end
"""

# POST JSON bodies from a pool with an API key (args: file, threads, key).
LUA_ORDER = r"""
local pool, pos, key = {}, 0, ""
function init(args)
  pool = read_pool(args[1], tonumber(args[2]))
  key = args[3]
end
function request()
  pos = pos % #pool + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-API-Key"] = key}, pool[pos])
end
"""


def env_for_app() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "API_THROTTLE_RATE": harness.THROTTLE_RATE,
        "LOG_LEVEL": "WARNING",
    }


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            status, payload = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    elapsed = time.perf_counter() - started
    return status, json.loads(payload) if payload else None, elapsed


def prepare(variants: int) -> dict[str, Any]:
    """The tenant, its catalogue of `variants` published SKUs with stock, a JWT and a key."""
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts import services as accounts
    from accounts.models import Tenant, User
    from catalog.models import Variant
    from catalog.services import bulk

    tenant = Tenant.objects.filter(slug=TENANT).first()
    if tenant is None:
        tenant, _owner = accounts.create_tenant(
            slug=TENANT, name="Bench Shop", owner_username=f"{TENANT}-owner",
            owner_email="owner@bench-shop.example.com", owner_password=PASSWORD,
        )  # fmt: skip
    have = Variant.objects.filter(tenant=tenant).count()
    if have < variants:
        harness.log(f"loading {variants - have:,} variants")
        for start in range(have, variants, ROWS):
            rows = [
                {"sku": f"CAT-{i:07d}", "title": f"Catalogue item {i}", "price": f"{10 + i % 90}.90",
                 "brand": f"Brand {i % 40}", "category": f"Category {i % 25}", "stock": 1_000_000}
                for i in range(start, min(start + ROWS, variants))
            ]  # fmt: skip
            bulk.bulk_upsert(tenant.pk, rows, policy="apply_valid")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalog_product SET status = 'published', published_at = now() WHERE tenant_id = %s",
                [tenant.pk],
            )
    harness.log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    owner = User.objects.get(username=f"{TENANT}-owner")
    _key, full_key = accounts.create_api_key(
        tenant=tenant, name="bench storefront", scopes=["catalog:read", "orders:write", "orders:read"]
    )
    product_ids = list(
        Variant.objects.filter(tenant=tenant).order_by("id").values_list("product_id", flat=True)[:5000]
    )
    category_ids = list(tenant_categories(tenant.pk))
    return {
        "tenant_id": tenant.pk,
        "jwt": str(RefreshToken.for_user(owner).access_token),
        "key": full_key,
        "product_ids": product_ids,
        "category_ids": category_ids,
    }


def tenant_categories(tenant_id: int) -> list[int]:
    from catalog.models import Category

    return list(Category.objects.filter(tenant_id=tenant_id).values_list("pk", flat=True))


def copy_ceiling(tenant_id: int, rows: list[dict[str, Any]]) -> float:
    """Seconds to COPY the same rows (a product and a variant each) into scratch copies of
    the product and variant tables, indexes included: the write ceiling."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("catalog_product", "catalog_variant"):
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(
                f"CREATE TEMP TABLE bench_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
            )
        started = time.perf_counter()
        with cursor.copy(
            "COPY bench_catalog_product (id, tenant_id, title, description, status, attributes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, row in enumerate(rows):
                copy.write_row([i + 1, tenant_id, row["title"], "", "draft", "{}", "now", "now"])
        with cursor.copy(
            "COPY bench_catalog_variant (id, tenant_id, product_id, sku, name, price, vat_rate, attributes, is_active, "
            "position, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, row in enumerate(rows):
                copy.write_row(
                    [
                        i + 1,
                        tenant_id,
                        i + 1,
                        row["sku"],
                        "",
                        row["price"],
                        "20.00",
                        "{}",
                        True,
                        0,
                        "now",
                        "now",
                    ]
                )
        elapsed = time.perf_counter() - started
    return elapsed


def bulk_phase(base: str, ctx: dict[str, Any]) -> list[str]:
    tag = int(time.time())
    rows = [
        {"sku": f"NEW-{tag}-{i:05d}", "title": f"New arrival {i}", "price": "24.90", "brand": f"Brand {i % 40}",
         "category": f"Category {i % 25}", "stock": 50}
        for i in range(ROWS)
    ]  # fmt: skip
    auth = {"Authorization": f"Bearer {ctx['jwt']}"}
    lines = []
    copy_seconds = copy_ceiling(ctx["tenant_id"], rows)
    for label, price in (("create", "24.90"), ("update", "26.50")):
        for row in rows:
            row["price"] = price
        status, body, seconds = http("POST", f"{base}/api/products/bulk", {"rows": rows}, auth)
        counts = body["data"]["counts"] if status == 200 else body
        verdict = "ok" if seconds < 1.5 else "OVER 1.5 s"
        lines.append(
            f"| bulk {label} 10,000 rows | {seconds:.2f} s | {ROWS / seconds:,.0f} rows/s | "
            f"{copy_seconds / seconds:.3f} of COPY ({ROWS / copy_seconds:,.0f} rows/s) | {verdict} | {counts} |"
        )
    return lines


def wrk_phase(
    wrk: str,
    url: str,
    lua: str,
    pool: list[str],
    args: list[str],
    *,
    duration: float,
    connections: int,
    folder: Path,
) -> dict[str, Any]:
    script = folder / "phase.lua"
    script.write_text(harness.LUA_COMMON + lua)
    pool_file = folder / "pool.txt"
    pool_file.write_text("\n".join(pool) + "\n")
    threads = 2
    argv = [str(pool_file), str(threads), *args]
    harness.run_wrk(
        wrk, url, script, threads=threads, connections=connections, seconds=2, args=argv
    )  # warm-up
    raw = harness.run_wrk(
        wrk, url, script, threads=threads, connections=connections, seconds=duration, args=argv
    )
    raw["rps"] = raw["requests"] / (raw["duration_us"] / 1e6)
    return raw


def wait_for_outbox(seconds: float = 60.0) -> int:
    """Waits (bounded) until the worker has dispatched every event, so the read phases
    measure a settled catalogue instead of pages dropped by the bulk phase's events."""
    from meschain.models import Event

    deadline = time.monotonic() + seconds
    while True:
        pending = Event.objects.filter(dispatched_at__isnull=True).count()
        if not pending or time.monotonic() > deadline:
            return pending
        time.sleep(0.25)


def cold_pass(base: str, pool: list[str], key: str, *, workers: int = 4) -> dict[str, Any]:
    """Requests every URL of the pool once (cache misses: the first request of each page
    after a change), with a few connections, and returns their latency percentiles."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(path: str) -> tuple[int, float]:
        request = urllib.request.Request(base + path, headers={"X-API-Key": key})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool_executor:
        results = list(pool_executor.map(fetch, pool))
    elapsed = time.perf_counter() - started
    latencies = sorted(seconds * 1e6 for _status, seconds in results)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {
        "requests": len(results), "duration_us": elapsed * 1e6, "rps": len(results) / elapsed,
        "p50_us": pct(0.50), "p95_us": pct(0.95), "p99_us": pct(0.99),
        "non2xx": sum(1 for status, _s in results if status != 200),
        "connect": 0, "read": 0, "write": 0, "timeout": 0,
    }  # fmt: skip


def row(
    label: str, raw: dict[str, Any], ceiling_rps: float, connections: int, target_ms: float | None = None
) -> str:
    errors = raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    verdict = ""
    if target_ms is not None:
        verdict = "ok" if raw["p99_us"] / 1000 < target_ms else f"p99 OVER {target_ms:g} ms"
    return (
        f"| {label} | {connections} | {raw['rps']:,.0f} | {raw['rps'] / ceiling_rps:.3f} | "
        f"{raw['p50_us'] / 1000:.1f} | {raw['p95_us'] / 1000:.1f} | {raw['p99_us'] / 1000:.1f} | {errors} | {verdict} |"
    )


def import_phase(base: str, ctx: dict[str, Any]) -> str:
    tag = int(time.time())
    skus = [f"CAT-{i:07d}" for i in range(0, 3000)]
    orders = [
        {"external_id": f"IMP-{tag}-{i}", "placed_at": "2026-11-20T10:00:00Z",
         "customer": {"email": f"buyer{i % 700}@example.com"},
         "lines": [{"sku": skus[(i * 3 + k) % len(skus)], "quantity": 1, "unit_price": "19.90"} for k in range(3)]}
        for i in range(10_000)
    ]  # fmt: skip
    auth = {"Authorization": f"Bearer {ctx['jwt']}"}
    total = 0.0
    created = 0
    for part in (orders[:5000], orders[5000:]):
        status, body, seconds = http("POST", f"{base}/api/orders/import?channel=bench", part, auth)
        if status != 200:
            raise harness.BenchmarkError(f"import answered {status}: {str(body)[:300]}")
        created += body["data"]["counts"]["created"]
        total += seconds
    verdict = "ok" if total < 3 else "OVER 3 s"
    return (
        f"| import 10,000 orders / 30,000 lines (2 requests) | {total:.2f} s | {10_000 / total:,.0f} orders/s, "
        f"{30_000 / total:,.0f} lines/s | — | {verdict} | created {created:,} |"
    )


def ledger_check(tenant_id: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM catalog_stocklevel s
              LEFT JOIN (SELECT variant_id, warehouse_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                           FROM catalog_stockmovement WHERE tenant_id = %s GROUP BY 1, 2) m
                ON m.variant_id = s.variant_id AND m.warehouse_id = s.warehouse_id
             WHERE s.tenant_id = %s
               AND (s.on_hand <> coalesce(m.on_hand, 0) OR s.reserved <> coalesce(m.reserved, 0))
            """,
            [tenant_id, tenant_id],
        )
        mismatched = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM catalog_stocklevel WHERE tenant_id = %s", [tenant_id])
        levels = cursor.fetchone()[0]
    return f"stock equals ledger: {levels - mismatched:,} of {levels:,} stock levels ({'ok' if not mismatched else 'MISMATCH'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per wrk phase")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--results", type=Path, help="append the tables to this Markdown file")
    options = parser.parse_args(argv)
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    harness.ensure_database(DATABASE_URL, recreate=False)
    env = env_for_app()
    harness.setup_django(
        {k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DEBUG", "API_THROTTLE_RATE")}
    )
    harness.migrate()
    ctx = prepare(options.variants)
    folder = Path(tempfile.mkdtemp(prefix="meschain-bench-"))
    worker_log = folder / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "meschain", "worker", "-P", "solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=harness.BASE_DIR, env=env, start_new_session=True, stdout=worker_log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with (
            harness.gunicorn("benchmarks.ceiling_wsgi:application", workers=2, env=env,
                             log_path=folder / "ceiling.log", probe="/bench/ceiling") as ceiling_port,
            harness.gunicorn("meschain.wsgi:application", workers=2, env=env,
                             log_path=folder / "app.log", probe="/health") as app_port,
        ):  # fmt: skip
            base = f"http://{harness.HOST}:{app_port}"
            harness.log("ceiling: bare Django view")
            ceiling = wrk_phase(
                wrk, f"http://{harness.HOST}:{ceiling_port}/bench/ceiling", LUA_GET_POOL,
                ["/bench/ceiling"], [], duration=options.duration, connections=options.connections, folder=folder,
            )  # fmt: skip
            harness.log("bulk upsert")
            bulk_lines = bulk_phase(base, ctx)
            harness.log("waiting for the outbox to drain")
            left = wait_for_outbox()
            if left:
                harness.log(f"{left:,} events still pending: the read phases may see pages being dropped")
            harness.log("storefront list and detail")
            lists = [
                f"/api/products?per_page=50&page={page}&category={ctx['category_ids'][page % len(ctx['category_ids'])]}&in_stock=true"
                for page in range(1, 41)
            ]
            details = [f"/api/products/{pid}" for pid in ctx["product_ids"][:2000]]
            key_lua = LUA_GET_POOL
            # every URL once, cold (its cache-miss latency, reported on its own line),
            # then the steady state under load
            list_cold = cold_pass(base, lists, ctx["key"])
            list_raw = wrk_phase(wrk, base + lists[0], key_lua, lists, [ctx["key"]],
                                 duration=options.duration, connections=options.connections, folder=folder)  # fmt: skip
            detail_cold = cold_pass(base, details, ctx["key"])
            detail_raw = wrk_phase(wrk, base + details[0], key_lua, details, [ctx["key"]],
                                   duration=options.duration, connections=options.connections, folder=folder)  # fmt: skip
            harness.log("order import")
            import_line = import_phase(base, ctx)
            harness.log("storefront order placement")
            bodies = [
                json.dumps({"lines": [{"sku": f"CAT-{(i * 7919) % options.variants:07d}", "quantity": 1}],
                            "customer": {"email": f"shopper{i % 997}@example.com"}})
                for i in range(5000)
            ]  # fmt: skip
            place_raw = wrk_phase(wrk, base + "/api/orders", LUA_ORDER, bodies, [ctx["key"]],
                                  duration=options.duration, connections=options.connections, folder=folder)  # fmt: skip
            time.sleep(2)  # let the worker drain the outbox
    finally:
        harness.stop_process_group(worker)
    ledger = ledger_check(ctx["tenant_id"])
    info = harness.machine()
    report = [
        f"## Catalogue and orders — {time.strftime('%Y-%m-%d %H:%M')} — {info['cores']} cores, {info['memory']}, {info['cpu']}",
        "",
        f"{options.variants:,} variants; gunicorn 2 sync workers; a Celery worker on Redis; wrk -t2 -c{options.connections} "
        f"-d{options.duration:g}s. Ceiling (bare Django view, same run): {ceiling['rps']:,.0f} req/s, p99 {ceiling['p99_us'] / 1000:.1f} ms.",
        "",
        "| write | time | rate | vs raw COPY | target | result |",
        "|---|---|---|---|---|---|",
        *bulk_lines,
        import_line,
        "",
        "| request | connections | req/s | ÷ ceiling | p50 ms | p95 ms | p99 ms | errors | target |",
        "|---|---|---|---|---|---|---|---|---|",
        row("bare Django view (ceiling)", ceiling, ceiling["rps"], options.connections),
        row("storefront GET /api/products (50, filtered)", list_raw, ceiling["rps"], options.connections, 30),
        row("storefront GET /api/products/{id}", detail_raw, ceiling["rps"], options.connections, 30),
        row(f"— cache misses: each of the {len(lists)} list URLs once, cold", list_cold, ceiling["rps"], 4),
        row(
            f"— cache misses: each of the {len(details):,} detail URLs once, cold",
            detail_cold,
            ceiling["rps"],
            4,
        ),
        row("storefront POST /api/orders (1 line)", place_raw, ceiling["rps"], options.connections),
        "",
        ledger,
        "",
    ]
    text = "\n".join(report)
    print(text)
    if options.results:
        with options.results.open("a") as handle:
            handle.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
