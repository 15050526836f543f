"""What the marketplaces do when the rest of MesChain changes (outbox consumer):
stock or prices changed → the listings' stock version moves and a stock-and-price sync of
each account concerned is queued (one job takes every change made meanwhile: coalesced
per variant); a marketplace order's status changed → a status push is queued.

Without a broker (tasks run eagerly, inside the request) nothing is started automatically:
an operator's stock change must not wait for a marketplace. The versions still move, so the
next stock sync started by hand sends every change."""

from collections import defaultdict
from typing import Any

from django.conf import settings

from marketplaces.models import MarketplaceAccount
from marketplaces.services.jobs import request_sync_if_idle
from marketplaces.services.listings import mark_stock_changed
from marketplaces.services.orderflow import queue_status_pushes

EVENT_TYPES = ("stock.updated", "product.updated", "order.status_changed")


def on_events(events: list[Any]) -> None:
    variants: dict[int, set[int]] = defaultdict(set)
    products: dict[int, set[int]] = defaultdict(set)
    statuses: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event.type == "stock.updated" and str(event.object_id).isdigit():
            variants[event.tenant_id].add(int(event.object_id))
        elif event.type == "product.updated" and str(event.object_id).isdigit():
            products[event.tenant_id].add(int(event.object_id))
        elif event.type == "order.status_changed" and ":" in str(event.payload.get("channel") or ""):
            statuses[event.tenant_id].append(event.payload)
    for tenant_id in set(variants) | set(products):
        account_ids = mark_stock_changed(
            tenant_id, variant_ids=variants.get(tenant_id, set()), product_ids=products.get(tenant_id, set())
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            continue
        for account in MarketplaceAccount.objects.filter(pk__in=account_ids, is_active=True):
            request_sync_if_idle(
                account,
                "stock_price",
                actor="stock change",
                countdown=settings.MARKETPLACE_STOCK_PUSH_DELAY_SECONDS,
            )
    for tenant_id, payloads in statuses.items():
        queue_status_pushes(tenant_id, payloads, send=not settings.CELERY_TASK_ALWAYS_EAGER)
