"""The contract kit of Hepsiburada: its sandbox serves the listing, OMS and catalog hosts
under path prefixes of one port, listings are keyed by the seller's merchantSku, and an
order (Hepsiburada's order number) is processed by packaging its lines."""

from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.hepsiburada import MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox
from tests.marketplaces.contract.kit import MarketplaceKit

TSHIRT_CATEGORY = "18021982"
TSHIRT_ATTRIBUTES = {"renk_variant_property": "Siyah", "beden_variant_property": "M"}


class HepsiburadaKit(MarketplaceKit):
    code = "hepsiburada"
    category_id = TSHIRT_CATEGORY
    category_name = "Tişört"
    attribute_values = TSHIRT_ATTRIBUTES
    account_settings = {"adapter_options": {"default_brand": "Acme"}}
    processing_status = "Packaged"

    def start_sandbox(self, **options: Any) -> HepsiburadaSandbox:
        return HepsiburadaSandbox(rate_limits=False, **options).start()

    def credentials(self) -> dict[str, str]:
        return {"merchant_id": MERCHANT_ID, "service_key": SERVICE_KEY, "user_agent": USER_AGENT}

    def adapter_options(self, sandbox: HepsiburadaSandbox) -> dict[str, Any]:
        return sandbox.adapter_options()

    def add_orders(self, sandbox: HepsiburadaSandbox, count: int, keys: list[str]) -> list[str]:
        return sandbox.add_orders(count, keys)

    def reject_items(self, sandbox: HepsiburadaSandbox, keys: list[str], message: str) -> None:
        sandbox.reject_items(keys, message)

    def listed_keys(self, sandbox: HepsiburadaSandbox) -> set[str]:
        return set(sandbox.listings)

    def creates_sent(self, sandbox: HepsiburadaSandbox) -> Counter:
        return Counter(sandbox.import_counts)

    def stock_of(self, sandbox: HepsiburadaSandbox, key: str) -> int | None:
        listing = sandbox.listings.get(key)
        return None if listing is None else listing["availableStock"]

    def price_of(self, sandbox: HepsiburadaSandbox, key: str) -> Decimal | None:
        listing = sandbox.listings.get(key)
        return None if listing is None else Decimal(str(listing["price"])).quantize(Decimal("0.01"))

    def order_status(self, sandbox: HepsiburadaSandbox, external_id: str) -> str:
        return sandbox.order_status(external_id)
