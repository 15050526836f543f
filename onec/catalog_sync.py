"""Apply what a CommerceML file says to the catalogue, a batch at a time, set-based:
groups → categories, products → products with a base variant, offers → variants with
prices, characteristics and stock (through the catalogue's stock service, reason 1C).

Every 1C id is kept in ExternalRef, so a repeated import updates and never duplicates;
a row that would not change is not written.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Brand, Category, Product, ProductStatus, Variant, Warehouse
from catalog.services import images, taxonomy
from catalog.services.products import change_status_many, gtin_is_valid, refresh_search
from meschain import audit, events
from meschain import bulk as fast
from meschain.errors import DomainError
from onec.models import ExternalRef, MissingProducts, OneCExchange, RefKind

CENT = Decimal("0.01")
_PRODUCT_FIELDS = ["title", "description", "brand_id", "category_id", "attributes"]
_VARIANT_FIELDS = ["sku", "barcode", "vat_rate", "weight_grams"]


@dataclass
class Context:
    account: OneCExchange
    session_id: int
    folder: Path | None = None
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_types: list[dict[str, Any]] = field(default_factory=list)
    declared_warehouses: list[dict[str, Any]] = field(default_factory=list)
    only_changes: bool = False
    _groups: dict[str, int] | None = None
    _warehouses: dict[str, int] | None = None

    @property
    def tenant_id(self) -> int:
        return self.account.tenant_id

    @property
    def actor(self) -> str:
        return f"1C:{self.account.username}"

    def warn(self, message: str) -> None:
        self.counts["warnings"] += 1
        if len(self.warnings) < 100:
            self.warnings.append(message)


def refs_of(ctx: Context, kind: str, ids: list[str]) -> dict[str, int]:
    return dict(
        ExternalRef.objects.filter(account=ctx.account, kind=kind, external_id__any_of=ids).values_list(
            "external_id", "object_id"
        )
    )


def current_rows(model: type, ids: Iterable[int], fields: list[str]) -> dict[int, dict[str, Any]]:
    """pk → the current values of `fields`: plain dicts, no model instances to build."""
    return {row["pk"]: row for row in model.objects.filter(pk__any_of=list(ids)).order_by().values("pk", *fields)}


def changed_instance(model: type, row: dict[str, Any], wanted: dict[str, Any], now: Any) -> Any:
    """An instance holding the row with `wanted` applied, for a bulk UPDATE; None when
    nothing would change."""
    if all(row[f] == v for f, v in wanted.items()):
        return None
    row.update(wanted, updated_at=now)
    row[model._meta.pk.attname] = row.pop("pk")
    names = [f.attname for f in model._meta.concrete_fields if f.attname in row]  # from_db wants their order
    return model.from_db(None, names, [row[name] for name in names])


def add_refs(ctx: Context, kind: str, pairs: list[tuple[str, int]]) -> None:
    fast.insert_rows(ExternalRef, [{"account_id": ctx.account.pk, "kind": kind, "external_id": ext,
                                    "object_id": pk, "seen_in": ctx.session_id} for ext, pk in pairs])  # fmt: skip


# --- Groups and brands ------------------------------------------------------------


def apply_groups(ctx: Context, groups: list[dict[str, Any]]) -> None:
    """Groups (parents first) → the category tree, through the taxonomy service."""
    known = refs_of(ctx, RefKind.GROUP, [g["id"] for g in groups])
    categories = Category.objects.in_bulk(known.values())
    for group in groups:
        parent_id = known.get(group["parent"]) if group["parent"] else None
        current = categories.get(known.get(group["id"], 0))
        name = group["name"][:200]
        if current is not None and current.name == name and current.parent_id == parent_id:
            continue
        slug = f"{slugify(name, allow_unicode=True)[:150] or 'group'}-{group['id'][:8]}".lower()
        category = taxonomy.save_category(ctx.tenant_id, name=name, slug=current.slug if current else slug,
                                          parent_id=parent_id, category=current, actor=ctx.actor)  # fmt: skip
        if current is None:
            add_refs(ctx, RefKind.GROUP, [(group["id"], category.pk)])
            known[group["id"]] = category.pk
            ctx.counts["groups_created"] += 1
        else:
            ctx.counts["groups_updated"] += 1
    ctx._groups = None


def _group_map(ctx: Context) -> dict[str, int]:
    if ctx._groups is None:
        ctx._groups = dict(
            ExternalRef.objects.filter(account=ctx.account, kind=RefKind.GROUP).values_list("external_id", "object_id")
        )
    return ctx._groups


def _brands(ctx: Context, names: set[str]) -> dict[str, int]:
    slugs = {name: slugify(name, allow_unicode=True)[:200] or "brand" for name in names if name}
    found = dict(Brand.objects.filter(tenant_id=ctx.tenant_id, slug__in=slugs.values()).values_list("slug", "pk"))
    for name, slug in slugs.items():
        if slug not in found:
            found[slug] = taxonomy.save_brand(ctx.tenant_id, name=name[:200], slug=slug, actor=ctx.actor).pk
    return {name: found[slug] for name, slug in slugs.items()}


# --- Products ---------------------------------------------------------------------


def _attributes(ctx: Context, item: dict[str, Any]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for prop_id, value in item["props"].items():
        prop = ctx.properties.get(prop_id)
        if prop is None or value in ("", None):
            continue
        attrs[prop["name"]] = prop["values"].get(value, value) if prop["values"] else value
    kind = item["requisites"].get("ВидНоменклатуры")
    if kind:
        attrs["ВидНоменклатуры"] = kind
    return attrs


def _weight(item: dict[str, Any]) -> int | None:
    from onec.parsing import number

    kilos = number(item["requisites"].get("Вес"))
    return int((kilos * 1000).to_integral_value()) if kilos is not None and 0 <= kilos < 10**6 else None


def _free_skus(ctx: Context, wanted: dict[str, str], owners: dict[str, int | None]) -> dict[str, str]:
    """external id → a SKU no other variant has: the 1C article when it is free, else one
    made from the 1C id. `owners` gives the variant that may keep its own SKU."""
    taken = dict(
        Variant.objects.filter(tenant_id=ctx.tenant_id, sku__any_of=set(wanted.values())).values_list("sku", "pk")
    )
    result, used = {}, set()
    for ext, sku in wanted.items():
        if (sku in taken and taken[sku] != owners.get(ext)) or sku in used or not sku:
            sku = f"1C-{hashlib.sha1(ext.encode()).hexdigest()[:20]}"  # noqa: S324 (an id, not a secret)
        used.add(sku)
        result[ext] = sku[:64]
    return result


def free_barcodes(ctx: Context, wanted: dict[str, str], owners: dict[str, int | None]) -> dict[str, str | None]:
    valid = {ext: code for ext, code in wanted.items() if code and gtin_is_valid(code)}
    for ext, code in wanted.items():
        if code and ext not in valid:
            ctx.warn(_("%(id)s: barcode %(code)s is not a valid GTIN; ignored.") % {"id": ext, "code": code})
    taken = dict(
        Variant.objects.filter(tenant_id=ctx.tenant_id, barcode__any_of=set(valid.values())).values_list(
            "barcode", "pk"
        )
    )
    result: dict[str, str | None] = {}
    used: set[str] = set()
    for ext, code in valid.items():
        if (code in taken and taken[code] != owners.get(ext)) or code in used:
            ctx.warn(_("%(id)s: barcode %(code)s belongs to another variant; ignored.") % {"id": ext, "code": code})
            continue
        used.add(code)
        result[ext] = code
    return result


def apply_products(ctx: Context, items: list[dict[str, Any]]) -> None:
    items = list({i["id"]: i for i in items if i["id"]}.values())
    ids = [i["id"] for i in items]
    product_refs, variant_refs = refs_of(ctx, RefKind.PRODUCT, ids), refs_of(ctx, RefKind.OFFER, ids)
    products = current_rows(Product, product_refs.values(), [*_PRODUCT_FIELDS, "status"])
    variants = current_rows(Variant, variant_refs.values(), _VARIANT_FIELDS)
    brands = _brands(ctx, {i["brand"] for i in items if not i["deleted"]})
    groups = _group_map(ctx)
    owners = {ext: variant_refs.get(ext) for ext in ids}
    skus = _free_skus(ctx, {i["id"]: i["sku"][:64] for i in items if i["sku"] or i["id"] not in variant_refs}, owners)
    barcodes = free_barcodes(ctx, {i["id"]: i["barcode"] for i in items}, owners)
    now = timezone.now()
    new_products, new_variants, product_updates, variant_updates = [], [], [], []
    to_archive, to_restore, touched, published = [], [], set(), {}
    status = ProductStatus.PUBLISHED if ctx.account.publish_new_products else ProductStatus.DRAFT
    for item in items:
        product = products.get(product_refs.get(item["id"], 0))
        if product is None and item["deleted"]:
            ctx.counts["products_skipped"] += 1
            continue
        wanted = {
            "title": (item["name"] or item["sku"] or item["id"])[:300],
            "description": item["description"],
            "brand_id": brands.get(item["brand"]),
            "category_id": next((groups[g] for g in item["groups"] if g in groups), None),
            "attributes": _attributes(ctx, item),
        }
        variant_wanted: dict[str, Any] = {"weight_grams": _weight(item), "barcode": barcodes.get(item["id"])}
        if item["vat"] is not None and 0 <= item["vat"] <= 100:
            variant_wanted["vat_rate"] = item["vat"].quantize(CENT)
        if item["id"] in skus:
            variant_wanted["sku"] = skus[item["id"]]
        if product is None:
            new_products.append((item, {"tenant_id": ctx.tenant_id, "status": status, **wanted,
                                        "published_at": now if status == ProductStatus.PUBLISHED else None}))  # fmt: skip
            new_variants.append((item, {"tenant_id": ctx.tenant_id, "price": Decimal(0), "attributes": {},
                                        **variant_wanted}))  # fmt: skip
            continue
        product_id, product_status = product["pk"], product.pop("status")
        if (changed := changed_instance(Product, product, wanted, now)) is not None:
            product_updates.append(changed)
            touched.add(product_id)
        variant = variants.get(variant_refs.get(item["id"], 0))
        if variant is not None and (changed := changed_instance(Variant, variant, variant_wanted, now)) is not None:
            variant_updates.append(changed)
            touched.add(product_id)
        if item["deleted"] and product_status != ProductStatus.ARCHIVED:
            to_archive.append(product_id)
        elif not item["deleted"] and product_status == ProductStatus.ARCHIVED:
            to_restore.append(product_id)
        ctx.counts["products_updated" if product_id in touched else "products_unchanged"] += 1
        if product_id in touched and product_status == ProductStatus.PUBLISHED:
            published[product_id] = wanted["title"]
    fast.update(product_updates, [*_PRODUCT_FIELDS, "updated_at"])
    fast.update(variant_updates, [*_VARIANT_FIELDS, "updated_at"])
    new_refs = _create(ctx, new_products, new_variants)
    ExternalRef.objects.filter(account=ctx.account, kind=RefKind.PRODUCT, external_id__any_of=ids).exclude(
        seen_in=ctx.session_id
    ).update(seen_in=ctx.session_id)
    refresh_search(sorted(touched))
    announce_updated(ctx, published)
    if to_archive:
        ctx.counts["products_archived"] += change_status_many(
            Product.objects.filter(pk__in=to_archive), ProductStatus.ARCHIVED, actor=ctx.actor)[0]  # fmt: skip
    if to_restore:
        change_status_many(Product.objects.filter(pk__in=to_restore), ProductStatus.DRAFT, actor=ctx.actor)
    _attach_images(ctx, items, {**product_refs, **new_refs})


def _create(ctx: Context, new_products: list, new_variants: list) -> dict[str, int]:
    if not new_products:
        return {}
    product_ids = fast.insert_rows(Product, [row for _i, row in new_products])
    for (_item, row), pk in zip(new_variants, product_ids, strict=True):
        row["product_id"] = pk
    variant_ids = fast.insert_rows(Variant, [row for _i, row in new_variants])
    pairs = [(item["id"], pk) for (item, _row), pk in zip(new_products, product_ids, strict=True)]
    add_refs(ctx, RefKind.PRODUCT, pairs)
    add_refs(ctx, RefKind.OFFER, [(item["id"], pk) for (item, _r), pk in zip(new_variants, variant_ids, strict=True)])
    refresh_search(product_ids)
    ctx.counts["products_created"] += len(product_ids)
    published = [(pk, row["title"]) for (_i, row), pk in zip(new_products, product_ids, strict=True)
                 if row["status"] == ProductStatus.PUBLISHED]  # fmt: skip
    events.emit_many(ctx.tenant_id, (("product.published", "product", pk,
                                      {"product_id": pk, "title": title, "status": "published"})
                                     for pk, title in published))  # fmt: skip
    audit.record("onec.products_created", actor=ctx.actor, tenant=ctx.tenant_id,
                 after={"count": len(product_ids), "session": ctx.session_id})  # fmt: skip
    return dict(pairs)


def announce_updated(ctx: Context, published: dict[int, str]) -> None:
    """`product.updated` for changed products that are on sale: product id → title."""
    events.emit_many(ctx.tenant_id, (("product.updated", "product", pk,
                                      {"product_id": pk, "title": title, "status": "published"})
                                     for pk, title in sorted(published.items())))  # fmt: skip


def _attach_images(ctx: Context, items: list[dict[str, Any]], product_refs: dict[str, int]) -> None:
    wanted = [(i["id"], path) for i in items if not i["deleted"] for path in i["images"]]
    if not wanted or ctx.folder is None:
        return
    keys = [f"{ext}:{path}"[:120] for ext, path in wanted]
    done = set(refs_of(ctx, RefKind.IMAGE, keys))
    for (ext, path), key in zip(wanted, keys, strict=True):
        file = (ctx.folder / path).resolve()
        if key in done or ext not in product_refs:
            continue
        if not file.is_file() or not file.is_relative_to(ctx.folder.resolve()):
            ctx.warn(_("%(id)s: image %(path)s was not received.") % {"id": ext, "path": path})
            continue
        product = Product.objects.get(pk=product_refs[ext])
        try:
            with file.open("rb") as handle:
                image = images.add_image(product, handle, alt_text=product.title, actor=ctx.actor)
        except DomainError as exc:
            ctx.warn(f"{ext}: {path}: {exc}")
            continue
        add_refs(ctx, RefKind.IMAGE, [(key, image.pk)])
        ctx.counts["images_added"] += 1


def archive_missing(ctx: Context) -> None:
    """After a full import.xml: the account's products it did not mention."""
    if ctx.only_changes or ctx.account.missing_products != MissingProducts.ARCHIVE:
        return
    unseen = list(
        ExternalRef.objects.filter(account=ctx.account, kind=RefKind.PRODUCT)
        .filter(Q(seen_in__isnull=True) | ~Q(seen_in=ctx.session_id))
        .values_list("object_id", flat=True)
    )
    if not unseen:
        return
    queryset = Product.objects.filter(tenant_id=ctx.tenant_id, pk__in=unseen).exclude(status=ProductStatus.ARCHIVED)
    ctx.counts["products_archived"] += change_status_many(queryset, ProductStatus.ARCHIVED, actor=ctx.actor)[0]


# --- Warehouses -------------------------------------------------------------------


def warehouse_for(ctx: Context, external_id: str, name: str = "") -> int:
    """Our warehouse for a 1C warehouse: the account's mapping, one made earlier, or a new one."""
    if ctx._warehouses is None:
        ctx._warehouses = _refs_all(ctx, RefKind.WAREHOUSE)
        codes = dict(Warehouse.objects.filter(tenant_id=ctx.tenant_id).values_list("code", "pk"))
        for ext, code in (ctx.account.warehouse_map or {}).items():
            if code in codes:
                ctx._warehouses[ext] = codes[code]
    if external_id not in ctx._warehouses:
        code = f"1c-{slugify(external_id)[:29]}"
        warehouse = Warehouse.objects.filter(tenant_id=ctx.tenant_id, code=code).first()
        if warehouse is None:
            warehouse = taxonomy.save_warehouse(ctx.tenant_id, code=code, name=(name or external_id)[:200],
                                                actor=ctx.actor)  # fmt: skip
            ctx.counts["warehouses_created"] += 1
        add_refs(ctx, RefKind.WAREHOUSE, [(external_id, warehouse.pk)])
        ctx._warehouses[external_id] = warehouse.pk
    return ctx._warehouses[external_id]


def _refs_all(ctx: Context, kind: str) -> dict[str, int]:
    return dict(ExternalRef.objects.filter(account=ctx.account, kind=kind).values_list("external_id", "object_id"))
