"""The contract kit of Trendyol: its sandbox keyed by barcode (our SKU when a variant has
no GTIN), shipment packages as orders."""

from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.trendyol import TrendyolSandbox
from tests.marketplaces.contract.kit import MarketplaceKit
from tests.marketplaces.sync_world import (
    BRAND_ID,
    KEY,
    SECRET,
    SELLER,
    TSHIRT_ATTRIBUTES,
    TSHIRT_CATEGORY,
)


class TrendyolKit(MarketplaceKit):
    code = "trendyol"
    category_id = TSHIRT_CATEGORY
    category_name = "Tişört"
    attribute_values = TSHIRT_ATTRIBUTES
    account_settings = {"default_brand_id": BRAND_ID}
    processing_status = "Picking"

    def start_sandbox(self, **options: Any) -> TrendyolSandbox:
        return TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, **options).start()

    def credentials(self) -> dict[str, str]:
        return {"seller_id": SELLER, "api_key": KEY, "api_secret": SECRET}

    def add_orders(self, sandbox: TrendyolSandbox, count: int, keys: list[str]) -> list[str]:
        return [str(i) for i in sandbox.add_packages(count, barcodes=keys, max_quantity=1)]

    def reject_items(self, sandbox: TrendyolSandbox, keys: list[str], message: str) -> None:
        sandbox.reject_items(keys, message)

    def listed_keys(self, sandbox: TrendyolSandbox) -> set[str]:
        return set(sandbox.products())

    def creates_sent(self, sandbox: TrendyolSandbox) -> Counter:
        return Counter(
            item["barcode"]
            for r in sandbox.requests
            if r.method == "POST" and r.path.endswith("/v2/products") and r.status == 200
            for item in r.body["items"]
        )

    def stock_of(self, sandbox: TrendyolSandbox, key: str) -> int | None:
        return sandbox.stock(key)

    def price_of(self, sandbox: TrendyolSandbox, key: str) -> Decimal | None:
        price = sandbox.price(key)
        return None if price is None else Decimal(str(price[0]))

    def order_status(self, sandbox: TrendyolSandbox, external_id: str) -> str:
        return sandbox.package(int(external_id))["status"]
