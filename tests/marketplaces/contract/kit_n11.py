"""The contract kit of N11: its sandbox keyed by the seller's stock code (our SKU), product
and price/stock tasks polled through task-details, shipment packages as orders."""

from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.n11 import N11Sandbox
from tests.marketplaces.contract.kit import MarketplaceKit

APP_KEY, APP_SECRET = "n11-key-Vb83kQ", "n11-secret-Lm29xR"
TSHIRT_CATEGORY = "1001011"  # a leaf of the sandbox's tree; Marka, Renk and Beden are mandatory
TSHIRT_ATTRIBUTES = {"429": 8773701, "430": 8800002}  # Renk: Siyah, Beden: M
BRAND_VALUE_ID = 8400002  # "Acme", a value of attribute 1 (Marka)
SHIPMENT_TEMPLATE = "Standart Kargo"
SHOP_NAME = "acme-n11"  # N11 credentials carry no seller id: the account names the shop


class N11Kit(MarketplaceKit):
    code = "n11"
    category_id = TSHIRT_CATEGORY
    category_name = "Tişört"
    attribute_values = TSHIRT_ATTRIBUTES
    account_settings = {"default_brand_id": BRAND_VALUE_ID,
                        "adapter_options": {"shipment_template": SHIPMENT_TEMPLATE}}  # fmt: skip
    processing_status = "Picking"
    seller_id = SHOP_NAME

    def start_sandbox(self, **options: Any) -> N11Sandbox:
        return N11Sandbox(app_key=APP_KEY, app_secret=APP_SECRET, **options).start()

    def credentials(self) -> dict[str, str]:
        return {"app_key": APP_KEY, "app_secret": APP_SECRET}

    def add_orders(self, sandbox: N11Sandbox, count: int, keys: list[str]) -> list[str]:
        return [str(i) for i in sandbox.add_packages(count, keys, max_quantity=1)]

    def reject_items(self, sandbox: N11Sandbox, keys: list[str], message: str) -> None:
        sandbox.reject_items(keys, message)

    def listed_keys(self, sandbox: N11Sandbox) -> set[str]:
        return set(sandbox.products())

    def creates_sent(self, sandbox: N11Sandbox) -> Counter:
        return Counter(sku["stockCode"] for task in sandbox.tasks()
                       if task["kind"] == "create" and task["status"] != "REJECT" for sku in task["skus"])  # fmt: skip

    def stock_of(self, sandbox: N11Sandbox, key: str) -> int | None:
        return sandbox.stock(key)

    def price_of(self, sandbox: N11Sandbox, key: str) -> Decimal | None:
        price = sandbox.price(key)
        return None if price is None else price[0]

    def order_status(self, sandbox: N11Sandbox, external_id: str) -> str:
        return sandbox.package(int(external_id))["shipmentPackageStatus"]
