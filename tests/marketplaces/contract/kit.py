"""What the shared marketplace contract suite needs from each marketplace: how to start its
sandbox, connect an account to it, make orders appear there and read back what the
marketplace received. One kit per marketplace (``kit_<code>.py``), listed in ``KITS``.

The suite itself (``test_contract.py``) only talks to our services and to a kit, so a new
marketplace is added by writing its adapter, its sandbox and its kit, and passing the suite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from decimal import Decimal
from typing import Any

from marketplaces.models import CategoryMapping, MarketplaceAccount


class MarketplaceKit(ABC):
    code: str
    #: our category → the marketplace leaf category and attribute values it requires
    category_id: str
    category_name: str
    attribute_values: dict[str, Any] = {}
    #: extra account settings (brand ids, warehouse ids, adapter_options…)
    account_settings: dict[str, Any] = {}
    #: the account's seller id where the credentials carry none (N11: the shop's name)
    seller_id: str = ""

    # ---- the sandbox -----------------------------------------------------------------------

    @abstractmethod
    def start_sandbox(self, **options: Any) -> Any:
        """A started sandbox with fast settings for tests (no batch delay, no real-time
        rate limits that would make 500 items take minutes; protocol rules stay on)."""

    @abstractmethod
    def credentials(self) -> dict[str, str]:
        """The account credentials the sandbox accepts."""

    def base_url(self, sandbox: Any) -> str:
        return sandbox.base_url

    def connect(self, tenant: Any, sandbox: Any, category: Any, *, adapter_options: dict | None = None,
                name: str = "") -> MarketplaceAccount:  # fmt: skip
        from marketplaces import services

        settings = {**self.account_settings}
        options = {**settings.pop("adapter_options", {}), **self.adapter_options(sandbox), **(adapter_options or {})}
        account = services.connect_account(
            tenant=tenant, marketplace=self.code, name=name or f"{self.code} contract", base_url=self.base_url(sandbox),
            credentials=self.credentials(), seller_id=self.seller_id,
            settings={**settings, "adapter_options": options},
        )  # fmt: skip
        CategoryMapping.objects.create(
            tenant=tenant, account=account, category=category, marketplace_category_id=self.category_id,
            marketplace_category_name=self.category_name, attribute_values=self.attribute_values,
        )  # fmt: skip
        return account

    def adapter_options(self, sandbox: Any) -> dict[str, Any]:
        """Options pointing the adapter's other hosts (token, orders, documents…) at the sandbox."""
        return {}

    # ---- making things happen at the marketplace --------------------------------------------

    @abstractmethod
    def add_orders(self, sandbox: Any, count: int, keys: list[str]) -> list[str]:
        """Create `count` new orders (one line each, cycling through the listing keys, the
        quantity 1) ready for the seller to process; their external ids as our import
        stores them (Order.external_id)."""

    @abstractmethod
    def reject_items(self, sandbox: Any, keys: list[str], message: str) -> None:
        """Make the marketplace refuse these items (create and stock/price) with `message`."""

    # ---- reading what the marketplace has -----------------------------------------------------

    @abstractmethod
    def listed_keys(self, sandbox: Any) -> set[str]:
        """Listing keys (what our listings store as external key) the marketplace has."""

    @abstractmethod
    def creates_sent(self, sandbox: Any) -> Counter:
        """How many times each listing key was sent to be created."""

    @abstractmethod
    def stock_of(self, sandbox: Any, key: str) -> int | None:
        """The quantity the marketplace shows for a listing."""

    @abstractmethod
    def price_of(self, sandbox: Any, key: str) -> Decimal | None:
        """The sale price the marketplace shows for a listing."""

    @abstractmethod
    def order_status(self, sandbox: Any, external_id: str) -> str:
        """The marketplace's status of an order (or package) as it has it now."""

    def age_stock_updates(self, sandbox: Any, seconds: float) -> None:
        """Make the stock updates the marketplace recorded `seconds` older, for a marketplace
        with a minimum interval between two updates of an item."""

    #: the marketplace status an order has once we moved it to processing
    processing_status: str
    #: our status whose change the marketplace hears about (Amazon: only a shipment)
    status_to_push: str = "processing"

    @property
    def pushed_status(self) -> str:
        """The marketplace status an order has once we moved it to `status_to_push`."""
        return self.processing_status
