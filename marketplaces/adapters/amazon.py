"""The Amazon Selling Partner API adapter, per the team's protocol notes (§4).

- **Auth**: Login with Amazon refresh-token exchange (``lwa_url`` option, default
  ``https://api.amazon.com/auth/o2/token``), the access token cached per account in the
  Django cache until shortly before it expires and sent as ``x-amz-access-token`` (no SigV4);
  an SP-API 401/403 "Unauthorized" drops the cached token and the call is tried once more
  with a fresh one (see :mod:`marketplaces.adapters.amazon_api`).
- **Hosts and marketplaces**: the account's base URL, unless it is empty or one of Amazon's
  regional hosts: then the ``region`` option's host (na/eu/fe, default the region of the
  marketplace; ``sandbox: true`` for Amazon's ``sandbox.`` hosts). The marketplace is the
  ``marketplace_id`` credential or option (default Türkiye ``A33AVAJ2PDY3EV``; Germany
  ``A1PA6795UKMFR9``…), which also decides currency and language of what is sent.
- **Listings are keyed by the seller SKU.** Price and stock of at most
  ``patch_threshold`` (option, default 20) items go as ``patchListingsItem`` calls answered
  at once; more go as one JSON_LISTINGS_FEED per batch (createFeedDocument → PUT to the
  presigned URL → createFeed → getFeed polling → the processing report, GZIP or not), at
  most 25,000 messages, the report's issues mapped back to items by SKU or messageId.
  Listings are created the same way (``putListingsItem`` for a few, feed ``UPDATE`` messages
  otherwise) with the product type of the category mapping; content updates patch the
  content attributes only (offer attributes go with stock and price).
- **Throttling**: every call takes a token from its operation's bucket (rate and burst of
  the documented default plans, :data:`~marketplaces.adapters.amazon_api.OPERATION_LIMITS`)
  shared through the Django cache by all workers and by every account of the same seller,
  application and region (Amazon counts that way); the adapter stays a little under the
  plan (``rate_safety``, default 0.9) so jitter never costs a 429; ``rate_limit_scale``
  (option, default 1) multiplies every restore rate, for sandboxes that scale time.
- **Orders** (:mod:`marketplaces.adapters.amazon_orders`): getOrders by LastUpdatedAfter with
  NextToken paging, order items per order; Pending orders are not imported until Amazon
  moves them to Unshipped, so their stock is never reserved before the payment is through.

Checked before sending (refused items come back failed and never reach Amazon): SKU
present and ≤ 40 characters, price above zero, list price not below the sale price,
quantity 0…999,999, title ≤ 200 characters, the GTIN's check digit, a product type.

Configurable because the notes leave it open (options): ``product_type`` used when a
listing's category mapping names none (default ``PRODUCT``), ``brand`` (default
``Generic``), ``condition_type`` (``new_new``), ``issue_locale`` (the marketplace's
language). Our prices are in ``catalog_currency`` (default TRY): for a marketplace selling
in another currency (Germany: EUR) ``price_conversion_rate`` must be set, else prices are
refused before sending rather than sent as the wrong amount.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from marketplaces.adapters import amazon_payloads as payloads
from marketplaces.adapters.amazon_api import (
    LWA_URL,
    OPERATION_LIMITS,
    TURKEY,
    LwaTokens,
    TokenBucket,
    currency_of,
    error_messages,
    is_token_refusal,
    language_of,
    region_of,
    resolve_host,
)
from marketplaces.adapters.amazon_orders import AmazonOrdersMixin
from marketplaces.adapters.base import (
    ITEM_FAILED,
    ITEM_PENDING,
    AccountConfig,
    BatchHandle,
    BatchResult,
    Category,
    CategoryAttribute,
    ItemResult,
    ListingItem,
    MarketplaceAdapter,
    StockPriceItem,
    payload_hash,
    register,
)
from marketplaces.client import MarketplaceError, MarketplaceHttpClient

DEFAULT_PATCH_THRESHOLD = 20
FEED_CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_PREFIX = "feed-"


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """A presigned URL without its query (never logged) and the query as parameters."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), dict(parse_qsl(parts.query))


@register
class AmazonAdapter(AmazonOrdersMixin, MarketplaceAdapter):
    code = "amazon"
    name = "Amazon"
    max_batch_items = 5000  # a feed each; JSON_LISTINGS_FEED allows 25,000 messages
    max_quantity = payloads.MAX_QUANTITY
    #: attributes the adapter fills from the product (never asked of a category mapping)
    FILLED_BY_SYNC = frozenset({
        "item_name", "brand", "condition_type", "product_description", "externally_assigned_product_identifier",
        "supplier_declared_has_product_identifier_exemption", "main_product_image_locator",
        "item_package_weight", "fulfillment_availability", "purchasable_offer", "list_price",
    })  # fmt: skip

    @classmethod
    def filled_by_sync(cls, attribute_id: str, settings: dict[str, Any]) -> bool:
        return attribute_id in cls.FILLED_BY_SYNC

    def __init__(self, config: AccountConfig, *, client: MarketplaceHttpClient | None = None) -> None:
        super().__init__(config)
        options, credentials = config.options, config.credentials
        self.seller_id = str(credentials.get("seller_id") or config.seller_id)
        self.marketplace_id = str(credentials.get("marketplace_id") or options.get("marketplace_id") or TURKEY)
        self.region = str(options.get("region") or region_of(self.marketplace_id))
        self.currency = str(options.get("currency") or currency_of(self.marketplace_id))
        self.language = str(options.get("language_tag") or language_of(self.marketplace_id))
        self.issue_locale = str(options.get("issue_locale") or self.language)
        self.patch_threshold = int(options.get("patch_threshold", DEFAULT_PATCH_THRESHOLD))
        self.default_product_type = str(options.get("product_type") or payloads.OFFER_PRODUCT_TYPE)
        self.brand = str(options.get("brand") or "Generic")
        self.condition = str(options.get("condition_type") or "new_new")
        # a little under the plan (option rate_safety, default 0.9): clocks and networks jitter
        self.rate_scale = float(options.get("rate_limit_scale") or 1.0) * float(options.get("rate_safety") or 0.9)
        self.max_rate_wait = float(options.get("max_rate_wait_seconds") or 300.0)
        self.shape = payloads.Shape(self.marketplace_id, self.currency, self.language)
        # our prices are in the catalogue's currency; another marketplace currency needs a rate
        catalog_currency = str(options.get("catalog_currency") or "TRY")
        rate = options.get("price_conversion_rate")
        self.price_rate: Decimal | None = (Decimal(str(rate)) if rate not in (None, "") else
                                           Decimal(1) if catalog_currency == self.currency else None)  # fmt: skip
        self.catalog_currency = catalog_currency
        application = hashlib.sha256(str(credentials.get("client_id") or "").encode()).hexdigest()[:12]
        self.bucket_owner = f"{application}:{self.seller_id}:{self.region}"
        #: called now and then while a call waits for its token (a job's heartbeat)
        self.on_wait: Any = None
        client_options = dict(options.get("client_options") or {})
        host = resolve_host(config.base_url, self.region, sandbox=bool(options.get("sandbox")))
        common = {"timeout": config.timeout, "rate_limit": config.rate_limit, **client_options}
        self.client = client or MarketplaceHttpClient(
            host, account_key=config.limiter_key, headers={"Accept": "application/json",
                                                           "User-Agent": "MesChain/1.0 (Language=Python)"},
            **common)  # fmt: skip
        lwa_url = str(options.get("lwa_url") or LWA_URL)
        lwa_root, _query = _split_url(lwa_url)
        parts = urlsplit(lwa_root)
        self.lwa_client = MarketplaceHttpClient(f"{parts.scheme}://{parts.netloc}",
                                                account_key=f"{config.limiter_key}:lwa", **common)
        self.documents = MarketplaceHttpClient("", account_key=f"{config.limiter_key}:documents", **common)
        self.tokens = LwaTokens(
            self.lwa_client, parts.path or "/auth/o2/token", account_key=config.limiter_key,
            client_id=credentials.get("client_id", ""), client_secret=credentials.get("client_secret", ""),
            refresh_token=credentials.get("refresh_token", ""),
            margin=float(options.get("token_refresh_margin_seconds", 120)))  # fmt: skip
        self._reports: dict[str, BatchResult] = {}

    def close(self) -> None:
        for client in (self.client, self.lwa_client, self.documents):
            client.close()

    # ---- calls -----------------------------------------------------------------------------

    def bucket(self, operation: str) -> TokenBucket:
        """The operation's bucket. Amazon counts per application, selling partner and region,
        so two accounts of one seller in one region (Türkiye and Germany) share it."""
        rate, burst = OPERATION_LIMITS[operation]
        return TokenBucket(f"amazon-bucket:{self.bucket_owner}:{operation}", rate * self.rate_scale, burst,
                           max_wait=self.max_rate_wait, on_wait=self.on_wait)  # fmt: skip

    def call(self, operation: str, method: str, path: str, *, params: dict[str, Any] | None = None,
             json: Any = None) -> Any:  # fmt: skip
        """One SP-API operation: its token first, then the call with the access token; an
        expired token is replaced once."""
        bucket = self.bucket(operation)
        for attempt in (1, 2):
            bucket.acquire()
            headers = {"x-amz-access-token": self.tokens.token()}
            bucket.sent()
            try:
                return self.client.request(method, path, params=params, json=json, headers=headers)
            except MarketplaceError as exc:
                if exc.status == 429:
                    bucket.drain()
                if attempt == 1 and is_token_refusal(exc):
                    self.tokens.invalidate()
                    continue
                messages = error_messages(exc.body)
                if messages:
                    exc.message = f"{exc.message} {'; '.join(messages)}"[:2000]
                raise
        raise AssertionError("unreachable")

    def _items_path(self, sku: str = "") -> str:
        path = f"/listings/2021-08-01/items/{quote(self.seller_id, safe='')}"
        return f"{path}/{quote(sku, safe='')}" if sku else path

    # ---- connection ------------------------------------------------------------------------

    def test_connection(self) -> None:
        """The seller's marketplace participations; the configured marketplace must be one."""
        body = self.call("getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations") or {}
        ids = {str((p.get("marketplace") or {}).get("id")) for p in body.get("payload") or []}
        if self.marketplace_id not in ids:
            raise MarketplaceError(_("The seller does not sell on the marketplace %(id)s (sells on: %(ids)s).")
                                   % {"id": self.marketplace_id, "ids": ", ".join(sorted(ids)) or "-"})

    # ---- listings, stock and prices ----------------------------------------------------------

    def product_type(self, item: ListingItem) -> str:
        return item.category_code or (str(item.category_id) if item.category_id else "") or self.default_product_type

    def _converted(self, value: Any) -> Decimal | None:
        if value is None or self.price_rate is None:
            return None
        return Decimal(str(value)) * self.price_rate

    def _currency_problems(self, item: Any) -> list[str]:
        if self.price_rate is not None or item.sale_price is None:
            return []
        return [_("Prices are in %(ours)s but this Amazon marketplace sells in %(theirs)s: set the account option "
                  "price_conversion_rate.") % {"ours": self.catalog_currency, "theirs": self.currency}]

    def _offer(self, item: Any) -> dict[str, Any]:
        return self.shape.offer(item.quantity, self._converted(item.sale_price), self._converted(item.list_price))

    def listing_attributes(self, item: ListingItem) -> dict[str, Any]:
        attributes = self.shape.content(item, brand=self.brand, condition=self.condition)
        attributes.update(self._offer(item))
        return attributes

    def content_hash(self, item: ListingItem) -> str:
        return payload_hash({"productType": self.product_type(item), "sku": item.barcode,
                             "attributes": self.shape.content(item, brand=self.brand, condition=self.condition)})

    def mapping_attributes(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """``{"color": "Siyah", "size": "M"}`` → Amazon attribute names and values (a list
        value is taken as already in Amazon's shape)."""
        return [{"name": str(name), "value": value} for name, value in sorted(values.items())]

    def push_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        def message(item: ListingItem) -> dict[str, Any]:
            return {"sku": item.barcode, "operationType": "UPDATE", "productType": self.product_type(item),
                    "requirements": "LISTING", "attributes": self.listing_attributes(item)}

        return self._send("listings", list(items), lambda i: payloads.listing_problems(
            i, self.product_type(i)) + self._currency_problems(i), message, self._put_item)  # fmt: skip

    def update_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """Content only (offer attributes go with stock and price): replace patches."""
        def message(item: ListingItem) -> dict[str, Any]:
            content = self.shape.content(item, brand=self.brand, condition=self.condition)
            return {"sku": item.barcode, "operationType": "PATCH", "productType": self.product_type(item),
                    "patches": payloads.replace_patches(content)}

        return self._send("listings_update", list(items),
                          lambda i: payloads.listing_problems(i, self.product_type(i)), message, self._patch_item)

    def push_stock_prices(self, items: Iterable[StockPriceItem]) -> list[BatchHandle]:
        latest: dict[str, StockPriceItem] = {}
        for item in items:  # one message per SKU: the last change wins
            latest.pop(item.barcode, None)
            latest[item.barcode] = item

        def message(item: StockPriceItem) -> dict[str, Any]:
            offer = self._offer(item)
            return {"sku": item.barcode, "operationType": "PATCH", "productType": payloads.OFFER_PRODUCT_TYPE,
                    "patches": payloads.replace_patches(offer)}

        return self._send("stock_price", list(latest.values()),
                          lambda i: payloads.stock_price_problems(i) + self._currency_problems(i), message,
                          self._patch_item)  # fmt: skip

    def _send(self, kind: str, items: list[Any], problems: Any, message: Any, single: Any) -> list[BatchHandle]:
        """Refuse what breaks a rule, send the rest: one by one up to the patch threshold,
        else as feeds of at most `batch_size` messages."""
        refused, messages = [], []
        for item in items:
            reasons = problems(item)
            if reasons:
                refused.append(ItemResult(item.barcode, ITEM_FAILED, reasons))
            else:
                messages.append(message(item))
        handles = []
        if messages and len(messages) <= self.patch_threshold:
            results = refused + [single(m) for m in messages]
            return [self.settled_batch(kind, results)]
        if refused:
            handles.append(self.settled_batch(kind, refused))
        size = min(self.batch_size, payloads.MAX_FEED_MESSAGES)
        for start in range(0, len(messages), size):
            chunk = messages[start:start + size]
            feed_id = self.submit_feed(chunk)
            handles.append(BatchHandle(f"{FEED_PREFIX}{feed_id}", kind, [m["sku"] for m in chunk]))
        return handles

    def _put_item(self, message: dict[str, Any]) -> ItemResult:
        body = {"productType": message["productType"], "requirements": message["requirements"],
                "attributes": message["attributes"]}
        return self._item_call("putListingsItem", "PUT", message["sku"], body)

    def _patch_item(self, message: dict[str, Any]) -> ItemResult:
        body = {"productType": message["productType"], "patches": message["patches"]}
        return self._item_call("patchListingsItem", "PATCH", message["sku"], body)

    def _item_call(self, operation: str, method: str, sku: str, body: dict[str, Any]) -> ItemResult:
        params = {"marketplaceIds": self.marketplace_id, "issueLocale": self.issue_locale}
        try:
            answer = self.call(operation, method, self._items_path(sku), params=params, json=body)
        except MarketplaceError as exc:
            if exc.retryable or exc.status in (401, 403):
                raise
            return ItemResult(sku, ITEM_FAILED, error_messages(exc.body) or [exc.message], exc.body)
        return payloads.item_result(sku, answer)

    # ---- feeds -------------------------------------------------------------------------------

    def submit_feed(self, messages: list[dict[str, Any]]) -> str:
        """Upload a JSON_LISTINGS_FEED document and create the feed; its feed id."""
        document = payloads.feed_document(self.seller_id, self.issue_locale, messages)
        created = self.call("createFeedDocument", "POST", "/feeds/2021-06-30/documents",
                            json={"contentType": FEED_CONTENT_TYPE}) or {}  # fmt: skip
        url, query = _split_url(str(created["url"]))
        self.documents.request("PUT", url, params=query, content=document,
                               headers={"Content-Type": FEED_CONTENT_TYPE})  # fmt: skip
        self.bucket("feedType:JSON_LISTINGS_FEED").acquire()
        feed = self.call("createFeed", "POST", "/feeds/2021-06-30/feeds", json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [self.marketplace_id],
            "inputFeedDocumentId": created["feedDocumentId"]}) or {}  # fmt: skip
        return str(feed["feedId"])

    def poll_batch(self, handle: BatchHandle) -> BatchResult:
        if (settled := self.settled_result(handle)) is not None:
            return settled
        if handle.batch_id in self._reports:
            return self._reports[handle.batch_id]
        feed_id = handle.batch_id.removeprefix(FEED_PREFIX)
        feed = self.call("getFeed", "GET", f"/feeds/2021-06-30/feeds/{quote(feed_id, safe='')}") or {}
        status = str(feed.get("processingStatus") or "")
        if status not in ("DONE", "FATAL", "CANCELLED"):
            return BatchResult(handle.batch_id, False, [ItemResult(k, ITEM_PENDING) for k in handle.keys], feed)
        report: dict[str, Any] = {}
        if feed.get("resultFeedDocumentId"):
            report = self.download_report(str(feed["resultFeedDocumentId"]))
        fatal = "" if status == "DONE" else _("Amazon did not process the feed (%(status)s).") % {"status": status}
        result = BatchResult(handle.batch_id, True, payloads.report_results(handle.keys, report, fatal=fatal),
                             {"feed": feed, "summary": report.get("summary")})  # fmt: skip
        self._reports[handle.batch_id] = result
        return result

    def download_report(self, document_id: str) -> dict[str, Any]:
        info = self.call("getFeedDocument", "GET", f"/feeds/2021-06-30/documents/{quote(document_id, safe='')}") or {}
        url, query = _split_url(str(info["url"]))
        content = self.documents.request("GET", url, params=query, raw=True)
        return payloads.read_report(content, info.get("compressionAlgorithm"))

    # ---- categories: product types --------------------------------------------------------

    def fetch_categories(self) -> list[Category]:
        """The product types of the marketplace (a flat list: Amazon has no tree here)."""
        body = self.call("searchDefinitionsProductTypes", "GET", "/definitions/2020-09-01/productTypes",
                         params={"marketplaceIds": self.marketplace_id, "locale": self.language}) or {}  # fmt: skip
        return [Category(str(p["name"]), str(p.get("displayName") or p["name"]), None)
                for p in body.get("productTypes") or []]  # fmt: skip

    def fetch_category_attributes(self, category_id: int | str) -> list[CategoryAttribute]:
        """The attributes of a product type, from its JSON Schema (downloaded from the link
        the definition gives); required ones marked."""
        definition = self.call(
            "getDefinitionsProductType", "GET", f"/definitions/2020-09-01/productTypes/{quote(str(category_id))}",
            params={"marketplaceIds": self.marketplace_id, "requirements": "LISTING",
                    "locale": self.language}) or {}  # fmt: skip
        url, query = _split_url(str(((definition.get("schema") or {}).get("link") or {}).get("resource") or ""))
        schema = self.documents.request("GET", url, params=query) or {}
        required = set(schema.get("required") or [])
        attributes = []
        for name, spec in sorted((schema.get("properties") or {}).items()):
            value_spec = (((spec.get("items") or {}).get("properties") or {}).get("value") or {})
            values = [{"id": v, "name": n} for v, n in zip(value_spec.get("enum") or [],
                                                           value_spec.get("enumNames") or value_spec.get("enum") or [],
                                                           strict=False)]  # fmt: skip
            attributes.append(CategoryAttribute(
                id=name, name=str(spec.get("title") or name), required=name in required,
                allow_custom=not values, varianter=False, slicer=False,
                allow_multiple=int(spec.get("maxItems") or 1) > 1, values=values, raw=spec))  # fmt: skip
        return attributes

    @classmethod
    def listing_key(cls, barcode: str, sku: str) -> str:
        return sku
