"""Bulk upsert of products and variants matched by SKU, set-based.

A batch of thousands of rows costs a handful of statements: one read of the existing
variants, one of the barcodes, brands and categories resolved in bulk, then bulk
inserts and updates. Each row gets a result: created, updated, unchanged or error.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import (
    Brand,
    Category,
    MovementReason,
    Product,
    ProductStatus,
    StockLevel,
    StockMovement,
    Variant,
)
from catalog.services.products import clean_variant, refresh_search
from catalog.services.stock import emit_stock_updated
from catalog.services.warehouses import default_warehouse
from meschain import audit, events
from meschain import bulk as fast

MAX_ROWS = 10_000
POLICIES = ("reject", "apply_valid")
_PRODUCT_COMPARE = ("title", "description", "brand_id", "category_id")
_VARIANT_COMPARE = (
    "barcode",
    "name",
    "price",
    "compare_at_price",
    "cost",
    "vat_rate",
    "weight_grams",
    "attributes",
    "low_stock_threshold",
)


@dataclass
class RowResult:
    row: int
    sku: str
    status: str = "unchanged"  # created | updated | unchanged | error
    errors: dict[str, list[str]] = field(default_factory=dict)
    product_id: int | None = None
    variant_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "sku": self.sku, "status": self.status}
        if self.errors:
            data["errors"] = self.errors
        if self.product_id:
            data["product_id"] = self.product_id
            data["variant_id"] = self.variant_id
        return data


@dataclass
class BulkResult:
    rows: list[RowResult]
    applied: bool

    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts


def _clean_rows(rows: list[Any]) -> tuple[list[RowResult], list[dict[str, Any] | None]]:
    results, cleaned = [], []
    seen: set[str] = set()
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            results.append(RowResult(index, "", "error", {"row": [_("Each row must be an object.")]}))
            cleaned.append(None)
            continue
        values, errors = clean_variant(raw)
        title = str(raw.get("title") or "").strip()
        values["title"] = title[:300]
        values["description"] = str(raw.get("description") or "")
        values["brand"] = str(raw.get("brand") or "").strip()[:200]
        values["category"] = str(raw.get("category") or "").strip()[:200]
        values["product_key"] = str(raw.get("product_key") or values["sku"]).strip()
        values["has_stock"] = "stock" in raw and raw["stock"] not in (None, "")
        if values["has_stock"]:
            stock = raw["stock"]
            if isinstance(stock, str) and stock.strip().isdigit():
                stock = int(stock)
            if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
                errors["stock"] = [_("Enter a whole number of 0 or more.")]
            values["stock"] = stock
        if values["sku"] in seen:
            errors.setdefault("sku", []).append(_("This SKU appears earlier in the batch."))
        seen.add(values["sku"])
        results.append(RowResult(index, values["sku"], "error" if errors else "unchanged", errors))
        cleaned.append(None if errors else values)
    return results, cleaned


def _resolve_named(model: type[Brand] | type[Category], tenant_id: int, names: set[str]) -> dict[str, int]:
    """name → id, creating the missing ones in one insert."""
    if not names:
        return {}
    slugs = {name: slugify(name, allow_unicode=True)[:200] or "item" for name in names}
    existing = dict(
        model.objects.filter(tenant_id=tenant_id, slug__in=slugs.values()).values_list("slug", "pk")
    )
    missing = {slug: name for name, slug in slugs.items() if slug not in existing}
    if missing:
        model.objects.bulk_create(
            [model(tenant_id=tenant_id, name=name, slug=slug) for slug, name in missing.items()],
            ignore_conflicts=True,
        )
        if model is Category:  # new roots of the tree: path "/<id>/"
            Category.objects.filter(tenant_id=tenant_id, slug__in=missing, path="").update(
                path=Concat(Value("/"), Cast("pk", CharField()), Value("/"))
            )
        existing.update(model.objects.filter(tenant_id=tenant_id, slug__in=missing).values_list("slug", "pk"))
    return {name: existing[slug] for name, slug in slugs.items()}


def bulk_upsert(tenant_id: int, rows: list[Any], *, policy: str = "reject", actor: Any = None) -> BulkResult:
    """Create or update variants (and their products) by SKU. With policy "reject" any
    invalid row rejects the whole batch; with "apply_valid" the valid rows are applied."""
    if policy not in POLICIES:
        raise ValueError(policy)
    results, cleaned = _clean_rows(rows)
    try:
        return _apply(tenant_id, results, cleaned, policy, actor)
    except _Rejected:
        return BulkResult(results, applied=False)


class _Rejected(Exception):
    """Rolls the batch back when policy "reject" meets an error found while applying."""


def _apply(
    tenant_id: int, results: list[RowResult], cleaned: list[dict[str, Any] | None], policy: str, actor: Any
) -> BulkResult:
    with transaction.atomic():
        skus = [c["sku"] for c in cleaned if c]
        existing = {
            v.sku: v
            for v in Variant.objects.filter(tenant_id=tenant_id, sku__in=skus).select_related("product")
        }
        _check_barcodes(tenant_id, cleaned, results)
        for result, values in zip(results, cleaned, strict=True):
            if (
                values is not None
                and result.status != "error"
                and not values["title"]
                and values["sku"] not in existing
            ):
                result.status = "error"
                result.errors["title"] = [_("Required for a new product.")]
        if any(r.status == "error" for r in results) and policy == "reject":
            return BulkResult(results, applied=False)
        valid = [
            (r, c) for r, c in zip(results, cleaned, strict=True) if c is not None and r.status != "error"
        ]
        brands = _resolve_named(Brand, tenant_id, {c["brand"] for _r, c in valid if c["brand"]})
        categories = _resolve_named(Category, tenant_id, {c["category"] for _r, c in valid if c["category"]})
        touched_products = _upsert_products(tenant_id, valid, existing, brands, categories)
        _upsert_variants(tenant_id, valid, existing, touched_products)
        _set_stock(tenant_id, valid, actor)
        if policy == "reject" and any(r.status == "error" for r, _c in valid):
            raise _Rejected
        refresh_search(sorted({r.product_id for r, _c in valid if r.status in ("created", "updated")}))
        _announce(tenant_id, valid, actor)
    return BulkResult(results, applied=True)


def _check_barcodes(tenant_id: int, cleaned: list[dict[str, Any] | None], results: list[RowResult]) -> None:
    wanted = {c["barcode"]: c["sku"] for c in cleaned if c and c["barcode"]}
    taken = dict(
        Variant.objects.filter(tenant_id=tenant_id, barcode__in=wanted).values_list("barcode", "sku")
    )
    seen: dict[str, str] = {}
    for result, values in zip(results, cleaned, strict=True):
        if values is None or not values["barcode"]:
            continue
        owner = taken.get(values["barcode"])
        if (owner and owner != values["sku"]) or values["barcode"] in seen:
            result.status = "error"
            result.errors["barcode"] = [_("Another variant already has this barcode.")]
        seen[values["barcode"]] = values["sku"]


def _upsert_products(
    tenant_id: int,
    valid: list[tuple[RowResult, dict[str, Any]]],
    existing: dict[str, Variant],
    brands: dict[str, int],
    categories: dict[str, int],
) -> dict[str, Product]:
    """One product per product_key; returns product_key → Product (saved)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _result, values in valid:
        groups[values["product_key"]].append(values)
    products: dict[str, Any] = {}
    to_create: list[tuple[str, dict[str, Any]]] = []
    to_update: list[Product] = []
    for key, members in groups.items():
        first = members[0]
        wanted = {
            "brand_id": brands.get(first["brand"]),
            "category_id": categories.get(first["category"]),
        }
        if first["title"]:
            wanted["title"] = first["title"]
            wanted["description"] = first["description"]
        current = next((existing[m["sku"]].product for m in members if m["sku"] in existing), None)
        if current is None:
            title = wanted.pop("title", "")
            to_create.append((key, {"tenant_id": tenant_id, "status": ProductStatus.DRAFT, "title": title,
                                    "attributes": {}, **wanted}))  # fmt: skip
            continue
        changed = [f for f, value in wanted.items() if value is not None and getattr(current, f) != value]
        if changed:
            for f in changed:
                setattr(current, f, wanted[f])
            current.updated_at = timezone.now()
            current._bulk_changed = True
            to_update.append(current)
        products[key] = current
    # new products as plain rows: only their ids are needed from here on
    ids = fast.insert_rows(Product, [row for _k, row in to_create])
    for (key, _row), pk in zip(to_create, ids, strict=True):
        products[key] = SimpleNamespace(pk=pk, _bulk_changed=False)
    fast.update(to_update, [*_PRODUCT_COMPARE, "updated_at"])
    return products


def _upsert_variants(
    tenant_id: int,
    valid: list[tuple[RowResult, dict[str, Any]]],
    existing: dict[str, Variant],
    products: dict[str, Any],
) -> None:
    to_create: list[tuple[RowResult, dict[str, Any]]] = []
    to_update: list[Variant] = []
    update_fields: set[str] = set()
    for result, values in valid:
        product = products[values["product_key"]]
        fields = {f: values[f] for f in _VARIANT_COMPARE if f in values}
        variant = existing.get(values["sku"])
        if variant is None:
            row = {"tenant_id": tenant_id, "product_id": product.pk, "sku": values["sku"], "attributes": {}, **fields}
            to_create.append((result, row))
            result.status = "created"
            continue
        changed = [f for f, value in fields.items() if _differs(getattr(variant, f), value)]
        if variant.product_id != product.pk:
            variant.product_id = product.pk
            changed.append("product")
        for f in changed:
            setattr(variant, f, fields.get(f, getattr(variant, f)))
        if changed:
            variant.updated_at = timezone.now()
            update_fields.update(changed)
            to_update.append(variant)
        result.status = "updated" if changed or getattr(product, "_bulk_changed", False) else "unchanged"
        result.product_id, result.variant_id = variant.product_id, variant.pk
    ids = fast.insert_rows(Variant, [row for _r, row in to_create])
    for (result, row), pk in zip(to_create, ids, strict=True):
        result.product_id, result.variant_id = row["product_id"], pk
    fast.update(to_update, [*sorted(update_fields), "updated_at"])


def _differs(current: Any, wanted: Any) -> bool:
    if isinstance(current, Decimal) and wanted is not None:
        return current != Decimal(str(wanted))
    return current != wanted


def _set_stock(tenant_id: int, valid: list[tuple[RowResult, dict[str, Any]]], actor: Any) -> None:
    """Absolute on-hand figures in the default warehouse, as one locked read and bulk writes."""
    wanted = {r.variant_id: c["stock"] for r, c in valid if c["has_stock"] and r.variant_id}
    if not wanted:
        return
    warehouse = default_warehouse(tenant_id)
    levels = {
        variant_id: (on_hand, reserved)
        for variant_id, on_hand, reserved in StockLevel.objects.select_for_update()
        .filter(warehouse=warehouse, variant_id__in=wanted)
        .order_by("variant_id")
        .values_list("variant_id", "on_hand", "reserved")
    }
    rows, movements, changed_ids = [], [], set()
    real_actor_id, label = getattr(audit.user_of(actor), "pk", None), audit.label_of(actor)
    for result, _values in valid:
        variant_id = result.variant_id
        if variant_id not in wanted:
            continue
        on_hand, reserved = levels.get(variant_id, (0, 0))
        target = wanted[variant_id]
        if target == on_hand:
            continue
        if target < reserved:
            result.errors["stock"] = [
                _("%(reserved)d units are reserved by orders; stock cannot go below that.") % {"reserved": reserved}
            ]
            result.status = "error"
            continue
        common = {"tenant_id": tenant_id, "variant_id": variant_id, "warehouse_id": warehouse.pk}
        rows.append({**common, "on_hand": target, "reserved": reserved})
        movements.append(
            {**common, "on_hand_delta": target - on_hand, "reserved_delta": 0, "on_hand_after": target,
             "reserved_after": reserved, "reason": MovementReason.IMPORT, "actor_id": real_actor_id,
             "actor_label": label, "reference": "bulk"}
        )  # fmt: skip
        changed_ids.add(variant_id)
        if result.status == "unchanged":
            result.status = "updated"
    if rows:
        fast.upsert_rows(StockLevel, rows, unique_fields=["variant", "warehouse"], update_fields=["on_hand", "updated_at"])
        fast.insert_rows(StockMovement, movements)
        # storefronts and marketplaces only ever see published products: stock of drafts
        # (every product a batch creates) is in the ledger but announces nothing yet
        on_sale = set(
            Variant.objects.filter(pk__in=changed_ids, product__status=ProductStatus.PUBLISHED).values_list("pk", flat=True)
        )
        if on_sale:
            emit_stock_updated(tenant_id, on_sale, reason=MovementReason.IMPORT)


def _announce(tenant_id: int, valid: list[tuple[RowResult, dict[str, Any]]], actor: Any) -> None:
    changed_products = {r.product_id for r, _c in valid if r.status in ("created", "updated")}
    published = list(
        Product.objects.filter(pk__in=changed_products, status=ProductStatus.PUBLISHED).values_list(
            "pk", "title"
        )
    )
    events.emit_many(
        tenant_id,
        (
            ("product.updated", "product", pk, {"product_id": pk, "title": title, "status": "published"})
            for pk, title in published
        ),
    )
    counts: dict[str, int] = defaultdict(int)
    for result, _values in valid:
        counts[result.status] += 1
    audit.record(
        "product.bulk_upsert",
        actor=actor,
        tenant=tenant_id,
        after={"counts": dict(counts), "skus": [r.sku for r, _c in valid if r.status != "unchanged"][:200]},
    )
