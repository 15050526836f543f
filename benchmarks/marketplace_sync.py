"""The sync runner at volume: 20,000 listings and 20,000 stock updates through
MesChain's sync jobs (PostgreSQL, the catalogue, listings bookkeeping) to the Trendyol
sandbox, next to the bare adapter pushing the same items (the ceiling: no database).

    .venv/bin/python benchmarks/marketplace_sync.py [--variants 20000]

Recreates the database BENCH_DATABASE_URL (default meschain_bench_sync on the local
PostgreSQL), loads the catalogue set-based, VACUUM ANALYZE, then runs in this process:
1. a catalogue job: every variant listed (create batches of 1,000, polled);
2. a stock-and-price job after every variant's stock changed;
3. the same two pushes through the adapter alone (the ceiling for this sandbox).
Prints wall time, requests sent (about one push and one poll per 1,000 items, not one per
item) and items/s, with the ratio of each job to its ceiling.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.bench_db import recreate_database, use_bench_database  # noqa: E402

DATABASE_URL = use_bench_database("meschain_bench_sync")
os.environ["MARKETPLACE_BATCH_POLL_SECONDS"] = "0.05"
os.environ["MARKETPLACE_RATE_LIMIT"] = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=20_000)
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
    from marketplaces.adapters.base import ListingItem, StockPriceItem
    from marketplaces.models import Listing
    from tests.marketplaces.sync_world import make_world, start_sandbox

    sandbox = start_sandbox(rate_limits=False)
    tenant, _owner = create_tenant(slug="bench", name="Bench", owner_username="bench-owner",
                                   owner_email="owner@bench.example.com", owner_password="Bench-Pass-4471-x")  # fmt: skip
    started = time.perf_counter()
    world = make_world(tenant, sandbox, products=args.variants // 5, variants_per_product=5)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"catalogue of {args.variants} variants loaded in {time.perf_counter() - started:.1f} s")

    def run(kind: str) -> tuple[float, object]:
        job = services.request_sync(world.account, kind, actor="benchmark", enqueue=False)
        start = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):  # where the time goes, for the curious
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(services.run_job, job.pk, worker="benchmark")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(int(os.environ["BENCH_PROFILE"]))
        else:
            services.run_job(job.pk, worker="benchmark")
        elapsed = time.perf_counter() - start
        job.refresh_from_db()
        return elapsed, job

    listed_s, listed = run("catalog")
    warehouse = default_warehouse(tenant.pk)
    variant_ids = set(Variant.objects.filter(tenant=tenant).values_list("id", flat=True))
    # every variant's stock changes (the events' effect, without an eager sync per event)
    set_on_hand_many(tenant.pk, {(pk, warehouse.pk): 33 for pk in variant_ids}, reason="manual", announce=set())
    services.mark_stock_changed(tenant.pk, variant_ids=variant_ids)
    stock_s, stocked = run("stock_price")
    assert Listing.objects.filter(account=world.account, pushed_quantity=33).count() == args.variants

    # the ceiling: the adapter alone, the same items, a fresh seller on the same sandbox
    sandbox.add_seller("200000", "ceiling-key", "ceiling-secret")
    config = services.sync.account_config(world.account)
    config.seller_id, config.api_key, config.api_secret, config.account_key = "200000", "ceiling-key", "ceiling-secret", "ceiling"  # fmt: skip
    items = [ListingItem(barcode=f"C-{n}", sku=f"C-{n}", title=f"Ceiling {n}", group_code=f"C{n // 5}", brand_id=1791,
                         category_id=600, quantity=50, list_price=249.9, sale_price=199.9,
                         attributes=[{"attributeId": 47, "attributeValueIds": [686]},
                                     {"attributeId": 338, "attributeValueIds": [4603]}])
             for n in range(args.variants)]  # fmt: skip
    with services.sync.get_adapter(config) as adapter:
        start = time.perf_counter()
        for handle in adapter.push_listings(items):
            adapter.wait_for_batch(handle, interval=0.05)
        ceiling_list = time.perf_counter() - start
        requests_list = adapter.client.stats.attempts
        start = time.perf_counter()
        for handle in adapter.push_stock_prices(StockPriceItem(i.barcode, quantity=33) for i in items):
            adapter.wait_for_batch(handle, interval=0.05)
        ceiling_stock = time.perf_counter() - start
        requests_stock = adapter.client.stats.attempts - requests_list
    sandbox.stop()

    batches = -(-args.variants // 1000)
    print(f"\n{'phase':<34}{'items':>8}{'wall s':>9}{'requests':>10}{'items/s':>10}{'ceiling':>9}")
    for name, count, seconds, requests, ceiling in (
        ("catalogue job (create, polled)", listed.done, listed_s, listed.requests, ceiling_list),
        ("stock-and-price job", stocked.done, stock_s, stocked.requests, ceiling_stock),
        ("adapter alone: create", args.variants, ceiling_list, requests_list, ceiling_list),
        ("adapter alone: stock", args.variants, ceiling_stock, requests_stock, ceiling_stock),
    ):
        print(f"{name:<34}{count:>8}{seconds:>9.2f}{requests:>10}{count / seconds:>10.0f}{ceiling / seconds:>9.2f}")
    print(f"\nbatch limit: {batches} pushes of 1,000 items per phase (+ one poll each at least)")


if __name__ == "__main__":
    main()
