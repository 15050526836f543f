"""Stock: the one place on_hand and reserved change.

Every change is a conditional UPDATE (`… WHERE on_hand + Δ >= 0 AND reserved + Δ <= …`)
applied in a fixed (variant, warehouse) order, so concurrent buyers never oversell and
two multi-line changes never deadlock; each writes a StockMovement and a
`stock.updated` event in the same transaction. Nothing checks first and writes later.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import MovementReason, StockLevel, StockMovement, Variant
from catalog.services.warehouses import default_warehouse
from meschain import audit, events, metrics
from meschain.errors import InsufficientStock, ValidationFailed


@dataclass(frozen=True)
class StockChange:
    """A change of one variant's stock in one warehouse (None: the default warehouse)."""

    variant_id: int
    on_hand_delta: int = 0
    reserved_delta: int = 0
    warehouse_id: int | None = None


@dataclass(frozen=True)
class StockResult:
    variant_id: int
    warehouse_id: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


_CONDITIONAL_UPDATE = """
UPDATE catalog_stocklevel
   SET on_hand = on_hand + %s, reserved = reserved + %s, updated_at = %s
 WHERE tenant_id = %s AND variant_id = %s AND warehouse_id = %s
   AND on_hand + %s >= 0 AND reserved + %s >= 0 AND reserved + %s <= on_hand + %s
RETURNING on_hand, reserved
"""


def _merge(tenant_id: int, changes: Iterable[StockChange]) -> list[tuple[int, int, int, int]]:
    """(variant, warehouse, Δon_hand, Δreserved), one per key, in lock order."""
    default_id = None
    merged: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for change in changes:
        warehouse_id = change.warehouse_id
        if warehouse_id is None:
            default_id = default_id or default_warehouse(tenant_id).pk
            warehouse_id = default_id
        entry = merged[(change.variant_id, warehouse_id)]
        entry[0] += change.on_hand_delta
        entry[1] += change.reserved_delta
    return [(v, w, d[0], d[1]) for (v, w), d in sorted(merged.items()) if d[0] or d[1]]


def _check_ownership(tenant_id: int, variant_ids: set[int], warehouse_ids: set[int]) -> None:
    from catalog.models import Warehouse

    found = set(Variant.objects.filter(tenant_id=tenant_id, pk__in=variant_ids).values_list("pk", flat=True))
    if found != variant_ids:
        raise ValidationFailed(details={"variant": [_("Unknown variant.")]})
    found = set(
        Warehouse.objects.filter(tenant_id=tenant_id, pk__in=warehouse_ids).values_list("pk", flat=True)
    )
    if found != warehouse_ids:
        raise ValidationFailed(details={"warehouse": [_("Unknown warehouse.")]})


def apply_stock_changes(
    tenant_id: int,
    changes: Iterable[StockChange],
    *,
    reason: str,
    reference: str = "",
    note: str = "",
    actor: Any = None,
) -> list[StockResult]:
    """Apply all changes or none. Raises InsufficientStock listing every short line
    (with what is available) when any change would take on_hand or available below 0."""
    if reason not in MovementReason.values:
        raise ValueError(f"Unknown movement reason {reason!r}")
    with transaction.atomic():
        keys = _merge(tenant_id, changes)
        if not keys:
            return []
        _check_ownership(tenant_id, {k[0] for k in keys}, {k[1] for k in keys})
        StockLevel.objects.bulk_create(
            [StockLevel(tenant_id=tenant_id, variant_id=v, warehouse_id=w) for v, w, _a, _b in keys],
            ignore_conflicts=True,
        )
        now = timezone.now()
        results: list[StockResult] = []
        short: list[tuple[int, int, int, int]] = []
        with connection.cursor() as cursor:
            for variant_id, warehouse_id, d_on_hand, d_reserved in keys:
                cursor.execute(
                    _CONDITIONAL_UPDATE,
                    [d_on_hand, d_reserved, now, tenant_id, variant_id, warehouse_id,
                     d_on_hand, d_reserved, d_reserved, d_on_hand],
                )  # fmt: skip
                row = cursor.fetchone()
                if row is None:
                    short.append((variant_id, warehouse_id, d_on_hand, d_reserved))
                else:
                    results.append(StockResult(variant_id, warehouse_id, row[0], row[1]))
        if short:
            if any(d_reserved > 0 for _v, _w, _o, d_reserved in short):
                metrics.record_reservation_refused(reason)
            raise InsufficientStock(
                _("Not enough stock for %(count)d line(s).") % {"count": len(short)},
                details={"lines": _describe_shortages(short)},
            )
        _record(tenant_id, keys, results, reason=reason, reference=reference, note=note, actor=actor)
        return results


def _describe_shortages(short: list[tuple[int, int, int, int]]) -> list[dict[str, Any]]:
    levels = {
        (s.variant_id, s.warehouse_id): s
        for s in StockLevel.objects.filter(
            variant_id__in=[v for v, *_ in short], warehouse_id__in=[w for _v, w, *_ in short]
        ).select_related("variant")
    }
    skus = dict(Variant.objects.filter(pk__in=[v for v, *_ in short]).values_list("pk", "sku"))
    lines = []
    for variant_id, warehouse_id, d_on_hand, d_reserved in short:
        level = levels.get((variant_id, warehouse_id))
        lines.append(
            {
                "variant_id": variant_id,
                "sku": skus.get(variant_id, ""),
                "warehouse_id": warehouse_id,
                "requested": max(d_reserved, -d_on_hand),
                "available": level.available if level else 0,
                "on_hand": level.on_hand if level else 0,
            }
        )
    return lines


def _record(
    tenant_id: int,
    keys: list[tuple[int, int, int, int]],
    results: list[StockResult],
    *,
    reason: str,
    reference: str,
    note: str,
    actor: Any,
) -> None:
    real_actor, label = audit.user_of(actor), audit.label_of(actor)
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                tenant_id=tenant_id,
                variant_id=variant_id,
                warehouse_id=warehouse_id,
                on_hand_delta=d_on_hand,
                reserved_delta=d_reserved,
                on_hand_after=result.on_hand,
                reserved_after=result.reserved,
                reason=reason,
                reference=reference[:100],
                note=note[:500],
                actor=real_actor,
                actor_label=label,
            )
            for (variant_id, warehouse_id, d_on_hand, d_reserved), result in zip(keys, results, strict=True)
        ]
    )
    emit_stock_updated(tenant_id, {r.variant_id for r in results}, reason=reason)


def emit_stock_updated(tenant_id: int, variant_ids: set[int], *, reason: str) -> None:
    """One `stock.updated` event per variant, with its totals over all warehouses."""
    ids = list(variant_ids)
    # two index lookups: joined, the planner may read every variant for a batch of a thousand
    skus = dict(Variant.objects.filter(pk__in=ids).order_by().values_list("pk", "sku"))
    totals = (
        StockLevel.objects.filter(variant_id__in=ids)
        .values("variant_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        .order_by("variant_id")
    )
    events.emit_many(
        tenant_id,
        (
            (
                "stock.updated",
                "variant",
                row["variant_id"],
                {
                    "variant_id": row["variant_id"],
                    "sku": skus.get(row["variant_id"], ""),
                    "on_hand": row["on_hand"],
                    "reserved": row["reserved"],
                    "available": row["on_hand"] - row["reserved"],
                    "reason": reason,
                },
            )
            for row in totals
        ),
    )


def adjust(
    tenant_id: int,
    variant_id: int,
    *,
    delta: int | None = None,
    absolute: int | None = None,
    warehouse_id: int | None = None,
    reason: str = MovementReason.MANUAL,
    note: str = "",
    actor: Any = None,
) -> StockResult:
    """A manual adjustment: by `delta`, or to an `absolute` on-hand figure."""
    if (delta is None) == (absolute is None):
        raise ValidationFailed(details={"delta": [_("Give either a delta or an absolute quantity.")]})
    with transaction.atomic():
        if absolute is not None:
            if absolute < 0:
                raise ValidationFailed(details={"quantity": [_("Stock cannot be negative.")]})
            warehouse_id = warehouse_id or default_warehouse(tenant_id).pk
            level = (
                StockLevel.objects.select_for_update()
                .filter(tenant_id=tenant_id, variant_id=variant_id, warehouse_id=warehouse_id)
                .first()
            )
            delta = absolute - (level.on_hand if level else 0)
        if delta == 0:
            level = StockLevel.objects.filter(
                tenant_id=tenant_id,
                variant_id=variant_id,
                warehouse_id=warehouse_id or default_warehouse(tenant_id).pk,
            ).first()
            return StockResult(variant_id, level.warehouse_id if level else 0, level.on_hand if level else 0,
                               level.reserved if level else 0)  # fmt: skip
        [result] = apply_stock_changes(
            tenant_id,
            [StockChange(variant_id, on_hand_delta=delta, warehouse_id=warehouse_id)],
            reason=reason,
            note=note,
            actor=actor,
        )
        return result


def adjust_many(
    tenant_id: int,
    variant_ids: Iterable[int],
    *,
    delta: int | None = None,
    absolute: int | None = None,
    warehouse_id: int | None = None,
    reason: str = MovementReason.MANUAL,
    note: str = "",
    actor: Any = None,
) -> list[StockResult]:
    """One manual adjustment applied to several variants at once, all or none: by
    `delta`, or to an `absolute` on-hand figure (in `warehouse_id`, else the default).
    Returns the levels that changed; variants already at the figure are left alone."""
    if (delta is None) == (absolute is None):
        raise ValidationFailed(details={"delta": [_("Give either a delta or an absolute quantity.")]})
    if absolute is not None and absolute < 0:
        raise ValidationFailed(details={"quantity": [_("Stock cannot be negative.")]})
    ids = sorted(set(variant_ids))
    with transaction.atomic():
        warehouse_id = warehouse_id or default_warehouse(tenant_id).pk
        if absolute is not None:
            current = dict(
                StockLevel.objects.select_for_update()
                .filter(tenant_id=tenant_id, variant_id__in=ids, warehouse_id=warehouse_id)
                .order_by("variant_id")
                .values_list("variant_id", "on_hand")
            )
            deltas = {variant_id: absolute - current.get(variant_id, 0) for variant_id in ids}
        else:
            deltas = dict.fromkeys(ids, delta)
        return apply_stock_changes(
            tenant_id,
            [StockChange(v, on_hand_delta=d, warehouse_id=warehouse_id) for v, d in deltas.items() if d],
            reason=reason,
            note=note,
            actor=actor,
        )


def available_by_variant(variant_ids: Iterable[int]) -> dict[int, int]:
    """Available (on_hand − reserved) summed over warehouses, per variant."""
    rows = (
        StockLevel.objects.filter(variant_id__in=list(variant_ids))
        .values("variant_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    return {row["variant_id"]: row["on_hand"] - row["reserved"] for row in rows}


def set_on_hand_many(
    tenant_id: int,
    targets: dict[tuple[int, int], int],
    *,
    reason: str,
    reference: str = "",
    actor: Any = None,
    announce: set[int] | None = None,
) -> tuple[int, list[tuple[int, int, int]]]:
    """Set absolute on-hand figures per (variant, warehouse) set-based, for imports from
    a system that owns the physical stock (1C): one locked read, one upsert, one ledger
    insert, one `stock.updated` per variant (only for `announce`, when given). A figure
    below what orders have reserved is raised to the reserved quantity and returned in
    the second item as (variant, warehouse, wanted). Returns (levels changed, clamped)."""
    from meschain import bulk as fast

    if reason not in MovementReason.values:
        raise ValueError(f"Unknown movement reason {reason!r}")
    if not targets:
        return 0, []
    with transaction.atomic():
        variant_ids = sorted({v for v, _w in targets})
        current = {  # by variant only: a tenant condition can lead the planner to read the tenant's whole stock
            (v, w): (on_hand, reserved)
            for v, w, on_hand, reserved, tenant in StockLevel.objects.select_for_update()
            .filter(variant_id__in=variant_ids)
            .order_by("variant_id", "warehouse_id")
            .values_list("variant_id", "warehouse_id", "on_hand", "reserved", "tenant_id")
            if tenant == tenant_id
        }
        real_actor_id, label = getattr(audit.user_of(actor), "pk", None), audit.label_of(actor)
        rows, movements, clamped, changed = [], [], [], set()
        for (variant_id, warehouse_id), wanted in sorted(targets.items()):
            on_hand, reserved = current.get((variant_id, warehouse_id), (0, 0))
            target = max(wanted, reserved, 0)
            if target != wanted:
                clamped.append((variant_id, warehouse_id, wanted))
            if target == on_hand and (variant_id, warehouse_id) in current:
                continue
            common = {"tenant_id": tenant_id, "variant_id": variant_id, "warehouse_id": warehouse_id}
            rows.append({**common, "on_hand": target, "reserved": reserved})
            movements.append(
                {**common, "on_hand_delta": target - on_hand, "reserved_delta": 0, "on_hand_after": target,
                 "reserved_after": reserved, "reason": reason, "reference": reference[:100],
                 "actor_id": real_actor_id, "actor_label": label}
            )  # fmt: skip
            changed.add(variant_id)
        fast.upsert_rows(StockLevel, rows, unique_fields=["variant", "warehouse"], update_fields=["on_hand", "updated_at"])
        fast.insert_rows(StockMovement, [m for m in movements if m["on_hand_delta"]])
        to_announce = changed if announce is None else changed & announce
        if to_announce:
            emit_stock_updated(tenant_id, to_announce, reason=reason)
    return len(rows), clamped
