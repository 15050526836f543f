"""The outbox: the one way services announce changes.

`emit()` writes an Event row in the caller's transaction and asks for a dispatch after
commit; `dispatch_pending()` hands each event to every registered consumer exactly once
(per consumer), in order per object. An event of a rolled-back transaction never exists;
one whose dispatch was lost (worker killed right after commit) is found by the periodic
sweep. Consumers do their database work in the dispatcher's transaction (so it is
undone with it) and enqueue outside work with `transaction.on_commit`.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from meschain.bulk import insert_rows
from meschain.models import Event, EventConsumption

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
EVENT_TYPES = (
    "product.published",
    "product.updated",
    "product.archived",
    "product.deleted",
    "stock.updated",
    "order.created",
    "order.status_changed",
    "sync.finished",
    "webhook.test",
)
_DISPATCH_LOCK = 72_511_001  # PostgreSQL advisory lock id of the dispatcher


@dataclass(frozen=True)
class Consumer:
    name: str
    handle_batch: Callable[[list[Event]], None]
    event_types: frozenset[str] = field(default_factory=frozenset)  # empty: all

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


_consumers: dict[str, Consumer] = {}


def register_consumer(name: str, handle: Callable[[Event], None], event_types: Iterable[str] = ()) -> None:
    """Register a consumer (from an AppConfig.ready). Names are stable identifiers."""
    _consumers[name] = Consumer(name, handle, frozenset(event_types))


def consumers() -> list[Consumer]:
    return list(_consumers.values())


#: set while a dispatch task is queued: a burst of commits enqueues one task, not one each
DISPATCH_QUEUED_KEY = "events:dispatch-queued"


def dispatch_started() -> None:
    """Called by the dispatch task before it reads the outbox: commits from now on queue
    another dispatch (those before are read by this one)."""
    cache.delete(DISPATCH_QUEUED_KEY)


def _schedule_dispatch() -> None:
    from meschain.tasks import dispatch_events

    if not cache.add(DISPATCH_QUEUED_KEY, 1, timeout=60):
        return  # a queued dispatch will read this event (the sweep covers a lost task)
    try:
        dispatch_events.delay()
    except Exception:  # broker down: the periodic sweep picks the events up
        cache.delete(DISPATCH_QUEUED_KEY)
        logger.warning("Could not enqueue the event dispatch; the sweep will deliver.", exc_info=True)


def emit(
    tenant: Any,
    event_type: str,
    payload: dict[str, Any],
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
) -> Event:
    """Write one event in the current transaction; dispatch is requested after commit."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction that makes the change.")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    event = Event.objects.create(
        tenant_id=getattr(tenant, "pk", tenant),
        type=event_type,
        object_type=object_type,
        object_id=str(object_id),
        version=PAYLOAD_VERSION,
        payload=payload,
    )
    transaction.on_commit(_schedule_dispatch)
    return event


def emit_many(tenant: Any, items: Iterable[tuple[str, str, Any, dict[str, Any]]]) -> int:
    """Bulk form of emit() for bulk paths: (type, object_type, object_id, payload) items,
    written with one INSERT in the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("emit_many() must run inside the transaction that makes the change.")
    tenant_id = getattr(tenant, "pk", tenant)
    rows = []
    for event_type, object_type, object_id, payload in items:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {event_type!r}")
        rows.append(
            {
                "tenant_id": tenant_id,
                "type": event_type,
                "object_type": object_type,
                "object_id": str(object_id),
                "version": PAYLOAD_VERSION,
                "payload": payload,
            }
        )
    if rows:
        insert_rows(Event, rows)
        transaction.on_commit(_schedule_dispatch)
    return len(rows)


def dispatch_pending(*, batch_size: int = 1000) -> int:
    """Hand pending events to consumers. Returns how many events were completed.

    One dispatcher at a time (an advisory lock on PostgreSQL) keeps order per object.
    Each consumer gets the batch in one call; if that fails it gets the events one by
    one, and an event it fails on — with the later events of the same object — stays
    pending for the next run while other objects go on. Consumptions are recorded
    only for events left pending, so no consumer takes an event twice.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_DISPATCH_LOCK])
                if not cursor.fetchone()[0]:
                    return 0
        events = list(Event.objects.filter(dispatched_at__isnull=True).order_by("id")[:batch_size])
        if not events:
            return 0
        taken = set(EventConsumption.objects.filter(event__in=events).values_list("event_id", "consumer"))
        handled: set[tuple[int, str]] = set()
        errors: dict[int, str] = {}
        for consumer in consumers():
            wanted = [e for e in events if consumer.wants(e.type) and (e.pk, consumer.name) not in taken]
            failed_here = _hand_over(consumer, wanted)
            for event, error in failed_here.items():
                errors.setdefault(event.pk, error)
            handled.update((e.pk, consumer.name) for e in wanted if e not in failed_here)
        done = [e.pk for e in events if e.pk not in errors]
        EventConsumption.objects.bulk_create(
            [EventConsumption(event_id=pk, consumer=name) for pk, name in handled if pk in errors],
            ignore_conflicts=True,
        )
        now = timezone.now()
        Event.objects.filter(pk__in=done).update(dispatched_at=now, attempts=models.F("attempts") + 1)
        for pk, error in errors.items():
            Event.objects.filter(pk=pk).update(attempts=models.F("attempts") + 1, last_error=error[:2000])
    return len(done)


def _hand_over(consumer: Consumer, events: list[Event]) -> dict[Event, str]:
    """Give `events` to one consumer; returns the events it failed on (or skipped)."""
    if not events:
        return {}
    try:
        with transaction.atomic():
            consumer.handle_batch(events)
        return {}
    except Exception:
        logger.warning("Consumer %s failed on a batch; retrying event by event.", consumer.name, exc_info=True)
    failed: dict[Event, str] = {}
    blocked: set[tuple[str, str]] = set()
    for event in events:
        key = (event.object_type, event.object_id)
        if event.object_id and key in blocked:
            failed[event] = f"{consumer.name}: waits for an earlier event of the same object"
            continue
        try:
            with transaction.atomic():
                consumer.handle_batch([event])
        except Exception as exc:
            logger.exception("Consumer %s failed on event %s", consumer.name, event.pk)
            failed[event] = f"{consumer.name}: {exc}"
            blocked.add(key)
    return failed


def outbox_lag() -> timedelta:
    """Age of the oldest pending event (zero when none)."""
    oldest = (
        Event.objects.filter(dispatched_at__isnull=True)
        .order_by("id")
        .values_list("created_at", flat=True)
        .first()
    )
    return timezone.now() - oldest if oldest else timedelta(0)
