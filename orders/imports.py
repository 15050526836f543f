"""Importing orders in bulk (API, files, marketplaces), set-based.

Idempotent on (tenant, channel, external id): a known order is updated (status through
the rules, addresses), a new one created. New orders of a batch are written together:
one locked read of the stock they need, reservations allotted in row order (an order
that does not fit is refused as a whole with INSUFFICIENT_STOCK, the others go on),
then COPY for orders, lines and timeline, one stock update and one ledger row per
variant. Thousands of orders cost a fixed handful of statements.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.models import MovementReason, StockLevel, StockMovement, Variant
from catalog.services.stock import emit_stock_updated
from catalog.services.warehouses import default_warehouse
from meschain import audit, events, metrics
from meschain.bulk import insert_rows
from meschain.errors import DomainError, ErrorCode
from orders import services
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    StockPolicy,
)
from reports.services import rollups

CENT = Decimal("0.01")
#: stock effect of the status an order already has at the source
_RESERVING = {OrderStatus.PENDING, OrderStatus.PROCESSING}
_FULFILLED = {OrderStatus.COMPLETED}


@dataclass
class ImportResult:
    row: int
    external_id: str
    status: str = ""  # created | updated | unchanged | error, once decided
    order_id: int | None = None
    number: str = ""
    errors: dict[str, Any] = field(default_factory=dict)
    code: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "external_id": self.external_id, "status": self.status}
        if self.order_id:
            data |= {"order_id": self.order_id, "number": self.number}
        if self.errors:
            data |= {"code": self.code, "errors": self.errors}
        return data

    def fail(self, code: str, errors: dict[str, Any]) -> None:
        self.status, self.code, self.errors = "error", code, errors


@dataclass
class _New:
    result: ImportResult
    data: dict[str, Any]
    status: str
    lines: list[dict[str, Any]]
    placed_at: datetime
    subtotal: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    short: bool = False
    reserved_variants: set[int] = field(default_factory=set)


def _clean(row: Any, result: ImportResult) -> _New | None:
    if not isinstance(row, dict) or not result.external_id:
        result.fail(
            ErrorCode.VALIDATION_ERROR, {"external_id": [_("Each imported order needs an external_id.")]}
        )
        return None
    errors: dict[str, Any] = {}
    status = row.get("status") or OrderStatus.PENDING
    if status not in OrderStatus.values:
        errors["status"] = [_("Not a valid status.")]
    raw_lines = row.get("lines")
    lines: list[dict[str, Any]] = []
    if not isinstance(raw_lines, list) or not raw_lines or len(raw_lines) > services.MAX_LINES:
        errors["lines"] = [_("An order needs from 1 to %(max)d lines.") % {"max": services.MAX_LINES}]
    else:
        line_errors: dict[str, Any] = {}
        for index, raw in enumerate(raw_lines):
            problems: dict[str, list[str]] = {}
            if not isinstance(raw, dict):
                line_errors[str(index)] = {"line": [_("Each line must be an object.")]}
                continue
            sku = str(raw.get("sku") or "").strip()[:64]
            if not sku:
                problems["sku"] = [_("This field is required.")]
            quantity = raw.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 100_000:
                problems["quantity"] = [_("Enter a whole number from 1 to 100,000.")]
            price = services.parse_money(raw.get("unit_price"), "unit_price", problems)
            rate = services.parse_money(raw.get("tax_rate"), "tax_rate", problems, default=Decimal("0"))
            if problems:
                line_errors[str(index)] = problems
            else:
                lines.append({"sku": sku, "quantity": quantity, "unit_price": price, "tax_rate": rate,
                              "title": str(raw.get("title") or "")[:300]})  # fmt: skip
        if line_errors:
            errors["lines"] = line_errors
    placed_at = parse_datetime(str(row.get("placed_at") or "")) if row.get("placed_at") else timezone.now()
    if placed_at is None:
        errors["placed_at"] = [_("Enter an ISO 8601 date-time.")]
    elif timezone.is_naive(placed_at):
        placed_at = timezone.make_aware(placed_at)
    new = _New(result, row, status, lines, placed_at or timezone.now())
    new.shipping = services.parse_money(
        row.get("shipping_total"), "shipping_total", errors, default=Decimal("0")
    )
    new.discount = services.parse_money(
        row.get("discount_total"), "discount_total", errors, default=Decimal("0")
    )
    if errors:
        result.fail(ErrorCode.VALIDATION_ERROR, errors)
        return None
    for line in lines:
        total = line["unit_price"] * line["quantity"]
        line["line_total"] = total.quantize(CENT)
        line["tax_amount"] = (total * line["tax_rate"] / (100 + line["tax_rate"])).quantize(CENT)
        new.subtotal += line["line_total"]
        new.tax += line["tax_amount"]
    return new


def import_orders(
    tenant_id: int,
    rows: list[Any],
    *,
    channel: str,
    stock_policy: str = StockPolicy.RESERVE,
    actor: Any = None,
) -> list[ImportResult]:
    """Create or update orders by (channel, external_id); one result per row."""
    results = [
        ImportResult(index, str(row.get("external_id") or "").strip()[:100] if isinstance(row, dict) else "")
        for index, row in enumerate(rows)
    ]
    seen: set[str] = set()
    fresh: list[_New] = []
    existing = {
        o.external_id: o
        for o in Order.objects.filter(
            tenant_id=tenant_id, channel=channel, external_id__in=[r.external_id for r in results]
        )
    }
    for result, row in zip(results, rows, strict=True):
        if result.external_id in seen:
            result.fail(
                ErrorCode.VALIDATION_ERROR,
                {"external_id": [_("This external id appears earlier in the batch.")]},
            )
            continue
        seen.add(result.external_id)
        if result.external_id in existing and isinstance(row, dict):
            _update_existing(existing[result.external_id], row, result, actor)
            continue
        new = _clean(row, result)
        if new is not None:
            fresh.append(new)
    if fresh:
        _create(tenant_id, fresh, channel=channel, stock_policy=stock_policy, actor=actor)
    return results


def _update_existing(order: Order, row: dict[str, Any], result: ImportResult, actor: Any) -> None:
    result.order_id, result.number = order.pk, order.number
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            result.status = "updated" if services.update_imported(order, row, actor=actor) else "unchanged"
    except DomainError as exc:
        result.fail(str(exc.code), exc.details or {"order": [str(exc.message)]})


def _customers(tenant_id: int, batch: list[_New]) -> dict[str, Customer]:
    wanted: dict[str, str] = {}
    for new in batch:
        customer = new.data.get("customer")
        if isinstance(customer, dict) and customer.get("email"):
            wanted.setdefault(
                str(customer["email"]).strip().lower()[:254], str(customer.get("name") or "")[:200]
            )
    if not wanted:
        return {}
    Customer.objects.bulk_create(
        [Customer(tenant_id=tenant_id, email=email, name=name) for email, name in wanted.items()],
        ignore_conflicts=True,
    )
    return {c.email: c for c in Customer.objects.filter(tenant_id=tenant_id, email__in=wanted)}


def _allot_stock(
    tenant_id: int, batch: list[_New], variants: dict[str, Variant], warehouse_id: int, stock_policy: str
) -> dict[int, list[int]]:
    """Decide, in row order, which orders get their stock; returns variant → [Δon_hand, Δreserved]."""
    needed = {variants[line["sku"]].pk for new in batch for line in new.lines if line["sku"] in variants}
    levels = {
        level.variant_id: [level.on_hand, level.reserved]
        for level in StockLevel.objects.select_for_update()
        .filter(tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id__in=needed)
        .order_by("variant_id")
    }
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for new in batch:
        if stock_policy == StockPolicy.SKIP or new.status not in _RESERVING | _FULFILLED:
            continue
        fulfil = new.status in _FULFILLED
        demand: dict[int, int] = defaultdict(int)
        for line in new.lines:
            if line["sku"] in variants:
                demand[variants[line["sku"]].pk] += line["quantity"]
        short = [
            (vid, qty)
            for vid, qty in demand.items()
            if levels.get(vid, [0, 0])[0] - levels.get(vid, [0, 0])[1] < qty
        ]
        if short:  # refused as a whole (reserve) or for the short lines (force)
            metrics.record_reservation_refused(MovementReason.ORDER_RESERVE)
        if short and stock_policy == StockPolicy.RESERVE:
            skus = {v.pk: v.sku for v in variants.values()}
            new.result.fail(ErrorCode.INSUFFICIENT_STOCK, {"lines": [
                {"sku": skus[vid], "requested": qty, "available": max(levels.get(vid, [0, 0])[0] - levels.get(vid, [0, 0])[1], 0)}
                for vid, qty in short
            ]})  # fmt: skip
            continue
        new.short = bool(short)
        for vid, qty in demand.items():
            if (vid, qty) in short:
                continue
            level = levels.setdefault(vid, [0, 0])
            if fulfil:
                level[0] -= qty
                deltas[vid][0] -= qty
            else:
                level[1] += qty
                deltas[vid][1] += qty
        new.reserved_variants = {vid for vid in demand if all(vid != s[0] for s in short)}
    return deltas


@transaction.atomic
def _create(tenant_id: int, batch: list[_New], *, channel: str, stock_policy: str, actor: Any) -> None:
    skus = {line["sku"] for new in batch for line in new.lines}
    variants = {v.sku: v for v in Variant.objects.filter(tenant_id=tenant_id, sku__in=skus)}
    warehouse_id = default_warehouse(tenant_id).pk
    deltas = _allot_stock(tenant_id, batch, variants, warehouse_id, stock_policy)
    batch = [new for new in batch if new.result.status != "error"]
    if not batch:
        return
    customers = _customers(tenant_id, batch)
    numbers = services.take_order_numbers(tenant_id, len(batch))
    now = timezone.now()
    actor_id, label = getattr(audit.user_of(actor), "pk", None), audit.label_of(actor)
    orders: list[dict[str, Any]] = []
    for offset, new in enumerate(batch):
        unmatched = sorted({line["sku"] for line in new.lines if line["sku"] not in variants})
        customer = new.data.get("customer") if isinstance(new.data.get("customer"), dict) else {}
        reasons = []
        if unmatched:
            reasons.append(_("Unknown SKU: %(skus)s") % {"skus": ", ".join(unmatched)})
        if new.short:
            reasons.append(_("Some lines could not be reserved: not enough stock."))
        buyer = customers.get(str(customer.get("email") or "").strip().lower()[:254])
        orders.append({
            "tenant_id": tenant_id, "number": numbers[offset], "channel": channel,
            "external_id": new.result.external_id, "status": new.status,
            "marketplace_status": str(new.data.get("marketplace_status") or "")[:64],
            "currency": str(new.data.get("currency") or "TRY").upper()[:3], "subtotal": new.subtotal,
            "shipping_total": new.shipping, "discount_total": new.discount, "tax_total": new.tax,
            "total": max(new.subtotal + new.shipping - new.discount, Decimal("0")),
            "customer_id": buyer.pk if buyer else None,
            "shipping_address": new.data.get("shipping_address") or {},
            "billing_address": new.data.get("billing_address") or {}, "notes": str(new.data.get("notes") or ""),
            "needs_attention": bool(reasons), "attention_reason": " ".join(reasons)[:300],
            "stock_policy": stock_policy, "placed_at": new.placed_at, "created_at": now, "updated_at": now,
        })  # fmt: skip
    order_ids = insert_rows(Order, orders)
    lines: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    who = {"actor_id": actor_id, "actor_label": label, "created_at": now, "note": ""}
    for new, order, order_id in zip(batch, orders, order_ids, strict=True):
        order["id"] = order_id
        reserved_ids = new.reserved_variants
        for line in new.lines:
            variant = variants.get(line["sku"])
            reserves = variant is not None and variant.pk in reserved_ids
            lines.append({
                "order_id": order_id, "variant_id": variant.pk if variant else None, "sku": line["sku"],
                "title": line["title"] or (variant.sku if variant else ""), "quantity": line["quantity"],
                "unit_price": line["unit_price"], "line_total": line["line_total"], "tax_rate": line["tax_rate"],
                "tax_amount": line["tax_amount"], "reserved": reserves and new.status in _RESERVING,
                "warehouse_id": warehouse_id if reserves else None,
            })  # fmt: skip
        timeline.append({**who, "order_id": order_id, "kind": OrderEvent.Kind.CREATED, "from_status": "",
                         "to_status": OrderStatus.PENDING})  # fmt: skip
        if new.status != OrderStatus.PENDING:
            timeline.append({**who, "order_id": order_id, "kind": OrderEvent.Kind.STATUS,
                             "from_status": OrderStatus.PENDING, "to_status": new.status,
                             "note": _("Status from import.")})  # fmt: skip
        new.result.status, new.result.order_id, new.result.number = "created", order_id, order["number"]
    insert_rows(OrderLine, lines)
    insert_rows(OrderEvent, timeline)
    rollups.record_new_orders(orders, lines)
    numbers = f"{orders[0]['number']}-{orders[-1]['number']}"
    _apply_stock(tenant_id, warehouse_id, deltas, reference=f"import {numbers}", actor=actor)
    events.emit_many(
        tenant_id, (("order.created", "order", o["id"], services.order_payload(o)) for o in orders)
    )
    audit.record("order.bulk_import", actor=actor, tenant=tenant_id,
                 after={"channel": channel, "created": len(orders), "first": orders[0]["number"], "last": orders[-1]["number"]})  # fmt: skip


def _apply_stock(
    tenant_id: int, warehouse_id: int, deltas: dict[int, list[int]], *, reference: str, actor: Any
) -> None:
    """One UPDATE for every level the batch touched, and one ledger row per variant."""
    changed = {vid: d for vid, d in deltas.items() if d[0] or d[1]}
    if not changed:
        return
    now = timezone.now()
    values = [(vid, d[0], d[1]) for vid, d in sorted(changed.items())]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE catalog_stocklevel s SET on_hand = s.on_hand + v.d_on_hand, reserved = s.reserved + v.d_reserved,
                       updated_at = %s
                  FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS v(variant_id, d_on_hand, d_reserved)
                 WHERE s.variant_id = v.variant_id AND s.warehouse_id = %s AND s.tenant_id = %s
                RETURNING s.variant_id, s.on_hand, s.reserved
                """,
                [
                    now,
                    [v[0] for v in values],
                    [v[1] for v in values],
                    [v[2] for v in values],
                    warehouse_id,
                    tenant_id,
                ],
            )
            after = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    else:
        after = {}
        for vid, d_on_hand, d_reserved in values:
            StockLevel.objects.filter(tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id=vid).update(
                on_hand=F("on_hand") + d_on_hand, reserved=F("reserved") + d_reserved, updated_at=now
            )
        after = {
            s.variant_id: (s.on_hand, s.reserved)
            for s in StockLevel.objects.filter(
                tenant_id=tenant_id, warehouse_id=warehouse_id, variant_id__in=changed
            )
        }
    real_actor, label = audit.user_of(actor), audit.label_of(actor)
    insert_rows(StockMovement, [
        {"tenant_id": tenant_id, "variant_id": vid, "warehouse_id": warehouse_id, "on_hand_delta": d_on_hand,
         "reserved_delta": d_reserved, "on_hand_after": after[vid][0], "reserved_after": after[vid][1],
         "reason": MovementReason.ORDER_FULFIL if d_on_hand else MovementReason.ORDER_RESERVE,
         "reference": reference[:100], "actor_id": getattr(real_actor, "pk", None), "actor_label": label}
        for vid, d_on_hand, d_reserved in values
    ])  # fmt: skip
    emit_stock_updated(tenant_id, set(changed), reason=MovementReason.ORDER_RESERVE)
