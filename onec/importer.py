"""Import one received CommerceML file in steps inside a time budget.

The first step reads the whole file once without writing (a malformed or unsafe file
is refused before anything changes). Then items are applied in batches, each batch in
one transaction together with the count of items done, so a step that stops (budget
spent, worker killed) resumes after the last applied batch, and a repeated run only
re-applies what is idempotent anyway (every 1C id is mapped to one row).
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Full, Queue
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from onec import catalog_sync, offers_sync, parsing
from onec.models import ExchangeSession


def step_seconds() -> float:
    return float(getattr(settings, "ONEC_IMPORT_STEP_SECONDS", 20))


def batch_size() -> int:
    return int(getattr(settings, "ONEC_IMPORT_BATCH", 1000))


def prefetch(items: Iterator[Any], size: int = 2000) -> Iterator[Any]:
    """Run `items` (the XML reader) in a thread, `size` items ahead: parsing (CPU here)
    overlaps with the database's work on the batch before. Errors surface in order."""
    queue: Queue = Queue(maxsize=size)
    stop = threading.Event()
    done = object()
    language = translation.get_language()

    def produce() -> None:
        translation.activate(language)  # messages of refusals in the request's language
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put(item, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(exc)

    worker = threading.Thread(target=produce, name="onec-reader", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


@contextmanager
def batch_transaction() -> Iterator[None]:
    """One batch and its progress count, all or nothing. On PostgreSQL the commit does
    not wait for the WAL flush: a crash may lose the last batches, never half of one,
    and a lost batch is applied again from the saved progress. The file's last
    transaction commits durably, which flushes every batch before it too."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _growing_tables() -> list[str]:
    """The tables an import grows."""
    from catalog.models import Product, StockLevel, StockMovement, Variant
    from meschain.models import Event
    from onec.models import ExternalRef

    return [model._meta.db_table for model in (Product, Variant, StockLevel, StockMovement, ExternalRef, Event)]


class PlannerStatistics:
    """Keeps PostgreSQL's statistics of the tables a large import grows current.

    Autovacuum analyses a table only after its next nap; until then a table that grew
    from 1,000 to 150,000 rows within the minute is planned with its old figures (a
    tenant's whole stock read for every batch, a sequential scan of all variants). A
    table whose changes since its last analysis are more than half its rows is
    analysed between batches, so it happens a few times per table, at doubling sizes."""

    def __init__(self, every: float = 2.0) -> None:
        self.every, self.due = every, time.monotonic() + every
        self.tried: dict[str, int] = {}  # table → its rows when last analysed (or refused) here

    def refresh(self) -> None:
        if connection.vendor != "postgresql" or time.monotonic() < self.due:
            return
        self.due = time.monotonic() + self.every
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND relname = ANY(%s) AND n_mod_since_analyze > GREATEST(1000, n_live_tup / 2) "
                "AND relid NOT IN (SELECT relid FROM pg_stat_progress_vacuum "
                "UNION ALL SELECT relid FROM pg_stat_progress_analyze)",  # autovacuum is on it
                [_growing_tables()],
            )
            # not again before it doubled once more (a user that does not own a table only gets a warning)
            tables = [(name, rows) for name, rows in cursor.fetchall() if rows >= 2 * self.tried.get(name, 0)]
        for table, rows in tables:
            try:  # never wait for a lock: a later batch tries again
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '50ms'")
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            except OperationalError:
                continue
            self.tried[table] = max(rows, 1)


def _applier(kind: str) -> Callable[[catalog_sync.Context, list[dict[str, Any]]], None]:
    if kind == "product":
        return catalog_sync.apply_products
    if kind == "offer":
        return offers_sync.apply_offers
    from onec import statuses

    return statuses.apply_documents


def run_step(
    session: ExchangeSession,
    path: Path,
    *,
    budget: float | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[bool, str]:
    """Go on importing `path`; returns (finished, message). `budget` seconds (None: the
    setting; 0 or less: one batch per call)."""
    budget = step_seconds() if budget is None else budget
    started = time.monotonic()
    key = path.name
    session.steps += 1
    state = session.progress.setdefault(key, {})
    if state.get("finished"):
        return True, _("%(file)s was already imported.") % {"file": key}
    if not state.get("checked"):
        state.update(checked=True, done=0, total=parsing.check(path))
        _save(session)
    ctx = catalog_sync.Context(session.account, session.pk, folder=path.parent)
    done, seen, batch, kind = state["done"], 0, [], ""
    statistics = PlannerStatistics()

    def flush() -> None:
        with batch_transaction():
            _applier(kind)(ctx, batch)
            state["done"] = seen
            _merge(session, ctx)
            _save(session)
        statistics.refresh()
        if on_batch:
            on_batch(seen, state["total"])

    for kind_read, item in prefetch(parsing.read(path)):
        if kind_read in ("catalog", "offers"):
            ctx.only_changes = item["only_changes"]
            state["section"] = kind_read
        elif kind_read == "groups" and not state.get("groups"):
            with transaction.atomic():
                catalog_sync.apply_groups(ctx, item["items"])
                state["groups"] = True
                _merge(session, ctx)
                _save(session)
        elif kind_read == "properties":
            ctx.properties = {p["id"]: p for p in item["items"]}
        elif kind_read == "price_type":
            ctx.price_types.append(item)
        elif kind_read == "warehouse":
            ctx.declared_warehouses.append(item)
        elif kind_read in ("product", "offer", "document"):
            seen += 1
            if seen <= done:
                continue
            kind = kind_read
            batch.append(item)
            if len(batch) >= batch_size():
                flush()
                batch = []
                if time.monotonic() - started >= budget:
                    return False, _("%(file)s: %(done)d of %(total)d done.") % {
                        "file": key, "done": seen, "total": state["total"]}  # fmt: skip
    with transaction.atomic():  # committed durably: it also flushes the batches before
        if batch:
            _applier(kind)(ctx, batch)
        if state.get("section") == "catalog":
            catalog_sync.archive_missing(ctx)
        state.update(done=seen, finished=True)
        _merge(session, ctx)
        _save(session)
    if on_batch:
        on_batch(seen, state["total"])
    return True, _("%(file)s imported: %(total)d items.") % {"file": key, "total": seen}


def _merge(session: ExchangeSession, ctx: catalog_sync.Context) -> None:
    counts = Counter(session.counts)
    counts.update(ctx.counts)
    session.counts = dict(counts)
    session.errors = (session.errors + ctx.warnings)[-200:]
    ctx.counts.clear()
    ctx.warnings.clear()


def _save(session: ExchangeSession) -> None:
    session.save(update_fields=["progress", "counts", "errors", "steps", "updated_at"])
