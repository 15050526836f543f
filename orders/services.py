"""Orders: place, import, move through their states — stock following every step
through the catalogue's stock service, so the ledger and stock events stay exact."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.models import MovementReason, Variant
from catalog.services.stock import StockChange, apply_stock_changes
from catalog.services.warehouses import default_warehouse
from meschain import audit, events
from meschain.errors import (
    Conflict,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from meschain.tenancy import scope
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberSequence,
    OrderStatus,
    StockPolicy,
)
from reports.services import rollups

TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PROCESSING: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
    OrderStatus.COMPLETED: {OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}
CHANNELS_WITHOUT_EXTERNAL_PRICES = {"storefront", "manual"}
MAX_LINES = 500
CENT = Decimal("0.01")


# --- Reads --------------------------------------------------------------------


def orders_visible_to(actor: Any) -> QuerySet:
    return scope(Order.objects.all(), actor)


def access_order_by_id(actor: Any, order_id: int) -> Order:
    order = orders_visible_to(actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No order with this id."))
    return order


def next_statuses(order: Order) -> list[str]:
    return sorted(TRANSITIONS[order.status])


# --- Helpers ------------------------------------------------------------------


def parse_money(value: Any, field: str, errors: dict, default: Decimal | None = None) -> Decimal:
    if value in (None, ""):
        if default is None:
            errors.setdefault(field, []).append(_("This field is required."))
            return Decimal("0")
        return default
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return Decimal("0")
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors.setdefault(field, []).append(_("Enter an amount from 0 to 9,999,999,999.99."))
        return Decimal("0")
    return amount


FIRST_ORDER_NUMBER = 1001


def _sequence_name(tenant_id: int) -> str:
    return f"orders_number_t{int(tenant_id)}"


def create_order_number_sequence(tenant: Any) -> None:
    """The tenant's order number sequence on PostgreSQL (called when a tenant is created)."""
    if connection.vendor != "postgresql":
        return
    tenant_id = getattr(tenant, "pk", tenant)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # numbers already given out (by the counter row, or imported) are never reused
            cursor.execute(
                "SELECT greatest(%s, (SELECT max(number::bigint) + 1 FROM orders_order"
                "  WHERE tenant_id = %s AND number ~ '^[0-9]{1,18}$'),"
                " (SELECT last + 1 FROM orders_ordernumbersequence WHERE tenant_id = %s))",
                [FIRST_ORDER_NUMBER, tenant_id, tenant_id],
            )
            start = int(cursor.fetchone()[0])
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_sequence_name(tenant_id)} START {start}")
    except IntegrityError:  # created at the same moment by another transaction
        pass


def take_order_numbers(tenant_id: int, count: int = 1) -> list[str]:
    """`count` new order numbers of the tenant, in order.

    On PostgreSQL each tenant has its own sequence: `nextval` takes no row lock, so
    concurrent checkouts never queue behind one another (a failed order leaves a gap, as
    with any sequence). Elsewhere a counter row is incremented under its lock."""
    if connection.vendor == "postgresql":
        name = _sequence_name(tenant_id)
        for _attempt in range(2):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [name, count])
                    return [str(row[0]) for row in cursor.fetchall()]
            except ProgrammingError:  # a tenant from before order sequences: make its own
                create_order_number_sequence(tenant_id)
        raise RuntimeError(f"Order number sequence {name} is missing.")
    OrderNumberSequence.objects.get_or_create(tenant_id=tenant_id)
    OrderNumberSequence.objects.filter(tenant_id=tenant_id).update(last=F("last") + count)
    last = OrderNumberSequence.objects.get(tenant_id=tenant_id).last
    return [str(n) for n in range(last - count + 1, last + 1)]


def _customer(tenant_id: int, data: dict[str, Any] | None) -> Customer | None:
    if not data or not data.get("email"):
        return None
    email = str(data["email"]).strip().lower()
    customer, created = Customer.objects.get_or_create(
        tenant_id=tenant_id,
        email=email,
        defaults={"name": data.get("name", "")[:200], "phone": data.get("phone", "")[:50]},
    )
    if not created and data.get("name") and customer.name != data["name"][:200]:
        customer.name = data["name"][:200]
        customer.save(update_fields=["name"])
    return customer


def order_payload(order: Order | dict[str, Any]) -> dict[str, Any]:
    """The order's part of its events (an Order, or the row dict a bulk import writes)."""
    get = order.get if isinstance(order, dict) else lambda name: getattr(order, name)
    return {
        "order_id": get("id"),
        "number": get("number"),
        "channel": get("channel"),
        "external_id": get("external_id"),
        "status": get("status"),
        "total": str(get("total")),
        "currency": get("currency"),
    }


@dataclass
class _Line:
    sku: str
    quantity: int
    unit_price: Decimal
    title: str = ""
    tax_rate: Decimal = Decimal("0")
    variant: Variant | None = None


@dataclass
class _Draft:
    lines: list[_Line] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)


def _clean_lines(tenant_id: int, raw_lines: Any, *, trust_prices: bool) -> _Draft:
    draft = _Draft()
    if not isinstance(raw_lines, list) or not raw_lines:
        draft.errors["lines"] = [_("An order needs at least one line.")]
        return draft
    if len(raw_lines) > MAX_LINES:
        draft.errors["lines"] = [_("At most %(count)d lines.") % {"count": MAX_LINES}]
        return draft
    skus = {str(line.get("sku", "")).strip() for line in raw_lines if isinstance(line, dict)}
    variants = {
        v.sku: v for v in Variant.objects.filter(tenant_id=tenant_id, sku__in=skus).select_related("product")
    }
    line_errors: dict[str, Any] = {}
    for index, raw in enumerate(raw_lines):
        errors: dict[str, list[str]] = {}
        if not isinstance(raw, dict):
            line_errors[str(index)] = {"line": [_("Each line must be an object.")]}
            continue
        sku = str(raw.get("sku") or "").strip()
        if not sku:
            errors["sku"] = [_("This field is required.")]
        quantity = raw.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 100_000:
            errors["quantity"] = [_("Enter a whole number from 1 to 100,000.")]
        variant = variants.get(sku)
        if trust_prices:
            unit_price = parse_money(raw.get("unit_price"), "unit_price", errors)
            tax_rate = parse_money(raw.get("tax_rate"), "tax_rate", errors, default=Decimal("0"))
        elif variant is None:
            errors.setdefault("sku", []).append(_("No such product in the catalogue."))
            unit_price = tax_rate = Decimal("0")
        else:
            if not variant.is_active or variant.product.status != "published":
                errors.setdefault("sku", []).append(_("This product is not for sale."))
            unit_price, tax_rate = variant.price, variant.vat_rate
        if errors:
            line_errors[str(index)] = errors
            continue
        title = str(raw.get("title") or (variant.product.title if variant else ""))[:300]
        draft.lines.append(_Line(sku, quantity, unit_price, title, tax_rate, variant))
    if line_errors:
        draft.errors["lines"] = line_errors
    return draft


def _reserve(order: Order, lines: list[OrderLine], policy: str, actor: Any) -> None:
    """Reserve stock for matched lines per the order's stock policy."""
    matched = [line for line in lines if line.variant_id]
    if policy == StockPolicy.SKIP or not matched:
        return
    warehouse_id = default_warehouse(order.tenant_id).pk
    changes = [
        StockChange(line.variant_id, reserved_delta=line.quantity, warehouse_id=warehouse_id)
        for line in matched
    ]
    try:
        apply_stock_changes(
            order.tenant_id, changes, reason=MovementReason.ORDER_RESERVE, reference=order.number, actor=actor
        )
        reserved_lines = matched
    except InsufficientStock:
        if policy != StockPolicy.FORCE:
            raise
        reserved_lines = []
        for line in matched:  # reserve line by line what fits; flag the rest
            try:
                apply_stock_changes(
                    order.tenant_id,
                    [StockChange(line.variant_id, reserved_delta=line.quantity, warehouse_id=warehouse_id)],
                    reason=MovementReason.ORDER_RESERVE,
                    reference=order.number,
                    actor=actor,
                )
                reserved_lines.append(line)
            except InsufficientStock:
                order.needs_attention = True
                order.attention_reason = _("Some lines could not be reserved: not enough stock.")
    for line in reserved_lines:
        line.reserved = True
        line.warehouse_id = warehouse_id
    OrderLine.objects.bulk_update(reserved_lines, ["reserved", "warehouse"])


# --- Placing ------------------------------------------------------------------


@transaction.atomic
def place_order(
    tenant_id: int,
    *,
    channel: str,
    lines: Any,
    customer: dict[str, Any] | None = None,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    currency: str = "TRY",
    shipping_total: Any = None,
    discount_total: Any = None,
    external_id: str | None = None,
    marketplace_status: str = "",
    notes: str = "",
    placed_at: datetime | None = None,
    stock_policy: str = StockPolicy.RESERVE,
    actor: Any = None,
) -> Order:
    """Create an order and reserve every line, or nothing: one INSUFFICIENT_STOCK error
    lists each short line with what is available."""
    trust_prices = channel not in CHANNELS_WITHOUT_EXTERNAL_PRICES
    draft = _clean_lines(tenant_id, lines, trust_prices=trust_prices)
    errors = draft.errors
    shipping = parse_money(shipping_total, "shipping_total", errors, default=Decimal("0"))
    discount = parse_money(discount_total, "discount_total", errors, default=Decimal("0"))
    if stock_policy not in StockPolicy.values:
        errors["stock_policy"] = [_("Not a valid stock policy.")]
    if errors:
        raise ValidationFailed(details=errors)
    subtotal = sum((line.unit_price * line.quantity for line in draft.lines), Decimal("0"))
    tax = sum(
        (
            (line.unit_price * line.quantity * line.tax_rate / (100 + line.tax_rate)).quantize(CENT)
            for line in draft.lines
        ),
        Decimal("0"),
    )
    if discount > subtotal + shipping:
        raise ValidationFailed(details={"discount_total": [_("The discount is larger than the order.")]})
    unmatched = [line.sku for line in draft.lines if line.variant is None]
    order = Order(
        tenant_id=tenant_id,
        number=take_order_numbers(tenant_id)[0],
        channel=channel,
        external_id=external_id or None,
        marketplace_status=marketplace_status,
        currency=currency.upper()[:3],
        subtotal=subtotal,
        shipping_total=shipping,
        discount_total=discount,
        tax_total=tax,
        total=subtotal + shipping - discount,
        customer=_customer(tenant_id, customer),
        shipping_address=shipping_address or {},
        billing_address=billing_address or {},
        notes=notes,
        placed_at=placed_at or timezone.now(),
        stock_policy=stock_policy,
        needs_attention=bool(unmatched),
        attention_reason=(_("Unknown SKU: %(skus)s") % {"skus": ", ".join(unmatched)})[:300]
        if unmatched
        else "",
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:
        raise Conflict(_("An order with this external id already exists on this channel.")) from exc
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=line.variant,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=(line.unit_price * line.quantity).quantize(CENT),
                tax_rate=line.tax_rate,
                tax_amount=(line.unit_price * line.quantity * line.tax_rate / (100 + line.tax_rate)).quantize(
                    CENT
                ),
            )
            for line in draft.lines
        ]
    )
    _reserve(order, order_lines, stock_policy, actor)
    rollups.record_order_change(order, before=None, lines=order_lines)
    if order.needs_attention:
        order.save(update_fields=["needs_attention", "attention_reason"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CREATED, to_status=order.status,
                              actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    audit.record("order.created", actor=actor, tenant=tenant_id, obj=order, after=order_payload(order))
    events.emit(tenant_id, "order.created", order_payload(order), obj=order)
    return order


# --- Status -------------------------------------------------------------------


#: what each target status does to the stock of reserved lines: (on_hand, reserved) signs
_STOCK_EFFECTS = {
    OrderStatus.CANCELLED: (0, -1, MovementReason.ORDER_RELEASE),
    OrderStatus.COMPLETED: (-1, -1, MovementReason.ORDER_FULFIL),
}
_RESTOCK = (1, 0, MovementReason.RETURN)


def _stock_effect(order: Order, target: str, *, restock: bool, actor: Any) -> None:
    effect = _RESTOCK if target == OrderStatus.REFUNDED and restock else _STOCK_EFFECTS.get(target)
    if effect is None:
        return
    on_hand_sign, reserved_sign, reason = effect
    reserved_flag = target != OrderStatus.REFUNDED
    lines = list(order.lines.filter(variant__isnull=False, reserved=reserved_flag))
    if target == OrderStatus.REFUNDED:  # completed lines were fulfilled from stock
        lines = [line for line in lines if line.warehouse_id]
    changes = [
        StockChange(
            line.variant_id,
            on_hand_delta=on_hand_sign * line.quantity,
            reserved_delta=reserved_sign * line.quantity,
            warehouse_id=line.warehouse_id,
        )
        for line in lines
    ]
    if changes:
        apply_stock_changes(order.tenant_id, changes, reason=reason, reference=order.number, actor=actor)
    if reserved_flag:
        OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(reserved=False)


@transaction.atomic
def change_status(
    order: Order,
    new_status: str,
    *,
    actor: Any = None,
    note: str = "",
    restock: bool = False,
    expected_status: str | None = None,
    tracking_number: str | None = None,
) -> Order:
    """Move an order to `new_status` along the allowed transitions, with its stock effect;
    `tracking_number` (the parcel's, when it ships) is kept on the order.

    `expected_status` is the status the caller saw (a form opened a while ago): when the
    order has moved on since, nothing changes and CONFLICT is raised."""
    if new_status not in OrderStatus.values:
        raise ValidationFailed(details={"status": [_("Not a valid status.")]})
    tracking_number = (tracking_number or "").strip()
    if len(tracking_number) > 100 or not all(c.isprintable() for c in tracking_number):
        raise ValidationFailed(details={"tracking_number": [_("Enter a tracking number of up to 100 characters.")]})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if expected_status is not None and order.status != expected_status:
        raise Conflict(
            _("This order is %(status)s now: it changed after you opened it. Nothing was changed.")
            % {"status": OrderStatus(order.status).label},
            details={"status": [order.status], "allowed": next_statuses(order)},
        )
    if new_status not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            _("An order cannot go from %(from)s to %(to)s.")
            % {"from": OrderStatus(order.status).label, "to": OrderStatus(new_status).label},
            details={"status": [order.status], "allowed": next_statuses(order)},
        )
    _stock_effect(order, new_status, restock=restock, actor=actor)
    before = order.status
    order.status = new_status
    fields = ["status", "updated_at"]
    if tracking_number:
        order.tracking_number = tracking_number
        fields.append("tracking_number")
    order.save(update_fields=fields)
    rollups.record_order_change(order, before=before)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.STATUS, from_status=before, to_status=new_status,
                              note=note, actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    audit.record(
        "order.status_changed",
        actor=actor,
        obj=order,
        before={"status": before},
        after={"status": new_status, **({"tracking_number": tracking_number} if tracking_number else {})},
    )
    events.emit(
        order.tenant_id, "order.status_changed", {**order_payload(order), "from_status": before}, obj=order
    )
    return order


@transaction.atomic
def resolve_attention(order: Order, *, actor: Any = None, note: str = "") -> Order:
    """An operator has dealt with a flagged order (matched its SKUs by hand, restocked…)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.needs_attention:
        raise Conflict(_("This order is not flagged."))
    reason = order.attention_reason
    order.needs_attention, order.attention_reason = False, ""
    order.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    text = _("Marked as resolved (was: %(reason)s).") % {"reason": reason}
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, note=f"{text} {note}".strip()[:5000],
                              actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    audit.record("order.attention_resolved", actor=actor, obj=order, before={"reason": reason})
    return order


@transaction.atomic
def add_note(order: Order, note: str, *, actor: Any = None) -> OrderEvent:
    if not note.strip():
        raise ValidationFailed(details={"note": [_("This field may not be blank.")]})
    event = OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, note=note.strip()[:5000],
                                      actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    audit.record("order.note_added", actor=actor, obj=order)
    return event


# --- Import (see orders.imports for batches) ---------------------------------


def update_imported(order: Order, data: dict[str, Any], *, actor: Any = None) -> bool:
    """Apply a newer version of an imported order: status (through the rules) and
    addresses. An older version (by its `updated_at`) changes nothing."""
    source_time = parse_datetime(str(data.get("updated_at") or "")) if data.get("updated_at") else None
    if source_time and order.source_updated_at and source_time <= order.source_updated_at:
        return False
    changed = False
    reported = data.get("marketplace_status")
    # the marketplace still reports what it reported before: our own change since stands
    marketplace_unmoved = bool(reported) and reported == order.marketplace_status
    for field_name in ("shipping_address", "billing_address", "marketplace_status", "notes"):
        if field_name in data and data[field_name] != getattr(order, field_name):
            setattr(order, field_name, data[field_name])
            changed = True
    if source_time:
        order.source_updated_at = source_time
    if changed or source_time:
        order.save()
    if changed:
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.IMPORT, note=_("Updated by import."),
                                  actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    wanted = data.get("status")
    if wanted and wanted != order.status and not marketplace_unmoved:
        for step in status_path(order.status, wanted):
            order = change_status(order, step, actor=actor, note=_("Status from import."))
        if data.get("attention_reason"):
            flag_for_attention(order, data["attention_reason"], actor=actor)
        changed = True
    return changed


def status_path(current: str, wanted: str) -> list[str]:
    """The statuses an order passes through from `current` to `wanted` (a marketplace may
    report pending, then completed): the shortest path along the transitions, or just
    [wanted] when there is none (change_status then says why not)."""
    paths = {current: [current]}
    queue = [current]
    while queue:
        status = queue.pop(0)
        for following in sorted(TRANSITIONS.get(status, ())):
            if following not in paths:
                paths[following] = [*paths[status], following]
                queue.append(following)
    return paths[wanted][1:] if wanted in paths else [wanted]


def flag_for_attention(order: Order, reason: str, *, actor: Any = None) -> Order:
    """Flag an order for an operator (a marketplace cancelled it, …), with the reason on
    its timeline."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        reasons = [r for r in (order.attention_reason, reason) if r]
        order.needs_attention, order.attention_reason = True, " ".join(reasons)[:300]
        order.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, note=reason[:5000],
                                  actor=audit.user_of(actor), actor_label=audit.label_of(actor))  # fmt: skip
    return order
