"""Push benchmark: listings and stock updates through the Trendyol adapter to the sandbox.

Starts the Trendyol sandbox in this process on 127.0.0.1 (a free port), pushes
``--listings`` new listings (default 20,000), waits for every batch result, then pushes
``--stock`` stock-and-price updates (default 20,000) and waits again. Prints, per phase,
the wall time, the HTTP requests sent (pushes and batch polls: about one per 1,000 items,
not one per item) and items a second. Every wait is bounded by ``--timeout`` seconds.

    .venv/bin/python benchmarks/marketplace_push.py
    .venv/bin/python benchmarks/marketplace_push.py --listings 5000 --stock 5000 --fail-rate 0.2

The per-account rate limit uses the Django cache: local memory, or Redis when REDIS_URL is
set (``--rate-limit 900/min`` to see it; off by default so the figure is the client's own).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meschain.settings")

import django

django.setup()

from marketplaces.adapters import get_adapter  # noqa: E402
from marketplaces.adapters.base import AccountConfig, ListingItem, StockPriceItem  # noqa: E402
from marketplaces.client import RetryPolicy  # noqa: E402
from marketplaces.sandbox.trendyol import TrendyolSandbox  # noqa: E402

SELLER, KEY, SECRET = "100000", "bench-api-key", "bench-api-secret"
ATTRIBUTES = [
    {"attributeId": 47, "attributeValueIds": [686]},
    {"attributeId": 338, "attributeValueIds": [4603]},
]


def listings(count: int) -> list[ListingItem]:
    return [
        ListingItem(
            barcode=f"BENCH-{n:06d}",
            sku=f"SKU-{n:06d}",
            title=f"Bench T-Shirt {n}",
            group_code=f"BENCH-{n // 5}",
            brand_id=1791,
            category_id=600,
            quantity=10,
            list_price=Decimal("250.00"),
            sale_price=Decimal("199.90"),
            images=["https://cdn.example.com/tshirt.jpg"],
            attributes=ATTRIBUTES,
        )
        for n in range(count)
    ]


def run_phase(name: str, adapter, push, items, deadline: float) -> dict:
    stats = adapter.client.stats
    attempts_before, requests_before = stats.attempts, stats.requests
    started = time.perf_counter()
    handles = push(items)
    pushed_at = time.perf_counter()
    succeeded = failed = 0
    for handle in handles:
        result = adapter.wait_for_batch(handle, timeout=max(0.0, deadline - time.monotonic()), interval=0.05)
        if not result.done:
            raise SystemExit(f"{name}: batch {handle.batch_id} not done before the time limit")
        succeeded += len(result.succeeded)
        failed += len(result.failed)
    wall = time.perf_counter() - started
    return {
        "phase": name,
        "items": len(items),
        "batches": len(handles),
        "succeeded": succeeded,
        "failed": failed,
        "requests": stats.requests - requests_before,
        "attempts": stats.attempts - attempts_before,
        "push_s": pushed_at - started,
        "wall_s": wall,
        "items_per_s": len(items) / wall if wall else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--stock", type=int, default=20_000)
    parser.add_argument(
        "--fail-rate", type=float, default=0.0, help="injected 429/5xx/dropped share, e.g. 0.2"
    )
    parser.add_argument("--rate-limit", default="", help="per-account limit, e.g. 900/min (default: none)")
    parser.add_argument("--timeout", type=float, default=300.0, help="upper bound of the whole run, seconds")
    args = parser.parse_args()
    if args.stock > args.listings:
        parser.error("--stock cannot exceed --listings (only listed products take stock updates)")

    deadline = time.monotonic() + args.timeout
    with TrendyolSandbox(
        seller_id=SELLER,
        api_key=KEY,
        api_secret=SECRET,
        host="127.0.0.1",
        seed=1,
        fail_rate=args.fail_rate,
        retry_after=0,
    ) as sandbox:
        config = AccountConfig(
            "trendyol",
            SELLER,
            KEY,
            SECRET,
            base_url=sandbox.base_url,
            rate_limit=args.rate_limit,
            timeout=30,
            options={"client_options": {"retry": RetryPolicy(10, 0.01, 0.5), "seed": 1}},
        )
        with get_adapter(config) as adapter:
            items = listings(args.listings)
            rows = [run_phase("listings", adapter, adapter.push_listings, items, deadline)]
            updates = [
                StockPriceItem(f"BENCH-{n:06d}", quantity=n % 500, sale_price=Decimal("189.90"))
                for n in range(args.stock)
            ]
            rows.append(run_phase("stock+price", adapter, adapter.push_stock_prices, updates, deadline))
            totals = adapter.client.stats.as_dict()
        sandbox_requests = sandbox.request_count

    print(
        f"Trendyol sandbox on 127.0.0.1, fail rate {args.fail_rate:.0%}, rate limit {args.rate_limit or 'none'}"
    )
    print(
        f"{'phase':<12} {'items':>7} {'batches':>7} {'ok':>7} {'failed':>6} {'requests':>8} "
        f"{'attempts':>8} {'push s':>7} {'wall s':>7} {'items/s':>9}"
    )
    for row in rows:
        print(
            f"{row['phase']:<12} {row['items']:>7} {row['batches']:>7} {row['succeeded']:>7} {row['failed']:>6} "
            f"{row['requests']:>8} {row['attempts']:>8} {row['push_s']:>7.2f} {row['wall_s']:>7.2f} "
            f"{row['items_per_s']:>9.0f}"
        )
    print(
        f"HTTP attempts {totals['attempts']} (sandbox saw {sandbox_requests}), retries {totals['retries']}, "
        f"statuses {totals['statuses']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
