"""The contract kit of Ozon: products by offer id (our SKU), FBS postings as orders, stock
into one warehouse."""

from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.ozon import OzonSandbox
from marketplaces.sandbox.ozon_data import WAREHOUSES
from tests.marketplaces.contract.kit import MarketplaceKit

CLIENT_ID, API_KEY = "777001", "ozon-contract-key-4Rt"


class OzonKit(MarketplaceKit):
    code = "ozon"
    category_id = "200000933:93244"
    category_name = "Футболка"
    attribute_values = {"85": "Acme", "10096": 61574, "4295": "48"}
    account_settings = {"adapter_options": {"warehouse_id": WAREHOUSES[0]["warehouse_id"]}}
    processing_status = "awaiting_deliver"

    def start_sandbox(self, **options: Any) -> OzonSandbox:
        return OzonSandbox(CLIENT_ID, API_KEY, rate_limits=False, **options).start()

    def credentials(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "api_key": API_KEY}

    def add_orders(self, sandbox: OzonSandbox, count: int, keys: list[str]) -> list[str]:
        return sandbox.add_postings(count, keys)

    def reject_items(self, sandbox: OzonSandbox, keys: list[str], message: str) -> None:
        sandbox.reject_items(keys, message)

    def listed_keys(self, sandbox: OzonSandbox) -> set[str]:
        with sandbox._lock:
            sandbox._settle()
            return set(sandbox.products)

    def creates_sent(self, sandbox: OzonSandbox) -> Counter:
        return Counter(
            item["offer_id"]
            for r in sandbox.requests_to("POST", "/v3/product/import")
            if r.status == 200
            for item in r.body["items"]
        )

    def stock_of(self, sandbox: OzonSandbox, key: str) -> int | None:
        return sandbox.stock(key)

    def price_of(self, sandbox: OzonSandbox, key: str) -> Decimal | None:
        product = sandbox.product(key)
        return None if product is None else Decimal(product["price"])

    def age_stock_updates(self, sandbox: OzonSandbox, seconds: float) -> None:
        sandbox.age_stock_updates(seconds)

    def order_status(self, sandbox: OzonSandbox, external_id: str) -> str:
        return sandbox.posting(external_id)["status"]
