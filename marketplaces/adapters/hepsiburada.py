"""The Hepsiburada Marketplace API adapter, per the team's protocol notes (§2).

- **Hosts per service** (§2.1): listings (price/stock) on ``listing-external``, orders and
  packages on ``oms-external``, product create on the catalog (``mpop…/product``). The
  ``environment`` option picks production (``"prod"``, the default) or the ``-sit`` sandbox
  names; ``listing_url`` / ``oms_url`` / ``catalog_url`` override one service each. The
  account's base URL is the listing host; a base URL whose path ends in ``/listing`` (a
  single-host gateway such as our sandbox) serves the others at the sibling paths ``/oms``
  and ``/mpop/product``.
- **Auth** (§2.2, M): HTTP Basic with the merchant id (or the ``username`` credential) and
  the service key, and the User-Agent registered in the merchant panel, verbatim (the
  ``user_agent`` credential; there is no default: a made-up one is answered 401). The
  merchant id goes in the lowercase ``merchantid`` path segment.
- **Stock and prices** (§2.3): bare JSON arrays to ``inventory-uploads`` (price and stock),
  ``stock-uploads`` or ``price-uploads``, at most ``batch_size`` rows (default 1,000; the
  SDK reports 4,000 per request and five uploads in flight, L); each answers ``{id}``,
  polled for row failures inside a 200 (keyed by ``merchantSku`` or ``elementNo``).
  Listings keyed by the seller's ``merchantSku`` (:meth:`HepsiburadaAdapter.listing_key`).
- **Fulfilled by Hepsiburada** (§2.3): the listings endpoint says which listings
  Hepsiburada's warehouse stocks (``isFulfilledByHB``); their stock is never sent. Their
  price still is, and the item is reported refused with :data:`FULFILLED_BY_HB` (option
  ``fulfilled_by_hb="refuse"``, the default) or accepted (``"skip"``).
- **Product create and content updates** (§2.1): the catalog import (multipart file of a
  JSON array, price as a string with a decimal comma — L, option ``catalog_price_format``),
  polled by tracking id; it updates the products it already has (by merchantSku).
  Catalog answers carry ``{success, code, message, data}``; a failure inside a 200 raises.
- **Orders** (§2.4): see :mod:`marketplaces.adapters.hepsiburada_orders`.

Configurable (the notes mark these M/L): every host, the Basic username, the page size of
the listings scan (``listings_page_size``, 1,000) and the client rate limit (``rate_limit``,
e.g. ``"180/min"`` — the SDK's per-IP figure).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplaces.adapters.base import (
    ITEM_FAILED,
    ITEM_PENDING,
    ITEM_SUCCESS,
    PROCESSING,
    AccountConfig,
    BatchHandle,
    BatchResult,
    Category,
    CategoryAttribute,
    ItemResult,
    ListingItem,
    MarketplaceAdapter,
    StockPriceItem,
    register,
)
from marketplaces.adapters.hepsiburada_orders import HepsiburadaOrdersMixin
from marketplaces.client import ClientStats, MarketplaceError, MarketplaceHttpClient

HOSTS: dict[str, dict[str, str]] = {
    "prod": {"listing": "https://listing-external.hepsiburada.com",
             "oms": "https://oms-external.hepsiburada.com",
             "catalog": "https://mpop.hepsiburada.com/product"},
    "sit": {"listing": "https://listing-external-sit.hepsiburada.com",
            "oms": "https://oms-external-sit.hepsiburada.com",
            "catalog": "https://mpop-sit.hepsiburada.com/product"},
}  # fmt: skip
SERVICES = ("listing", "oms", "catalog")
GATEWAY_PATHS = {"listing": "/listing", "oms": "/oms", "catalog": "/mpop/product"}
MAX_BATCH_ITEMS = 1000
MAX_UPLOAD_ROWS = 4000
SKU_LOOKUP_CHUNK = 50  # merchantSkuList takes at most 50 SKUs (§2.3)
SCAN_THRESHOLD = 200  # more unknown SKUs than this: scan every listing instead
UPLOAD_KINDS = {"inventory": "inventory-uploads", "stock": "stock-uploads", "price": "price-uploads",
                "fbh": "price-uploads"}  # fmt: skip
SETTLED = ("done", "failed", "completed")
VAT_RATES = (0, 1, 10, 20)
FULFILLED_BY_HB = gettext_lazy(
    "Stock not sent: Hepsiburada's warehouse fulfils this listing (isFulfilledByHB) and manages its stock.")
NO_USER_AGENT = gettext_lazy(
    "Set the user_agent credential: the integrator name registered in the Hepsiburada merchant panel.")


def service_urls(base_url: str, options: dict[str, Any]) -> dict[str, str]:
    """The URL of each service (listing, oms, catalog) for an account."""
    environment = str(options.get("environment") or "")
    base = (base_url or "").rstrip("/")
    known = {urls["listing"]: env for env, urls in HOSTS.items()}
    if not environment:
        environment = known.get(base, "prod")
    if environment not in HOSTS:
        raise MarketplaceError(_("Unknown Hepsiburada environment %(env)s: use prod or sit.") % {"env": environment})
    urls = dict(HOSTS[environment])
    if base and base not in known:
        if urlsplit(base).path.endswith(GATEWAY_PATHS["listing"]):
            root = base[: -len(GATEWAY_PATHS["listing"])]
            urls = {service: root + path for service, path in GATEWAY_PATHS.items()}
        else:
            urls["listing"] = base
    for service in SERVICES:
        if options.get(f"{service}_url"):
            urls[service] = str(options[f"{service}_url"]).rstrip("/")
    return urls


def _money(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _price_number(value: Decimal | float | int) -> float:
    """A listing price: a JSON number with a dot and two decimals (§2.3)."""
    return float(_money(value))


def _catalog_price(value: Decimal | float | int, style: str) -> str:
    """A catalog import price: a string, "130,50" by default (§2.3, L)."""
    text = f"{_money(value):f}"
    return text if style == "dot" else text.replace(".", ",")


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _envelope(body: Any) -> Any:
    """The ``data`` of a catalog answer; a failure reported inside a 200 raises."""
    if isinstance(body, dict) and (body.get("success") is False or body.get("code") not in (None, 0, "0")):
        message = str(body.get("message") or body.get("code"))
        raise MarketplaceError(_("Hepsiburada refused the call: %(message)s") % {"message": message},
                               status=200, body=body)
    return body.get("data") if isinstance(body, dict) else body


class AllClients:
    """The adapter's clients (one per host) seen as one, for request counters."""

    def __init__(self, clients: dict[str, MarketplaceHttpClient]) -> None:
        self.clients = clients

    @property
    def stats(self) -> ClientStats:
        total = ClientStats()
        for client in self.clients.values():
            for name, value in vars(client.stats).items():
                setattr(total, name, getattr(total, name) + value)
        return total


#: package statuses at or past what a seller's push moves an order to
REACHED = {"Packaged": {"Packaged", "InTransit", "Shipped", "Delivered", "Undelivered", "Cancelled", "Returned"}}

#: attributes the catalog import fills from the product (never asked of a category mapping)
FILLED_BY_SYNC = frozenset({
    "merchantSku", "VaryantGroupID", "Barcode", "UrunAdi", "UrunAciklamasi", "GarantiSuresi", "kg",
    "tax_vat_rate", "price", "stock",
})  # fmt: skip
IMAGE_ATTRIBUTE = re.compile(r"^Image\d+$")

@register
class HepsiburadaAdapter(HepsiburadaOrdersMixin, MarketplaceAdapter):
    code = "hepsiburada"
    name = "Hepsiburada"
    max_batch_items = MAX_BATCH_ITEMS

    def __init__(self, config: AccountConfig, *, clients: dict[str, MarketplaceHttpClient] | None = None) -> None:
        super().__init__(config)
        credentials, options = config.credentials, config.options
        self.merchant_id = str(credentials.get("merchant_id") or config.seller_id)
        self.user_agent = str(credentials.get("user_agent") or "")
        username = str(credentials.get("username") or self.merchant_id)
        password = str(credentials.get("service_key") or config.api_key)
        self.batch_size = max(1, min(int(options.get("batch_size", MAX_BATCH_ITEMS)), MAX_UPLOAD_ROWS))
        self.fulfilled_mode = str(options.get("fulfilled_by_hb", "refuse"))
        self.listings_page_size = int(options.get("listings_page_size", 1000))
        self.price_style = str(options.get("catalog_price_format", "comma"))
        self.upload_wait = float(options.get("upload_slot_wait_seconds", 2.0))
        self.urls = service_urls(config.base_url, options)
        rate_limit = options.get("rate_limit", config.rate_limit)
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        self.clients = clients or {
            service: MarketplaceHttpClient(
                url, account_key=config.limiter_key, auth=(username, password), headers=headers,
                timeout=config.timeout, rate_limit=rate_limit, **options.get("client_options", {}))
            for service, url in self.urls.items()
        }  # fmt: skip
        self.client = AllClients(self.clients)
        self._listing_info: dict[str, dict[str, Any]] = {}
        self._scanned = False
        self._settled_keys: dict[str, set[str]] = {}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    @property
    def m(self) -> str:
        return quote(self.merchant_id, safe="")

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """One request to a service; refused before sending without a User-Agent."""
        if not self.user_agent:
            raise MarketplaceError(str(NO_USER_AGENT), status=None, retryable=False, method=method, path=path)
        return self.clients[service].request(method, path, **kwargs)

    @property
    def requests_sent(self) -> int:
        return self.client.stats.attempts

    @classmethod
    def listing_key(cls, barcode: str, sku: str) -> str:
        return sku or barcode

    @classmethod
    def seller_status_for(cls, status: str) -> str | None:
        return "Packaged" if status == PROCESSING else None

    mapping_values_by_name = True

    @classmethod
    def filled_by_sync(cls, attribute_id: str, settings: dict[str, Any]) -> bool:
        options = settings.get("adapter_options") or {}
        return (attribute_id in FILLED_BY_SYNC or bool(IMAGE_ATTRIBUTE.match(attribute_id))
                or (attribute_id == "Marka" and bool(options.get("default_brand"))))  # fmt: skip

    @classmethod
    def has_reached(cls, target: str, marketplace_status: str) -> bool:
        return marketplace_status in REACHED.get(target, {target})

    # ---- connection ----------------------------------------------------------------------

    def test_connection(self) -> None:
        """One listing and one order call: both hosts must accept the credentials."""
        self.call("listing", "GET", f"/listings/merchantid/{self.m}", params={"offset": 0, "limit": 1})
        self.call("oms", "GET", f"/orders/merchantid/{self.m}", params={"offset": 0, "limit": 1})

    # ---- listings (catalog import) --------------------------------------------------------

    def import_item(self, item: ListingItem) -> dict[str, Any]:
        """The catalog import row of a listing (Turkish attribute keys, §2.1)."""
        attributes: dict[str, Any] = {
            "merchantSku": item.sku, "VaryantGroupID": item.group_code, "Barcode": item.gtin or item.barcode,
            "UrunAdi": item.title, "UrunAciklamasi": item.description or item.title,
            "Marka": self._brand(item), "GarantiSuresi": int(self.config.options.get("warranty_months", 0)),
            "kg": str(max(item.weight_grams, 0) / 1000 or item.dimensional_weight).replace(".", ","),
            "tax_vat_rate": str(item.vat_rate), "price": _catalog_price(item.sale_price, self.price_style),
            "stock": str(max(0, int(item.quantity))),
        }  # fmt: skip
        for index, url in enumerate(item.images[:5], start=1):
            attributes[f"Image{index}"] = url
        for attribute in item.attributes:
            attributes[str(attribute.get("id"))] = attribute.get("value")
        attributes.update(item.extra)
        return {"categoryId": item.category_id, "merchant": self.merchant_id, "attributes": attributes}

    def _brand(self, item: ListingItem) -> str:
        names = self.config.options.get("brand_names") or {}
        own = next((a.get("value") for a in item.attributes if a.get("id") == "Marka"), None)
        return str(own or names.get(str(item.brand_id)) or item.brand_name or self.config.options.get("default_brand")
                   or "")

    def _refusal(self, item: ListingItem) -> str | None:
        """A rule Hepsiburada would enforce after the fact, checked before sending."""
        if item.category_id is None:
            return _("The category is not mapped to a Hepsiburada category id.")
        if _money(item.sale_price) <= 0:
            return _("The price must be greater than zero.")
        if int(item.vat_rate) not in VAT_RATES:
            return _("The VAT rate must be one of 0, 1, 10 or 20.")
        if not self._brand(item):
            return _("No brand: set the default_brand adapter option or a Marka attribute.")
        return None

    def push_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        return self._import(items, "listings")

    def update_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """The catalog import also updates the products it knows (by merchantSku): content
        changes go the same way as creates."""
        return self._import(items, "listings_update")

    def _import(self, items: Iterable[ListingItem], kind: str) -> list[BatchHandle]:
        latest: dict[str, ListingItem] = {}
        for item in items:
            latest.pop(item.barcode, None)
            latest[item.barcode] = item
        refused = [ItemResult(key, ITEM_FAILED, [reason]) for key, item in latest.items()
                   if (reason := self._refusal(item))]  # fmt: skip
        refused_keys = {r.key for r in refused}
        rows = [(key, self.import_item(item)) for key, item in latest.items() if key not in refused_keys]
        handles = [self.settled_batch(kind, refused)] if refused else []
        for chunk in _chunks(rows, self.batch_size):
            document = json.dumps([row for _key, row in chunk], ensure_ascii=False).encode()
            body = self.call("catalog", "POST", "/api/products/import", params={"version": 1},
                             files={"file": ("integrator.json", document, "application/json")})  # fmt: skip
            data = _envelope(body) or {}
            handles.append(BatchHandle(f"import:{data['trackingId']}", kind, [key for key, _row in chunk]))
        return handles

    def _poll_import(self, handle: BatchHandle, tracking_id: str) -> BatchResult:
        found: dict[str, dict[str, Any]] = {}
        page, pages, raw = 0, 1, None
        while page < pages:
            raw = self.call("catalog", "GET", f"/api/products/status/{quote(tracking_id, safe='')}",
                            params={"version": 1, "page": page, "size": 1000})  # fmt: skip
            for row in _envelope(raw) or []:
                found[str(row.get("merchantSku") or "")] = row
            pages, page = int((raw or {}).get("totalPages") or 0), page + 1
        results = []
        for key in handle.keys:
            row = found.get(key)
            state = str((row or {}).get("importStatus") or "PROCESSING").upper()
            if row is None or state == "PROCESSING":
                results.append(ItemResult(key, ITEM_PENDING))
                continue
            errors = [str(m.get("message")) for m in row.get("importMessages") or [] if m.get("severity") == "ERROR"]
            errors += [f"{v.get('attributeName')}: {v.get('message')}" for v in row.get("validationResults") or []]
            errors += [str(m) for m in row.get("rejectReasonsMessages") or []]
            status = ITEM_SUCCESS if state == "SUCCESS" else ITEM_FAILED
            if status == ITEM_FAILED and not errors:
                errors = [_("Hepsiburada refused the product (%(state)s).") % {"state": state}]
            results.append(ItemResult(key, status, errors if status == ITEM_FAILED else [], row))
        done = all(r.status != ITEM_PENDING for r in results)
        return BatchResult(handle.batch_id, done, results, raw)

    # ---- stock and prices ----------------------------------------------------------------

    def listing_info(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """What Hepsiburada has for these merchant SKUs (fulfilment, HB SKU), looked up once
        per adapter: in chunks of 50 SKUs, or a scan of every listing when many are unknown."""
        unknown = [k for k in dict.fromkeys(keys) if k not in self._listing_info]
        path = f"/listings/merchantid/{self.m}"
        if len(unknown) > SCAN_THRESHOLD and not self._scanned:
            offset = 0
            while True:
                body = self.call("listing", "GET", path, params={"offset": offset, "limit": self.listings_page_size})
                rows = (body or {}).get("listings") or []
                self._remember(rows)
                offset += len(rows)
                if not rows or offset >= int((body or {}).get("totalCount") or 0):
                    break
            self._scanned = True
        elif unknown and not self._scanned:
            for chunk in _chunks(unknown, SKU_LOOKUP_CHUNK):
                body = self.call("listing", "GET", path, params={"offset": 0, "limit": len(chunk),
                                                                 "merchantSkuList": ",".join(chunk)})  # fmt: skip
                self._remember((body or {}).get("listings") or [])
        return {k: self._listing_info[k] for k in keys if k in self._listing_info}

    def _remember(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._listing_info[str(row.get("merchantSku") or "")] = {
                "fbh": bool(row.get("isFulfilledByHB")), "hbSku": row.get("hepsiburadaSku") or ""}

    def push_stock_prices(self, items: Iterable[StockPriceItem]) -> list[BatchHandle]:
        latest: dict[str, StockPriceItem] = {}
        for item in items:  # one row per listing: the last change wins
            latest.pop(item.barcode, None)
            latest[item.barcode] = item
        info = self.listing_info(list(latest))
        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in UPLOAD_KINDS}
        nothing: list[ItemResult] = []
        for key, item in latest.items():
            row: dict[str, Any] = {"merchantSku": key}
            if info.get(key, {}).get("hbSku"):
                row["hepsiburadaSku"] = info[key]["hbSku"]
            fbh = info.get(key, {}).get("fbh", False)
            if item.sale_price is not None and item.price_changed:
                row["price"] = _price_number(item.sale_price)
            if item.quantity is not None and not fbh:
                row["availableStock"] = max(0, int(item.quantity))
            if fbh:
                kind = "fbh" if "price" in row else ""
            else:
                kind = {(True, True): "inventory", (True, False): "price", (False, True): "stock"}.get(
                    ("price" in row, "availableStock" in row), "")
            if kind:
                groups[kind].append((key, row))
            else:
                nothing.append(self._fbh_result(key, []) if fbh else ItemResult(key, ITEM_SUCCESS))
        handles = [self.settled_batch("stock_price", nothing)] if nothing else []
        for kind, rows in groups.items():
            for chunk in _chunks(rows, self.batch_size):
                upload_id = self._upload(UPLOAD_KINDS[kind], [row for _key, row in chunk])
                handles.append(BatchHandle(f"{kind}:{upload_id}", "stock_price", [key for key, _row in chunk]))
        return handles

    def _upload(self, endpoint: str, rows: list[dict[str, Any]]) -> str:
        """POST a bare JSON array; wait for a slot while five uploads are in flight (the
        refusal of a sixth comes inside a 200, without an id)."""
        path = f"/listings/merchantid/{self.m}/{endpoint}"
        for attempt in range(5):
            body = self.call("listing", "POST", path, json=rows) or {}
            if body.get("id"):
                return str(body["id"])
            time.sleep(self.upload_wait * (attempt + 1))
        raise MarketplaceError(_("Hepsiburada did not accept the upload: %(message)s")
                               % {"message": str(body.get("message") or body)[:300]},
                               status=200, body=body, retryable=True, method="POST", path=path)  # fmt: skip

    def _fbh_result(self, key: str, errors: list[str], raw: Any = None) -> ItemResult:
        if self.fulfilled_mode == "skip" and not errors:
            return ItemResult(key, ITEM_SUCCESS, [], raw)
        return ItemResult(key, ITEM_FAILED, [*errors, str(FULFILLED_BY_HB)], raw)

    def poll_batch(self, handle: BatchHandle) -> BatchResult:
        if (settled := self.settled_result(handle)) is not None:
            return settled
        kind, _sep, upload_id = handle.batch_id.partition(":")
        if kind == "import":
            return self._poll_import(handle, upload_id)
        body = self.call("listing", "GET", f"/listings/merchantid/{self.m}/{UPLOAD_KINDS[kind]}/id/"
                         f"{quote(upload_id, safe='')}") or {}  # fmt: skip
        if str(body.get("status") or "").lower() not in SETTLED:
            return BatchResult(handle.batch_id, False, [ItemResult(k, ITEM_PENDING) for k in handle.keys], body)
        errors: dict[str, list[str]] = {}
        for row in [*(body.get("errors") or []), *(body.get("priceValidations") or [])]:
            key = str(row.get("merchantSku") or "")
            number = int(row.get("elementNo") or 0)
            if not key and 0 < number <= len(handle.keys):
                key = handle.keys[number - 1]
            messages = row.get("errors") or [row.get("description") or row.get("type") or row.get("message")]
            errors.setdefault(key, []).extend(str(m) for m in messages if m)
        failed_all = str(body.get("status")).lower() == "failed" and not errors
        results = []
        for key in handle.keys:
            found = errors.get(key) or ([_("Hepsiburada failed the upload.")] if failed_all else [])
            if kind == "fbh":
                results.append(self._fbh_result(key, found, body))
            else:
                results.append(ItemResult(key, ITEM_FAILED if found else ITEM_SUCCESS, found, body))
        return BatchResult(handle.batch_id, True, results, body)

    # ---- categories ----------------------------------------------------------------------

    def fetch_categories(self) -> list[Category]:
        nodes: dict[int, Category] = {}
        page, pages = 0, 1
        while page < pages:
            body = self.call("catalog", "GET", "/api/categories/get-all-categories",
                             params={"version": 1, "status": "ACTIVE", "page": page, "size": 2000})  # fmt: skip
            for row in _envelope(body) or []:
                category_id = int(row["categoryId"])
                parent = row.get("parentCategoryId")
                nodes[category_id] = Category(category_id, str(row.get("displayName") or row.get("name") or ""),
                                              int(parent) if parent not in (None, "", 0) else None)  # fmt: skip
            pages, page = int(body.get("totalPages") or 0), page + 1
        roots = []
        for node in nodes.values():
            parent = nodes.get(node.parent_id) if node.parent_id is not None else None
            (parent.children if parent else roots).append(node)
        return roots

    def fetch_category_attributes(self, category_id: int, *, with_values: bool = True) -> list[CategoryAttribute]:
        data = _envelope(self.call("catalog", "GET", f"/api/categories/{int(category_id)}/attributes",
                                   params={"version": 1})) or {}  # fmt: skip
        attributes = []
        for group in ("baseAttributes", "attributes", "variantAttributes"):
            for row in data.get(group) or []:
                attribute = CategoryAttribute(
                    id=row.get("id"), name=str(row.get("name") or ""), required=bool(row.get("mandatory")),
                    allow_custom=str(row.get("type") or "").lower() != "enum",
                    varianter=group == "variantAttributes", slicer=False,
                    allow_multiple=bool(row.get("multiValue")), raw=row)  # fmt: skip
                if with_values and str(row.get("type") or "").lower() == "enum":
                    attribute.values = self._attribute_values(int(category_id), str(row.get("id")))
                attributes.append(attribute)
        return attributes

    def _attribute_values(self, category_id: int, attribute_id: str) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = []
        page, pages = 0, 1
        while page < pages:
            body = self.call("catalog", "GET", f"/api/categories/{category_id}/attribute/"
                             f"{quote(attribute_id, safe='')}/values",
                             params={"version": 1, "page": page, "size": 1000})  # fmt: skip
            values.extend({"id": v.get("id"), "name": v.get("value")} for v in _envelope(body) or [])
            pages, page = int(body.get("totalPages") or 0), page + 1
        return values
