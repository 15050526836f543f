"""Products and variants: create, change, publish, archive, delete — each one atomic,
audited, and announcing itself through the outbox."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Brand, Category, Product, ProductStatus, Variant
from meschain import audit, events
from meschain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from meschain.tenancy import scope

TRANSITIONS: dict[str, set[str]] = {
    ProductStatus.DRAFT: {ProductStatus.PUBLISHED, ProductStatus.ARCHIVED},
    ProductStatus.PUBLISHED: {ProductStatus.ARCHIVED, ProductStatus.DRAFT},
    ProductStatus.ARCHIVED: {ProductStatus.DRAFT},
}
STATUS_EVENTS = {
    ProductStatus.PUBLISHED: "product.published",
    ProductStatus.ARCHIVED: "product.archived",
    ProductStatus.DRAFT: "product.updated",
}
PRODUCT_FIELDS = ["title", "description", "brand_id", "category_id", "attributes", "status"]
VARIANT_FIELDS = [
    "sku", "barcode", "name", "price", "compare_at_price", "cost", "vat_rate", "weight_grams",
    "attributes", "is_active", "position",
]  # fmt: skip


# --- Checks ---------------------------------------------------------------------


def gtin_is_valid(code: str) -> bool:
    """GTIN-8/12/13/14 with a correct check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _money(value: Any, field: str, errors: dict, *, required: bool = False) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("This field is required."))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors.setdefault(field, []).append(_("Enter an amount from 0 to 9,999,999,999.99."))
        return None
    return amount.quantize(Decimal("0.01"))


def clean_variant(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate and normalise one variant's fields; returns (values, errors)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    sku = str(data.get("sku") or "").strip()
    if not sku:
        errors["sku"] = [_("This field is required.")]
    elif len(sku) > 64:
        errors["sku"] = [_("At most 64 characters.")]
    values["sku"] = sku
    barcode = str(data.get("barcode") or "").strip() or None
    if barcode is not None and not gtin_is_valid(barcode):
        errors["barcode"] = [_("Not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit).")]
    values["barcode"] = barcode
    values["price"] = _money(data.get("price"), "price", errors, required=True)
    for field in ("compare_at_price", "cost"):
        if field in data:
            values[field] = _money(data.get(field), field, errors)
    if "vat_rate" in data:
        rate = _money(data.get("vat_rate"), "vat_rate", errors)
        if rate is not None and rate > 100:
            errors.setdefault("vat_rate", []).append(_("At most 100."))
        values["vat_rate"] = rate if rate is not None else Decimal("20.00")
    for field, limit in (("name", 200),):
        if field in data:
            values[field] = str(data.get(field) or "")[:limit]
    if "weight_grams" in data:
        weight = data.get("weight_grams")
        if weight not in (None, "") and (
            not isinstance(weight, int) or isinstance(weight, bool) or weight < 0
        ):
            errors["weight_grams"] = [_("Enter a whole number of grams.")]
        values["weight_grams"] = weight if weight not in ("",) else None
    if "attributes" in data:
        if not isinstance(data["attributes"], dict):
            errors["attributes"] = [_("Enter an object of name: value pairs.")]
        values["attributes"] = data["attributes"]
    if "is_active" in data:
        values["is_active"] = bool(data["is_active"])
    if "low_stock_threshold" in data:
        threshold = data.get("low_stock_threshold")
        if threshold in (None, ""):
            values["low_stock_threshold"] = None
        elif not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 1_000_000:
            errors["low_stock_threshold"] = [_("Enter a whole number from 0 to 1,000,000, or nothing.")]
        else:
            values["low_stock_threshold"] = threshold
    return values, errors


def _resolve_refs(tenant_id: int, data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for field, model in (("brand_id", Brand), ("category_id", Category)):
        ref = data.get(field)
        if ref is not None and not model.objects.filter(tenant_id=tenant_id, pk=ref).exists():
            errors[field.removesuffix("_id")] = [_("Not found in your catalogue.")]


def _payload(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "title": product.title,
        "status": product.status,
        "variants": [
            {"variant_id": v.pk, "sku": v.sku, "price": str(v.price), "is_active": v.is_active}
            for v in product.variants.all()
        ],
    }


def refresh_search(product_ids: list[int]) -> None:
    """Rebuild the full-text document (title, description, SKUs, barcodes) on PostgreSQL."""
    if connection.vendor != "postgresql" or not product_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_product p SET search_vector = to_tsvector('simple',
                coalesce(p.title, '') || ' ' || coalesce(p.description, '') || ' ' ||
                coalesce((SELECT string_agg(v.sku || ' ' || coalesce(v.barcode, ''), ' ')
                            FROM catalog_variant v WHERE v.product_id = p.id), ''))
             WHERE p.id = ANY(%s)
            """,
            [list(product_ids)],
        )


# --- Reads ----------------------------------------------------------------------


def products_visible_to(actor: Any) -> QuerySet:
    return scope(Product.objects.all(), actor)


def access_product_by_id(actor: Any, product_id: int) -> Product:
    product = products_visible_to(actor).filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No product with this id."))
    return product


# --- Writes ---------------------------------------------------------------------


def _upsert_variants(product: Product, variants: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    cleaned = []
    seen: set[str] = set()
    for index, data in enumerate(variants):
        values, row_errors = clean_variant(data)
        if values["sku"] in seen:
            row_errors.setdefault("sku", []).append(_("Listed twice."))
        seen.add(values["sku"])
        if row_errors:
            errors[str(index)] = row_errors
        cleaned.append(values)
    if errors:
        raise ValidationFailed(details={"variants": errors})
    existing = {v.sku: v for v in Variant.objects.filter(tenant_id=product.tenant_id, sku__in=seen)}
    for position, values in enumerate(cleaned):
        variant = existing.get(values["sku"])
        if variant is not None and variant.product_id != product.pk:
            raise ValidationFailed(
                details={"variants": {str(position): {"sku": [_("A variant with this SKU already exists.")]}}}
            )
        variant = variant or Variant(tenant_id=product.tenant_id, product=product, position=position)
        for field, value in values.items():
            setattr(variant, field, value)
        try:
            with transaction.atomic():
                variant.save()
        except IntegrityError as exc:
            raise ValidationFailed(
                details={
                    "variants": {
                        str(position): {"barcode": [_("A variant with this barcode already exists.")]}
                    }
                }
            ) from exc


@transaction.atomic
def create_product(
    tenant_id: int, *, data: dict[str, Any], variants: list[dict[str, Any]], actor: Any = None
) -> Product:
    errors: dict[str, Any] = {}
    if not str(data.get("title") or "").strip():
        errors["title"] = [_("This field is required.")]
    if not variants:
        errors["variants"] = [_("A product needs at least one variant.")]
    _resolve_refs(tenant_id, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    product = Product.objects.create(
        tenant_id=tenant_id,
        title=data["title"].strip(),
        description=data.get("description", ""),
        brand_id=data.get("brand_id"),
        category_id=data.get("category_id"),
        attributes=data.get("attributes") or {},
    )
    _upsert_variants(product, variants)
    refresh_search([product.pk])
    audit.record("product.created", actor=actor, obj=product, after=audit.snapshot(product, PRODUCT_FIELDS))
    return product


@transaction.atomic
def update_product(
    product: Product,
    *,
    changes: dict[str, Any],
    variants: list[dict[str, Any]] | None = None,
    actor: Any = None,
) -> Product:
    if "status" in changes:
        raise ValidationFailed(details={"status": [_("Change the status with the status action.")]})
    errors: dict[str, Any] = {}
    if "title" in changes and not str(changes["title"] or "").strip():
        errors["title"] = [_("This field may not be blank.")]
    _resolve_refs(product.tenant_id, changes, errors)
    if errors:
        raise ValidationFailed(details=errors)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = audit.snapshot(product, PRODUCT_FIELDS)
    for field, value in changes.items():
        setattr(product, field, value)
    product.save()
    if variants is not None:
        _upsert_variants(product, variants)
    refresh_search([product.pk])
    audit.record(
        "product.updated",
        actor=actor,
        obj=product,
        before=before,
        after=audit.snapshot(product, PRODUCT_FIELDS),
    )
    if product.status == ProductStatus.PUBLISHED:
        events.emit(product.tenant_id, "product.updated", _payload(product), obj=product)
    return product


@transaction.atomic
def change_status(product: Product, new_status: str, *, actor: Any = None) -> Product:
    """Move a product along draft → published → archived → draft (and published → draft)."""
    if new_status not in ProductStatus.values:
        raise ValidationFailed(details={"status": [_("Not a valid status.")]})
    product = Product.objects.select_for_update().get(pk=product.pk)
    if new_status not in TRANSITIONS[product.status]:
        raise InvalidTransition(
            _("A product cannot go from %(from)s to %(to)s.")
            % {"from": ProductStatus(product.status).label, "to": ProductStatus(new_status).label},
            details={"status": [product.status], "allowed": sorted(TRANSITIONS[product.status])},
        )
    if new_status == ProductStatus.PUBLISHED and not product.variants.filter(is_active=True).exists():
        raise InvalidTransition(_("A product needs an active variant to be published."))
    before = product.status
    product.status = new_status
    if new_status == ProductStatus.PUBLISHED:
        product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(
        "product.status_changed",
        actor=actor,
        obj=product,
        before={"status": before},
        after={"status": new_status},
    )
    events.emit(product.tenant_id, STATUS_EVENTS[new_status], _payload(product), obj=product)
    return product


def movable_products(queryset: QuerySet, new_status: str) -> QuerySet:
    """The products of `queryset` that may move to `new_status` now (what
    change_status_many would change; the admin shows it before confirming)."""
    allowed_from = [s for s, targets in TRANSITIONS.items() if new_status in targets]
    candidates = queryset.filter(status__in=allowed_from)
    if new_status == ProductStatus.PUBLISHED:
        candidates = candidates.filter(variants__is_active=True).distinct()
    return candidates


def change_status_many(queryset: QuerySet, new_status: str, *, actor: Any = None) -> tuple[int, int]:
    """Set-based status change for admin actions: moves the products that may move,
    in one UPDATE; returns (changed, skipped)."""
    with transaction.atomic():
        ids = list(movable_products(queryset, new_status).values_list("pk", flat=True))
        total = queryset.count()
        now = timezone.now()
        updates: dict[str, Any] = {"status": new_status, "updated_at": now}
        if new_status == ProductStatus.PUBLISHED:
            updates["published_at"] = now
        Product.objects.filter(pk__in=ids).update(**updates)
        for product in Product.objects.filter(pk__in=ids).prefetch_related("variants"):
            audit.record("product.status_changed", actor=actor, obj=product, after={"status": new_status})
            events.emit(product.tenant_id, STATUS_EVENTS[new_status], _payload(product), obj=product)
    return len(ids), total - len(ids)


@transaction.atomic
def delete_product(product: Product, *, actor: Any = None) -> None:
    """Remove a product; one that orders or listings refer to must be archived instead."""
    from catalog.services import images

    snapshot = audit.snapshot(product, PRODUCT_FIELDS)
    files = images.files_of([product.pk])
    try:
        with transaction.atomic():
            audit.record("product.deleted", actor=actor, obj=product, before=snapshot)
            events.emit(product.tenant_id, "product.deleted", {"product_id": product.pk}, obj=product)
            product.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(
            _("This product is used by orders or marketplace listings: archive it instead.")
        ) from exc
    images.delete_files_on_commit(files)
