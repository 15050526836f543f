"""What we send for a listing: built from the catalogue, the category mapping and the
account's settings, a chunk of listings at a time (a fixed number of queries per chunk)."""

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from catalog.services.stock import available_by_variant
from marketplaces.adapters.base import ListingItem, MarketplaceAdapter, StockPriceItem
from marketplaces.models import CategoryMapping, Listing, MarketplaceAccount

CENT = Decimal("0.01")


@dataclass
class Offer:
    """A listing's current content (for create/update) and its stock and price."""

    listing: Listing
    item: ListingItem | None  # None: its category is not mapped (any more)
    stock: StockPriceItem
    content_hash: str
    stock_hash: str


def _marked_up(price: Decimal | None, markup: Decimal) -> Decimal | None:
    if price is None:
        return None
    return (price * (Decimal(100) + markup) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def _image_urls(product_ids: set[int]) -> dict[int, list[str]]:
    from catalog.models import ProductImage

    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    urls: dict[int, list[str]] = {}
    for image in ProductImage.objects.filter(product_id__in=product_ids).order_by("position", "id"):
        url = image.image.url
        urls.setdefault(image.product_id, []).append(url if url.startswith("http") else f"{base}{url}")
    return urls


def _brand_id(account: MarketplaceAccount, brand_name: str) -> int | None:
    options = account.settings or {}
    brand_ids = options.get("brand_ids") or {}
    value = brand_ids.get(brand_name) if brand_name else None
    value = value if value is not None else options.get("default_brand_id")
    return int(value) if value not in (None, "") else None


def barcode_of(variant: Any, adapter: MarketplaceAdapter | type[MarketplaceAdapter] | None = None) -> str:
    """The key a variant is listed with: by default its GTIN, else its SKU; an adapter
    decides for its marketplace (:meth:`MarketplaceAdapter.listing_key`)."""
    if adapter is None:
        return variant.barcode or variant.sku
    return adapter.listing_key(variant.barcode or "", variant.sku)


def build_offers(
    account: MarketplaceAccount, adapter: MarketplaceAdapter, listings: list[Listing], *, content: bool = True
) -> list[Offer]:
    """The offers of `listings` (their variant, and for `content` its product and brand,
    selected). Without `content` only stock and price are built (a stock push)."""
    variant_ids = [listing.variant_id for listing in listings]
    available = available_by_variant(variant_ids)
    products = (
        {listing.variant.product_id: listing.variant.product for listing in listings} if content else {}
    )
    mappings = {
        m.category_id: m
        for m in CategoryMapping.objects.filter(
            account=account, category_id__in={p.category_id for p in products.values() if p.category_id}
        )
    } if content else {}  # fmt: skip
    images = _image_urls(set(products)) if content else {}
    options = account.settings or {}
    markup = Decimal(str(options.get("markup_percent") or 0))
    buffer = int(options.get("stock_buffer") or 0)
    max_quantity = adapter.max_quantity
    offers = []
    for listing in listings:
        variant = listing.variant
        quantity = max(0, available.get(variant.pk, 0) - buffer)
        if max_quantity is not None:
            quantity = min(quantity, max_quantity)
        sale = _marked_up(variant.price, markup) or Decimal("0")
        list_price = max(_marked_up(variant.compare_at_price, markup) or sale, sale)
        barcode = listing.external_barcode or barcode_of(variant, adapter)
        accepted = listing.stock_price_hash
        stock = StockPriceItem(
            barcode=barcode, quantity=quantity, sale_price=sale, list_price=list_price, sku=variant.sku,
            # the prices last accepted are these when the hash of what was accepted matches
            # the pushed quantity with today's prices
            price_changed=not accepted or listing.pushed_quantity is None
            or accepted != stock_hash(barcode, listing.pushed_quantity, sale, list_price),
        )
        product = variant.product if content else None
        mapping = mappings.get(product.category_id) if product else None
        item = None
        if mapping is not None:
            title = f"{product.title} {variant.name}".strip() if variant.name else product.title
            item = ListingItem(
                barcode=barcode,
                sku=variant.sku,
                title=title[:100],
                group_code=f"P{product.pk}",
                brand_id=_brand_id(account, product.brand.name if product.brand_id else ""),
                category_id=int(mapping.marketplace_category_id)
                if mapping.marketplace_category_id.isdigit()
                else None,
                quantity=quantity,
                list_price=list_price,
                sale_price=sale,
                vat_rate=int(variant.vat_rate),
                description=product.description,
                images=images.get(product.pk, []),
                attributes=adapter.mapping_attributes(mapping.attribute_values),
                dimensional_weight=max(1, round((variant.weight_grams or 0) / 1000)),
                cargo_company_id=options.get("cargo_company_id"),
                category_code=mapping.marketplace_category_id,
                brand_name=product.brand.name if product.brand_id else "",
                gtin=variant.barcode or "",
                weight_grams=variant.weight_grams or 0,
            )
        offers.append(
            Offer(
                listing=listing,
                item=item,
                stock=stock,
                content_hash=adapter.content_hash(item) if item else "",
                stock_hash=stock_hash(barcode, quantity, sale, list_price),
            )
        )
    return offers


def stock_hash(barcode: str, quantity: int, sale: Decimal, list_price: Decimal) -> str:
    """Identifies the stock and price sent for a listing (unchanged ⇒ not sent again)."""
    return hashlib.sha256(f"{barcode}|{quantity}|{sale:f}|{list_price:f}".encode()).hexdigest()


LISTING_FIELDS = (
    "id",
    "tenant_id",
    "account_id",
    "variant_id",
    "external_barcode",
    "status",
    "payload_hash",
    "retry_count",
    "next_attempt_at",
    "stock_version",
    "pushed_stock_version",
    "stock_price_hash",
    "pushed_quantity",
    "batch_id",
    "stock_batch_id",
)
VARIANT_FIELDS = tuple(
    f"variant__{name}" for name in (
        "sku", "barcode", "name", "price", "compare_at_price", "vat_rate", "weight_grams", "product_id",
    )
)  # fmt: skip
PRODUCT_FIELDS = (
    "variant__product__title", "variant__product__description", "variant__product__category_id",
    "variant__product__brand_id", "variant__product__brand__name",
)  # fmt: skip


def listings_with_catalogue(queryset: Any, *, content: bool = True) -> Any:
    """Listings with just the columns an offer needs (a page of 1,000 is read often)."""
    if not content:
        return queryset.select_related("variant").only(*LISTING_FIELDS, *VARIANT_FIELDS)
    return queryset.select_related("variant__product__brand").only(
        *LISTING_FIELDS, *VARIANT_FIELDS, *PRODUCT_FIELDS
    )


def due_filter(now: Any) -> Q:
    """Not waiting for a retry."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
