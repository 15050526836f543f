"""20,000 stock updates pushed to every marketplace's sandbox through MesChain's sync jobs.

    .venv/bin/python benchmarks/marketplace_stock.py [--variants 20000] [--only ozon,n11]

Recreates the database BENCH_DATABASE_URL (default meschain_bench_stock on the local
PostgreSQL), loads one catalogue set-based, VACUUM ANALYZE, and connects one account per
marketplace to its sandbox (started in this process, real-time rate limits off, the
protocol rules on). Each account's catalogue job lists every variant first (not timed
here: see marketplace_sync.py); then every variant's stock changes and one stock job per
account pushes it. Printed per marketplace: requests the job sent, the fewest pushes the
marketplace's batch limit allows (its polls come on top), wall time and items/s, and the
share of the fastest marketplace's rate as a ratio.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.bench_db import recreate_database, use_bench_database  # noqa: E402

DATABASE_URL = use_bench_database("meschain_bench_stock")
os.environ["MARKETPLACE_BATCH_POLL_SECONDS"] = "0.05"
os.environ["MARKETPLACE_RATE_LIMIT"] = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=20_000)
    parser.add_argument("--only", default="", help="Comma-separated marketplace codes (default: all).")
    args = parser.parse_args()
    recreate_database(DATABASE_URL)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from accounts.services import create_tenant
    from catalog.models import Variant
    from catalog.services.stock import set_on_hand_many
    from catalog.services.warehouses import default_warehouse
    from marketplaces import services
    from marketplaces.adapters.base import adapter_class
    from marketplaces.models import Listing, SyncJob, SyncState
    from tests.marketplaces.contract.conftest import ContractWorld, let_the_stock_interval_pass
    from tests.marketplaces.contract.kits import KITS
    from tests.marketplaces.sync_world import make_catalogue

    kits = [k for k in KITS if not args.only or k.code in args.only.split(",")]
    tenant, _owner = create_tenant(slug="bench", name="Bench", owner_username="bench-owner",
                                   owner_email="owner@bench.example.com", owner_password="Bench-Pass-4471-x")  # fmt: skip
    started = time.perf_counter()
    category = make_catalogue(tenant, products=args.variants // 5, variants_per_product=5)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"catalogue of {args.variants} variants loaded in {time.perf_counter() - started:.1f} s")

    def run(account: object, kind: str) -> tuple[float, SyncJob]:
        job = services.request_sync(account, kind, actor="benchmark", enqueue=False)
        start = time.perf_counter()
        services.run_job(job.pk, worker="benchmark")
        elapsed = time.perf_counter() - start
        job.refresh_from_db()
        return elapsed, job

    rows = []
    warehouse = default_warehouse(tenant.pk)
    variant_ids = set(Variant.objects.filter(tenant=tenant).values_list("id", flat=True))
    for round_number, kit in enumerate(kits, start=1):
        sandbox = kit.start_sandbox()
        try:
            account = kit.connect(tenant, sandbox, category, name=f"{kit.code} bench")
            world = ContractWorld(kit, sandbox, tenant, account, category)
            listed_s, listed = run(account, "catalog")
            for job in SyncJob.objects.filter(account=account, state=SyncState.QUEUED):  # stock after create
                services.run_job(job.pk, worker="benchmark")
            let_the_stock_interval_pass(world)
            quantity = 40 + round_number
            set_on_hand_many(tenant.pk, {(pk, warehouse.pk): quantity for pk in variant_ids}, reason="manual",
                             announce=set())  # fmt: skip
            services.mark_stock_changed(tenant.pk, variant_ids=variant_ids)
            SyncJob.objects.filter(account=account, state=SyncState.QUEUED).delete()
            stock_s, stocked = run(account, "stock_price")
            pushed = Listing.objects.filter(account=account, pushed_quantity=quantity).count()
            shown = sum(1 for v in Variant.objects.filter(tenant=tenant)[:200]
                        if kit.stock_of(sandbox, world.key(v)) == quantity)  # fmt: skip
            limit = adapter_class(kit.code).max_batch_items
            rows.append((kit.code, stocked.done, pushed, shown, stocked.requests, -(-args.variants // limit), limit,
                         stock_s, listed_s, listed.requests))  # fmt: skip
            Listing.objects.filter(account=account).delete()
        finally:
            sandbox.stop()

    best = max(done / seconds for _c, done, *_r, seconds, _l, _lr in rows)
    print(f"\n{'marketplace':<13}{'items':>7}{'requests':>10}{'limit allows':>14}{'batch':>7}{'wall s':>8}"
          f"{'items/s':>9}{'vs best':>9}   (catalogue job: s, requests)")  # fmt: skip
    for code, done, pushed, shown, requests, fewest, limit, seconds, listed_s, listed_requests in rows:
        assert pushed == done == args.variants and shown == 200, (code, done, pushed, shown)
        rate = done / seconds
        print(f"{code:<13}{done:>7}{requests:>10}{fewest:>14}{limit:>7}{seconds:>8.2f}{rate:>9.0f}{rate / best:>9.2f}"
              f"   ({listed_s:.1f} s, {listed_requests})")  # fmt: skip
    print("\n'limit allows': the fewest push requests the marketplace's batch limit permits for these items;"
          " the job's requests also count its polls and, for two-call marketplaces, price and stock apart.")


if __name__ == "__main__":
    main()
