"""The contract kit of Amazon SP-API: listings keyed by the seller SKU, created through
JSON_LISTINGS_FEED (500 items) or putListingsItem (a few); token buckets scaled 50× in
both the sandbox and the adapter so a contract run takes seconds, not Amazon's minutes."""

from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.amazon import AmazonSandbox
from tests.marketplaces.contract.kit import MarketplaceKit

SELLER = "A1CONTRACTSELLER"
CREDENTIALS = {
    "seller_id": SELLER,
    "client_id": "amzn1.application-oa2-client.contract",
    "client_secret": "amzn1.oa2-cs.v1.contract-secret",
    "refresh_token": "Atzr|IwEBIcontract-refresh",
    "marketplace_id": "A33AVAJ2PDY3EV",
}
RATE_SCALE = 50.0


class AmazonKit(MarketplaceKit):
    code = "amazon"
    category_id = "SHIRT"
    category_name = "Shirt"
    attribute_values = {"color": "Siyah", "size": "M", "material": "Pamuk"}
    account_settings = {"adapter_options": {"brand": "Acme"}}
    #: Amazon has no seller-side "processing" step: nothing is pushed, the order stays Unshipped
    processing_status = "Unshipped"
    #: the status change of ours Amazon hears about (confirmShipment) and what it shows then
    status_to_push, pushed_status = "completed", "Shipped"

    def start_sandbox(self, **options: Any) -> AmazonSandbox:
        return AmazonSandbox(seller_id=SELLER, client_id=CREDENTIALS["client_id"],
                             client_secret=CREDENTIALS["client_secret"], refresh_token=CREDENTIALS["refresh_token"],
                             rate_scale=RATE_SCALE, **options).start()  # fmt: skip

    def credentials(self) -> dict[str, str]:
        return dict(CREDENTIALS)

    def adapter_options(self, sandbox: AmazonSandbox) -> dict[str, Any]:
        # tracking_number: our orders carry none yet, and confirmShipment needs one
        return {"lwa_url": f"{sandbox.root_url}/auth/o2/token", "rate_limit_scale": RATE_SCALE,
                "tracking_number": "YK-CONTRACT-1"}

    def add_orders(self, sandbox: AmazonSandbox, count: int, keys: list[str]) -> list[str]:
        return sandbox.add_orders(count, keys)

    def reject_items(self, sandbox: AmazonSandbox, keys: list[str], message: str) -> None:
        sandbox.reject_items(keys, message)

    def listed_keys(self, sandbox: AmazonSandbox) -> set[str]:
        return set(sandbox.listings())

    def creates_sent(self, sandbox: AmazonSandbox) -> Counter:
        """SKUs sent to be created: putListingsItem calls and feed UPDATE messages uploaded."""
        sent: Counter = Counter()
        for request in sandbox.requests:
            if request.status != 200 or request.method != "PUT":
                continue
            if request.path.startswith("/listings/"):
                sent[request.path.rsplit("/", 1)[1]] += 1
            elif request.path.startswith("/tortuga/") and isinstance(request.body, dict):
                sent.update(m["sku"] for m in request.body.get("messages") or [] if m.get("operationType") == "UPDATE")
        return sent

    def stock_of(self, sandbox: AmazonSandbox, key: str) -> int | None:
        return sandbox.stock(key)

    def price_of(self, sandbox: AmazonSandbox, key: str) -> Decimal | None:
        price = sandbox.price(key)
        return None if price is None else Decimal(str(price)).quantize(Decimal("0.01"))

    def order_status(self, sandbox: AmazonSandbox, external_id: str) -> str:
        return sandbox.order(external_id)["OrderStatus"]
