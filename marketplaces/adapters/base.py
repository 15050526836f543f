"""The one small interface every marketplace adapter implements, its data shapes, and the
registry of adapters by marketplace code.

Adapters know nothing about Django models: they take an :class:`AccountConfig` (built from
a marketplace account by the sync services) and plain dataclasses, and they return plain
dataclasses. Marketplace payloads and error messages are kept as the marketplace sent them
(``raw``, ``errors``) so an operator sees exactly what the marketplace said.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy

# Our order statuses (orders.models.OrderStatus values), repeated here so adapters stay
# independent of the ORM.
PENDING, PROCESSING, COMPLETED, CANCELLED, REFUNDED = "pending", "processing", "completed", "cancelled", "refunded"

# Per-item result states.
ITEM_SUCCESS, ITEM_FAILED, ITEM_PENDING = "success", "failed", "pending"
#: the error of an item whose synchronous answer was lost with the worker that sent it
LOST_RESULT = gettext_lazy("The answer to this update was lost when a worker stopped; it is sent again.")


@dataclass
class AccountConfig:
    """What an adapter needs to talk to one seller account."""

    marketplace: str
    seller_id: str
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    base_url: str = ""
    account_key: str = ""  # identifies the account for the shared rate limit; default marketplace:seller
    integrator_name: str = "SelfIntegration"
    storefront_code: str = ""
    rate_limit: str | None = None  # "N/period"; None = the MARKETPLACE_RATE_LIMIT setting, "" = none
    timeout: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: every credential of the account by its key (merchant_id, service_key, client_id…)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def limiter_key(self) -> str:
        return self.account_key or f"{self.marketplace}:{self.seller_id}"


@dataclass
class ListingItem:
    """One variant as a marketplace listing. ``attributes`` are already in the
    marketplace's shape (from the category mapping); ``extra`` is merged into the payload.

    ``barcode`` is the listing's key: what the marketplace knows the item by and what
    batch results are keyed by (see :meth:`MarketplaceAdapter.listing_key`: the barcode on
    Trendyol, the seller's SKU elsewhere). ``gtin`` is the variant's own barcode, if any."""

    barcode: str
    sku: str
    title: str
    group_code: str  # groups the variants of one product (Trendyol productMainId)
    brand_id: int | None
    category_id: int | None
    quantity: int
    list_price: Decimal | float
    sale_price: Decimal | float
    vat_rate: int = 20
    currency: str = "TRY"
    description: str = ""
    images: list[str] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    dimensional_weight: float = 1
    cargo_company_id: int | None = None
    brand_name: str = ""
    gtin: str = ""
    weight_grams: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: the mapped marketplace category id as text (for ids that are not numbers, e.g.
    #: Amazon's product type "SHIRT"; ``category_id`` is None then)
    category_code: str = ""


@dataclass
class StockPriceItem:
    """A stock and/or price change for one listing; None fields are not sent. ``barcode``
    is the listing's key (as on :class:`ListingItem`); ``sku`` the seller's SKU."""

    barcode: str
    quantity: int | None = None
    sale_price: Decimal | float | None = None
    list_price: Decimal | float | None = None
    sku: str = ""
    #: False when the marketplace has these prices already (only the quantity changed):
    #: adapters that send prices in a call of their own may leave them out
    price_changed: bool = True


@dataclass
class BatchHandle:
    """A batch the marketplace accepted for asynchronous processing."""

    batch_id: str
    kind: str  # "listings", "listings_update" or "stock_price"
    keys: list[str]  # item keys (barcodes) in the order sent

    @property
    def settled(self) -> bool:
        """The marketplace answered at once (see MarketplaceAdapter.settled_batch)."""
        return self.batch_id.startswith("now-")


@dataclass
class ItemResult:
    """The outcome of one item: ``status`` is success, failed or pending; ``errors`` are
    the marketplace's messages as sent."""

    key: str
    status: str
    errors: list[str] = field(default_factory=list)
    raw: Any = None


@dataclass
class BatchResult:
    batch_id: str
    done: bool
    items: list[ItemResult]
    raw: Any = None

    @property
    def failed(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == ITEM_FAILED]

    @property
    def succeeded(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == ITEM_SUCCESS]


@dataclass
class OrderLine:
    line_id: str
    barcode: str
    merchant_sku: str
    quantity: int
    unit_price: Decimal
    gross_amount: Decimal
    discount: Decimal
    product_name: str = ""
    marketplace_status: str = ""
    raw: Any = None


@dataclass
class MarketplaceOrder:
    """An order (for Trendyol: a shipment package) in one internal shape."""

    external_id: str
    order_number: str
    status: str  # ours: pending / processing / completed / cancelled / refunded
    marketplace_status: str  # as received
    lines: list[OrderLine]
    customer: dict[str, Any]
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    ordered_at: datetime | None
    created_at: datetime | None
    modified_at: datetime | None
    currency: str = "TRY"
    gross_amount: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    cancel_reason: str = ""
    invoice_number: str = ""
    #: the parcel's tracking number, as our order has it (for a shipment confirmation)
    tracking_number: str = ""
    raw: Any = None


@dataclass
class OrderPull:
    """The orders of one pull and the watermark to start the next one from."""

    orders: list[MarketplaceOrder]
    watermark: datetime
    requests: int = 0


@dataclass
class Category:
    id: int | str  # str where the marketplace names its categories (Amazon product types)
    name: str
    parent_id: int | None
    children: list[Category] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Category]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class CategoryAttribute:
    id: int | str
    name: str
    required: bool
    allow_custom: bool
    varianter: bool
    slicer: bool
    allow_multiple: bool
    values: list[dict[str, Any]] = field(default_factory=list)
    raw: Any = None


_PLAIN_JSON = (str, int, bool, type(None))


def _normalise(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN_JSON:
        return value
    if kind is dict:
        return {str(k): v if type(v) in _PLAIN_JSON else _normalise(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _PLAIN_JSON else _normalise(v) for v in value]
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != value.to_integral() else int(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def payload_hash(payload: Any) -> str:
    """A stable SHA-256 of a JSON-able payload (key order and Decimal/float spelling do not
    matter): store it on the listing and skip items whose hash has not changed."""
    text = json.dumps(_normalise(payload), sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


class MarketplaceAdapter(ABC):
    """One marketplace account's operations. Every call may raise
    :class:`marketplaces.client.MarketplaceError`."""

    code: ClassVar[str]
    name: ClassVar[str]
    max_batch_items: ClassVar[int] = 1000

    def __init__(self, config: AccountConfig) -> None:
        self.config = config
        #: items per batch sent (the `batch_size` adapter option, at most max_batch_items)
        self.batch_size = max(1, min(int(config.options.get("batch_size") or self.max_batch_items),
                                     self.max_batch_items))  # fmt: skip

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> MarketplaceAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def test_connection(self) -> None:
        """Raise MarketplaceError when the credentials or base URL do not work."""

    @abstractmethod
    def push_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """Create listings; one handle per batch sent."""

    @classmethod
    def can_update_listings(cls) -> bool:
        """Whether the marketplace has a content update apart from a create."""
        return cls.update_listings is not MarketplaceAdapter.update_listings

    def update_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """Send the content (title, description, images, attributes…) of listings the
        marketplace already has; one handle per batch sent, polled with :meth:`poll_batch`.
        Stock and prices do not go this way (:meth:`push_stock_prices`). Adapters whose
        marketplace has no separate update call do not override this: it raises
        NotImplementedError, and the caller creates (:meth:`push_listings`) instead."""
        raise NotImplementedError(f"{type(self).__name__} cannot update listings")

    @abstractmethod
    def poll_batch(self, handle: BatchHandle) -> BatchResult:
        """The current per-item results of a batch (``done`` false while processing)."""

    @abstractmethod
    def push_stock_prices(self, items: Iterable[StockPriceItem]) -> list[BatchHandle]:
        """Send stock and price changes (only what changed); one handle per batch sent."""

    @abstractmethod
    def fetch_orders(self, since: datetime, until: datetime | None = None,
                     overlap: timedelta | None = None) -> OrderPull:
        """Orders modified since ``since`` minus the overlap buffer, every page, each once."""

    @abstractmethod
    def push_order_status(self, order: MarketplaceOrder, status: str, *,
                          invoice_number: str | None = None) -> None:
        """Send our change of an order's status (marketplace status name)."""

    @abstractmethod
    def fetch_categories(self) -> list[Category]:
        """The category tree (roots with their children)."""

    @abstractmethod
    def fetch_category_attributes(self, category_id: int | str) -> list[CategoryAttribute]:
        """The attributes of a leaf category."""

    # ---- hooks with defaults (the sync services call these) ------------------------------

    #: the most units one listing may announce (None: no limit)
    max_quantity: ClassVar[int | None] = None
    #: seconds the marketplace wants between two stock updates of one listing (None: any)
    min_stock_interval: ClassVar[float | None] = None
    #: whether a created listing has its stock and price on the marketplace; when not (a
    #: catalogue entry first, the offer apart), the stock is pushed after the create
    create_carries_stock: ClassVar[bool] = True

    #: a category mapping keeps an allowed attribute value by its text (else by its id)
    mapping_values_by_name: ClassVar[bool] = False

    @classmethod
    def filled_by_sync(cls, attribute_id: str, settings: dict[str, Any]) -> bool:
        """Whether the sync fills this attribute from the product or the account's
        `settings` (then a category mapping need not give it)."""
        return False

    @classmethod
    def listing_key(cls, barcode: str, sku: str) -> str:
        """What a variant is known by at the marketplace: its barcode (else its SKU) by
        default; marketplaces keyed by the seller's stock code override this."""
        return barcode or sku

    def settled_batch(self, kind: str, results: list[ItemResult]) -> BatchHandle:
        """A handle for a call the marketplace answered at once (no batch to poll): the
        results are kept on this adapter and :meth:`settled_result` returns them."""
        handle = BatchHandle(f"now-{uuid.uuid4().hex}", kind, [r.key for r in results])
        self._settled = getattr(self, "_settled", {})
        self._settled[handle.batch_id] = BatchResult(handle.batch_id, True, results)
        return handle

    def settled_result(self, handle: BatchHandle) -> BatchResult | None:
        """The results of a handle made by :meth:`settled_batch`, or None for a real batch.
        A worker that took over a job cannot know what another worker's synchronous call
        answered: those items are reported failed, to be sent again."""
        if not handle.batch_id.startswith("now-"):
            return None
        result = getattr(self, "_settled", {}).pop(handle.batch_id, None)
        if result is not None:
            return result
        lost = [ItemResult(key, ITEM_FAILED, [str(LOST_RESULT)]) for key in handle.keys]
        return BatchResult(handle.batch_id, True, lost)

    def content_hash(self, item: ListingItem) -> str:
        """Hash of a listing's content without stock and prices (those go separately):
        unchanged ⇒ no content update is sent."""
        data = {k: v for k, v in vars(item).items() if k not in ("quantity", "list_price", "sale_price")}
        return payload_hash(data)

    def mapping_attributes(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """A category mapping's attribute values (id → value id or text) in the
        marketplace's shape."""
        return [{"id": key, "value": value} for key, value in sorted(values.items())]

    def is_already_listed(self, result: ItemResult) -> bool:
        """A create refused only because the marketplace has the item already."""
        return False

    def is_identical_refusal(self, result: ItemResult) -> bool:
        """A stock/price item refused only because the same values were just sent."""
        return False

    @classmethod
    def seller_status_for(cls, status: str) -> str | None:
        """The marketplace status a seller sends when our order moves to `status` (None:
        nothing to send)."""
        return None

    @classmethod
    def has_reached(cls, target: str, marketplace_status: str) -> bool:
        """Whether an order the marketplace has in `marketplace_status` is at or past the
        seller status `target` already (then it is not pushed)."""
        return marketplace_status == target

    def fetch_order(self, external_id: str) -> MarketplaceOrder | None:
        """One order as the marketplace has it now (None if unknown)."""
        raise NotImplementedError

    def wait_for_batch(self, handle: BatchHandle, timeout: float = 300.0, interval: float = 1.0) -> BatchResult:
        """Poll until the batch is done or ``timeout`` seconds passed (then not done)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.poll_batch(handle)
            if result.done or time.monotonic() >= deadline:
                return result
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


_REGISTRY: dict[str, type[MarketplaceAdapter]] = {}


def register(adapter: type[MarketplaceAdapter]) -> type[MarketplaceAdapter]:
    """Class decorator: make an adapter available under its marketplace code."""
    _REGISTRY[adapter.code] = adapter
    return adapter


def adapter_class(code: str) -> type[MarketplaceAdapter]:
    """The adapter class of a marketplace code; KeyError when none is registered."""
    import marketplaces.adapters  # noqa: F401 - registers the built-in adapters

    return _REGISTRY[code]


def get_adapter(config: AccountConfig) -> MarketplaceAdapter:
    return adapter_class(config.marketplace)(config)


def registered_codes() -> list[str]:
    import marketplaces.adapters  # noqa: F401

    return sorted(_REGISTRY)
