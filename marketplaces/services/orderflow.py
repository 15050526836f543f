"""Orders between MesChain and a marketplace: pulling them in through the orders services
(idempotent on the marketplace's id), flagging the marketplace's cancellations, and
pushing our status changes back (StatusPush rows, retried with back-off)."""

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplaces.adapters.base import CANCELLED, MarketplaceOrder
from marketplaces.client import MarketplaceError
from marketplaces.models import Listing, MarketplaceAccount, PushState, StatusPush
from meschain.errors import ErrorCode

if TYPE_CHECKING:
    from marketplaces.services.sync import JobRunner

logger = logging.getLogger(__name__)

IMPORT_CHUNK = 200
def channel_of(account: MarketplaceAccount) -> str:
    return f"{account.marketplace}:{account.pk}"


def _sku_by_barcode(account: MarketplaceAccount, orders: list[MarketplaceOrder]) -> dict[str, str]:
    barcodes = {line.barcode for order in orders for line in order.lines if line.barcode}
    return dict(
        Listing.objects.filter(account=account, external_barcode__in=barcodes).values_list(
            "external_barcode", "variant__sku"
        )
    )


def import_row(order: MarketplaceOrder, skus: dict[str, str], marketplace_name: str) -> dict[str, Any]:
    """One marketplace order as an orders-import row."""
    customer = order.customer or {}
    name = f"{customer.get('first_name', '')} {customer.get('last_name', '')}".strip()
    row: dict[str, Any] = {
        "external_id": order.external_id,
        "status": order.status,
        "marketplace_status": order.marketplace_status,
        "currency": order.currency,
        "placed_at": (order.ordered_at or order.created_at or timezone.now()).isoformat(),
        "updated_at": (order.modified_at or order.created_at or timezone.now()).isoformat(),
        "discount_total": str(order.discount),
        "customer": {"email": customer.get("email") or "", "name": name},
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "notes": _("%(marketplace)s order %(number)s")
        % {"marketplace": marketplace_name, "number": order.order_number},
        "lines": [
            {
                "sku": skus.get(line.barcode) or line.merchant_sku or line.barcode,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "title": line.product_name,
            }
            for line in order.lines
        ],
    }
    if order.status == CANCELLED:
        reason = order.cancel_reason or order.marketplace_status
        row["attention_reason"] = _("Cancelled on %(marketplace)s: %(reason)s") % {
            "marketplace": marketplace_name,
            "reason": reason,
        }
    return row


def pull_orders(runner: "JobRunner") -> None:
    """Fetch orders modified since the account's watermark (minus the adapter's overlap)
    and import them; the watermark moves only once every order is in, so a run that dies
    is simply repeated (imports are idempotent on the marketplace's id)."""
    from orders.imports import import_orders
    from orders.models import Order, StockPolicy
    from orders.services import flag_for_attention

    account = runner.account
    lookback = timedelta(days=getattr(settings, "MARKETPLACE_ORDERS_FIRST_PULL_DAYS", 14))
    since = account.orders_watermark or (timezone.now() - lookback)
    if hasattr(runner.adapter, "on_wait"):  # a pull that waits for a rate limit still heart-beats
        runner.adapter.on_wait = runner.beat
    pull = runner.adapter.fetch_orders(since)
    skus = _sku_by_barcode(account, pull.orders)
    channel = channel_of(account)
    name = account.get_marketplace_display()
    actor = _("%(marketplace)s sync") % {"marketplace": name}
    runner.beat(message=_("%(count)d orders received; orders already up to date are not counted.")
                % {"count": len(pull.orders)})  # fmt: skip
    for start in range(0, len(pull.orders), IMPORT_CHUNK):
        chunk = pull.orders[start : start + IMPORT_CHUNK]
        rows = [import_row(order, skus, name) for order in chunk]
        with transaction.atomic():
            results = import_orders(
                account.tenant_id, rows, channel=channel, stock_policy=StockPolicy.FORCE, actor=actor
            )
        done, failed, errors = 0, 0, []
        for result, row in zip(results, rows, strict=True):
            if result.status == "unchanged":
                continue
            if result.status != "error":
                done += 1
                continue
            failed += 1
            errors.append({"order": result.external_id, "code": result.code, "errors": result.errors})
            if result.code == ErrorCode.INVALID_TRANSITION and result.order_id:
                order = Order.objects.get(pk=result.order_id)
                flag_for_attention(order, _("%(marketplace)s reports %(status)s, which this order cannot "
                                            "follow from %(ours)s.") % {"marketplace": name, "status":
                                           row["marketplace_status"], "ours": order.get_status_display()},
                                   actor=actor)  # fmt: skip
        runner.progress(total=done + failed, done=done, failed=failed, errors=errors)
    MarketplaceAccount.objects.filter(pk=account.pk).update(orders_watermark=pull.watermark)
    account.orders_watermark = pull.watermark


# --- Our status changes, back to the marketplace -------------------------------------


def queue_status_pushes(tenant_id: int, payloads: list[dict[str, Any]], *, send: bool = True) -> list[int]:
    """For `order.status_changed` events of marketplace orders: a StatusPush for each change
    the marketplace should hear about (and has not reported itself), handed to a worker
    when `send` (else the periodic sweep sends it). Returns their ids."""
    from marketplaces.adapters.base import adapter_class
    from orders.models import Order

    wanted: dict[int, int] = {}  # order id → account id
    for payload in payloads:
        _code, _sep, pk = str(payload.get("channel") or "").partition(":")
        if pk.isdigit() and str(payload.get("order_id") or "").isdigit():
            wanted[int(payload["order_id"])] = int(pk)
    accounts = MarketplaceAccount.objects.in_bulk(set(wanted.values()))
    orders = (
        Order.objects.filter(pk__in=wanted, tenant_id=tenant_id)
        .exclude(external_id=None)
        .exclude(external_id="")
    )
    ids = []
    for order in orders:
        account = accounts.get(wanted[order.pk])
        if account is None or account.tenant_id != tenant_id or not account.is_active:
            continue
        if order.channel != channel_of(account):
            continue
        adapter = adapter_class(account.marketplace)
        target = adapter.seller_status_for(order.status)
        if not target or adapter.has_reached(target, order.marketplace_status or ""):
            continue
        try:
            with transaction.atomic():
                push = StatusPush.objects.create(
                    tenant_id=tenant_id,
                    account=account,
                    order=order,
                    status=target,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:
            continue  # already queued or sent
        ids.append(push.pk)
        if send:
            _enqueue(push.pk)
    return ids


def _enqueue(push_id: int) -> None:
    from marketplaces.tasks import push_order_status

    transaction.on_commit(lambda: push_order_status.delay(push_id))


def send_status_push(push_id: int) -> str:
    """Send one status change: "sent", "retry" (later, with back-off), "failed" (the
    marketplace refused it: the order is flagged), or "skipped"."""
    from marketplaces.services.sync import adapter_for, backoff
    from orders.services import flag_for_attention

    with transaction.atomic():
        push = (
            StatusPush.objects.select_for_update(skip_locked=True)
            .select_related("account", "order")
            .filter(pk=push_id, state=PushState.PENDING)
            .first()
        )
        if push is None:
            return "skipped"
        push.attempts += 1
        try:
            with adapter_for(push.account) as adapter:
                current = adapter.fetch_order(push.order.external_id)
                if current is None:
                    raise MarketplaceError(_("The marketplace does not know this order."), retryable=False)
                current.tracking_number = push.order.tracking_number
                adapter.push_order_status(current, push.status)
        except MarketplaceError as exc:
            push.last_error = exc.message[:2000]
            give_up = not exc.retryable or push.attempts >= getattr(
                settings, "MARKETPLACE_STATUS_PUSH_ATTEMPTS", 8
            )
            if give_up:
                push.state = PushState.FAILED
                flag_for_attention(push.order, _("%(marketplace)s refused the status %(status)s: %(error)s") % {
                    "marketplace": push.account.get_marketplace_display(), "status": push.status,
                    "error": exc.message[:200]}, actor=_("marketplace sync"))  # fmt: skip
            else:
                push.next_attempt_at = timezone.now() + backoff(push.attempts - 1)
            push.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return "failed" if give_up else "retry"
        push.state, push.sent_at, push.last_error = PushState.SENT, timezone.now(), ""
        push.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        push.order.marketplace_status = push.status
        push.order.save(update_fields=["marketplace_status", "updated_at"])
    logger.info("Order %s: status %s sent to %s", push.order_id, push.status, push.account.marketplace)
    return "sent"


def due_status_pushes() -> list[int]:
    return list(
        StatusPush.objects.filter(state=PushState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
