"""offers.xml (and prices.xml / rests.xml): offers → variants with their
characteristics, prices by the account's price type, stock per warehouse."""

import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import MovementReason, ProductStatus, Variant
from catalog.services.products import refresh_search
from catalog.services.stock import set_on_hand_many
from catalog.services.warehouses import default_warehouse
from meschain import bulk as fast
from onec.catalog_sync import (
    CENT,
    Context,
    add_refs,
    announce_updated,
    changed_instance,
    free_barcodes,
    refs_of,
    warehouse_for,
)
from onec.models import RefKind

_FIELDS = ["price", "barcode", "name", "attributes", "is_active", "updated_at"]


def price_type_id(ctx: Context) -> str | None:
    """The price type that is our price: the account's (by id or name), else the first."""
    wanted = (ctx.account.price_type or "").strip().lower()
    for price_type in ctx.price_types:
        if wanted in (price_type["id"].lower(), price_type["name"].lower()):
            return price_type["id"]
    if wanted and ctx.price_types:
        ctx.warn(_("Price type %(name)s is not in the file; prices were not changed.") % {"name": wanted})
        return None
    return ctx.price_types[0]["id"] if ctx.price_types else None


def _price(item: dict[str, Any], type_id: str | None) -> Decimal | None:
    for price in item["prices"]:
        if price["price"] is not None and (type_id is None or price["type"] == type_id) and price["price"] >= 0:
            return price["price"].quantize(CENT)
    return None


def _new_variants(ctx: Context, items: list[dict[str, Any]], refs: dict[str, int]) -> None:
    """Offers `product#characteristic` not seen before become variants of their product."""
    missing = [i for i in items if i["id"] not in refs]
    if not missing:
        return
    products = refs_of(ctx, RefKind.PRODUCT, list({i["id"].partition("#")[0] for i in missing}))
    rows, keys = [], []
    for item in missing:
        product_ext, _sep, characteristic = item["id"].partition("#")
        if product_ext not in products or not characteristic:
            ctx.counts["offers_unknown"] += 1
            ctx.warn(_("Offer %(id)s: its product is not in the catalogue; skipped.") % {"id": item["id"]})
            continue
        digest = hashlib.sha1(item["id"].encode()).hexdigest()[:20]  # noqa: S324 (an id, not a secret)
        rows.append({"tenant_id": ctx.tenant_id, "product_id": products[product_ext], "sku": f"1C-{digest}",
                     "price": Decimal(0), "attributes": {}, "position": len(rows) + 1})  # fmt: skip
        keys.append(item["id"])
    taken = set(
        Variant.objects.filter(tenant_id=ctx.tenant_id, sku__any_of=[r["sku"] for r in rows]).values_list("sku", flat=True)
    )
    pairs = [(k, r) for k, r in zip(keys, rows, strict=True) if r["sku"] not in taken]
    ids = fast.insert_rows(Variant, [r for _k, r in pairs])
    add_refs(ctx, RefKind.OFFER, [(k, pk) for (k, _r), pk in zip(pairs, ids, strict=True)])
    refs.update({k: pk for (k, _r), pk in zip(pairs, ids, strict=True)})
    ctx.counts["variants_created"] += len(ids)
    refresh_search(sorted({r["product_id"] for _k, r in pairs}))
    # a product sold in characteristics is no longer sold as itself
    bases = refs_of(ctx, RefKind.OFFER, list({k.partition("#")[0] for k, _r in pairs}))
    Variant.objects.filter(pk__in=bases.values(), is_active=True).update(is_active=False, updated_at=timezone.now())


def apply_offers(ctx: Context, items: list[dict[str, Any]]) -> None:
    items = list({i["id"]: i for i in items if i["id"]}.values())
    refs = refs_of(ctx, RefKind.OFFER, [i["id"] for i in items])
    _new_variants(ctx, items, refs)
    variants = {
        row["pk"]: row
        for row in Variant.objects.filter(pk__any_of=list(refs.values())).order_by().values(
            "pk", "product_id", "product__status", "product__title", *_FIELDS[:-1]
        )
    }
    type_id = price_type_id(ctx)
    barcodes = free_barcodes(ctx, {i["id"]: i["barcode"] for i in items if i["barcode"]},
                              {ext: refs.get(ext) for ext in refs})  # fmt: skip
    for warehouse in ctx.declared_warehouses:
        warehouse_for(ctx, warehouse["id"], warehouse["name"])
    now, updates, stock, touched, searchable = timezone.now(), [], {}, set(), set()
    default_id: int | None = None
    for item in items:
        variant = variants.get(refs.get(item["id"], 0))
        if variant is None:
            continue
        variant_id, product_id = variant["pk"], variant["product_id"]
        wanted: dict[str, Any] = {"is_active": not item["deleted"]}
        price = _price(item, type_id) if item["has_prices"] else None
        if price is not None:
            wanted["price"] = price
        if item["id"] in barcodes:
            wanted["barcode"] = barcodes[item["id"]]
        if item["characteristics"]:
            wanted["attributes"] = {name: value for name, value in item["characteristics"] if name}
            wanted["name"] = " / ".join(value for _n, value in item["characteristics"] if value)[:200]
        barcode_before = variant["barcode"]
        changed = changed_instance(Variant, {f: variant[f] for f in ("pk", *_FIELDS[:-1])}, wanted, now)
        if changed is not None:
            updates.append(changed)
            touched.add(product_id)
            if changed.barcode != barcode_before:
                searchable.add(product_id)
        ctx.counts["offers_updated" if changed is not None else "offers_unchanged"] += 1
        for ext, qty in item["stocks"].items():
            stock[(variant_id, warehouse_for(ctx, ext))] = max(int(qty), 0)
        if not item["stocks"] and item["total"] is not None:
            default_id = default_id or default_warehouse(ctx.tenant_id).pk
            stock[(variant_id, default_id)] = max(int(item["total"]), 0)
    fast.update(updates, _FIELDS)
    refresh_search(sorted(searchable))  # the search document holds SKUs and barcodes, not prices
    announce_updated(ctx, {v["product_id"]: v["product__title"] for v in variants.values()
                           if v["product_id"] in touched and v["product__status"] == ProductStatus.PUBLISHED})  # fmt: skip
    on_sale = {pk for pk, v in variants.items() if v["product__status"] == ProductStatus.PUBLISHED}
    changed_levels, clamped = set_on_hand_many(ctx.tenant_id, stock, reason=MovementReason.ONE_C,
                                               reference=f"1C session {ctx.session_id}", actor=ctx.actor,
                                               announce=on_sale)  # fmt: skip
    ctx.counts["stock_levels_changed"] += changed_levels
    for variant_id, _warehouse_id, wanted_qty in clamped:
        ctx.warn(_("Variant %(id)s: 1C stock %(qty)d is below what orders reserve; kept at the reserved quantity.")
                 % {"id": variant_id, "qty": wanted_qty})  # fmt: skip
