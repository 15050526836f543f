"""The outbox and webhook deliveries, against a real HTTP receiver on 127.0.0.1."""

import hashlib
import hmac
import json
import time

import pytest
from django.db import transaction

from meschain import events
from meschain.models import Event, EventConsumption
from meschain.tasks import dispatch_events
from tests.webhooks.receiver import Receiver, free_port
from webhooks import services
from webhooks.models import DeliveryState, WebhookDelivery
from webhooks.tasks import deliver_due_webhooks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # real retries and timeouts


def _verify(secret: str, header: str, body: bytes) -> bool:
    """What a storefront does, written out independently of our code."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def _emit_stock_event(tenant, sku: str = "SKU-1", qty: int = 5) -> None:
    with transaction.atomic():
        events.emit(
            tenant, "stock.updated", {"sku": sku, "available": qty}, object_type="variant", object_id=sku
        )


class ProcessDied(BaseException):
    pass


def _die() -> None:
    raise ProcessDied


def _emit_then_die_after_commit(tenant, sku: str = "SKU-1", qty: int = 5) -> None:
    """Commit the change and its event, then die before the after-commit dispatch runs."""
    with pytest.raises(ProcessDied), transaction.atomic():
        transaction.on_commit(_die)  # runs first; later callbacks never run
        events.emit(
            tenant, "stock.updated", {"sku": sku, "available": qty}, object_type="variant", object_id=sku
        )


def test_committed_event_is_delivered_signed(tenant_a, receiver):
    endpoint, secret = services.create_endpoint(
        tenant=tenant_a, url=receiver.url, event_types=["stock.updated"]
    )

    _emit_stock_event(tenant_a)

    [request] = receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["type"] == "stock.updated"
    assert body["data"] == {"sku": "SKU-1", "available": 5}
    assert request.headers["X-MesChain-Event"] == "stock.updated"
    assert request.headers["X-MesChain-Delivery"] == body["id"]
    assert _verify(secret, request.headers["X-MesChain-Signature"], request.body)
    assert not _verify("whsec_wrong", request.headers["X-MesChain-Signature"], request.body)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.SUCCEEDED
    assert list(delivery.attempts.values_list("number", "status_code")) == [(1, 200)]
    assert Event.objects.get().dispatched_at is not None


def test_event_of_rolled_back_transaction_is_never_delivered(tenant_a, receiver):
    services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])

    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(tenant_a, "order.created", {"number": "1001"}, object_type="order", object_id=1)
        raise RuntimeError("the order failed validation")

    assert dispatch_events() == 0
    assert Event.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    time.sleep(0.2)
    assert receiver.received == []


def test_emit_outside_a_transaction_is_refused(tenant_a):
    with pytest.raises(RuntimeError):
        events.emit(tenant_a, "order.created", {}, object_type="order", object_id=1)
    assert Event.objects.count() == 0


def test_event_left_behind_by_a_dead_process_is_swept(tenant_a, receiver):
    """The after-commit dispatch never runs (the process died): the sweep delivers."""
    services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])
    _emit_then_die_after_commit(tenant_a)
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 1
    assert receiver.received == []

    assert dispatch_events() == 1  # what celery beat runs every OUTBOX_SWEEP_SECONDS

    assert len(receiver.wait_for(1)) == 1
    assert dispatch_events() == 0  # never twice
    assert WebhookDelivery.objects.count() == 1


def test_a_failing_consumer_keeps_the_event_and_the_others_do_not_repeat(tenant_a, receiver):
    """One consumer fails: the event stays pending (with later events of the same
    object); consumers that took it are not given it again on the retry."""
    services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])
    calls: list[int] = []
    broken = {"on": True}

    def flaky(batch) -> None:
        if broken["on"] and any(event.payload.get("available") == 1 for event in batch):
            raise RuntimeError("downstream is down")
        calls.extend(event.payload["available"] for event in batch)

    events.register_consumer("flaky", flaky, ["stock.updated"])
    try:
        for qty in (3, 1, 0):
            _emit_then_die_after_commit(tenant_a, "SKU-7", qty)
        _emit_then_die_after_commit(tenant_a, "SKU-8", 5)

        assert dispatch_events() == 2  # qty 3 of SKU-7, and SKU-8; qty 1 failed, qty 0 waits behind it
        assert calls == [3, 5]
        pending = Event.objects.filter(dispatched_at__isnull=True).order_by("id")
        assert [e.payload["available"] for e in pending] == [1, 0]
        assert "downstream is down" in pending[0].last_error
        assert len(receiver.wait_for(4)) == 4  # webhooks took all four, the pending ones too
        assert set(EventConsumption.objects.values_list("consumer", flat=True)) == {"webhooks", "catalog_cache", "marketplaces"}

        broken["on"] = False
        assert dispatch_events() == 2
        assert calls == [3, 5, 1, 0]
        time.sleep(0.2)
        assert len(receiver.received) == 4  # no webhook sent twice
    finally:
        events._consumers.pop("flaky", None)


def test_worker_killed_mid_dispatch_loses_nothing_and_repeats_nothing(tenant_a, receiver):
    """Dispatch is one transaction: a worker killed half-way leaves no delivery behind,
    and the next run hands each event over exactly once."""
    services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])
    _emit_then_die_after_commit(tenant_a)

    def killed(batch) -> None:
        raise ProcessDied  # not an Exception: nothing catches it, like SIGKILL

    events.register_consumer("zz-killed", killed)
    try:
        with pytest.raises(ProcessDied):
            dispatch_events()
    finally:
        events._consumers.pop("zz-killed", None)
    assert WebhookDelivery.objects.count() == 0
    assert Event.objects.get().dispatched_at is None

    assert dispatch_events() == 1
    assert len(receiver.wait_for(1)) == 1
    time.sleep(0.2)
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("failure", ["500", "timeout", "429"])
def test_retryable_failures_are_retried_until_success(tenant_a, receiver, failure):
    receiver.script = [failure, failure]
    receiver.timeout_sleep = 1.0
    endpoint, _secret = services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])

    _emit_stock_event(tenant_a)
    deliver_due_webhooks()  # the sweep retries what is due
    deliver_due_webhooks()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    attempts = list(delivery.attempts.order_by("number"))
    assert delivery.state == DeliveryState.SUCCEEDED
    assert [a.number for a in attempts] == [1, 2, 3]
    assert [a.will_retry for a in attempts] == [True, True, False]
    assert attempts[-1].status_code == 200
    if failure == "timeout":
        assert attempts[0].status_code is None and "Timed out" in attempts[0].error
    else:
        assert attempts[0].status_code == int(failure)
    ids = {r.headers["X-MesChain-Delivery"] for r in receiver.wait_for(3)}
    assert ids == {str(delivery.delivery_id)}  # same id on every attempt: receivers de-duplicate


def test_refused_connection_is_retried_when_the_receiver_comes_up(tenant_a):
    port = free_port()
    endpoint, _secret = services.create_endpoint(
        tenant=tenant_a, url=f"http://127.0.0.1:{port}/hooks", event_types=[]
    )
    _emit_stock_event(tenant_a)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.PENDING
    assert "Connection failed" in delivery.attempts.get().error

    late = Receiver(port=port).start()
    try:
        deliver_due_webhooks()
        assert len(late.wait_for(1)) == 1
    finally:
        late.stop()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts.count() == 2


def test_client_error_is_not_retried(tenant_a, receiver):
    receiver.script = ["400"]
    endpoint, _secret = services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])

    _emit_stock_event(tenant_a)
    deliver_due_webhooks()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.FAILED
    assert list(delivery.attempts.values_list("status_code", "will_retry")) == [(400, False)]
    assert len(receiver.received) == 1


def test_gives_up_after_max_attempts(tenant_a, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = ["503"] * 10
    endpoint, _secret = services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])

    _emit_stock_event(tenant_a)
    for _ in range(5):
        deliver_due_webhooks()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts.count() == 3
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_endpoint_that_keeps_failing_is_disabled_and_owner_told(tenant_a, receiver, settings, owner, client):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.script = ["410"] * 5
    endpoint, _secret = services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])

    _emit_stock_event(tenant_a, "A")
    _emit_stock_event(tenant_a, "B")
    _emit_stock_event(tenant_a, "C")

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_at is not None
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2  # none after disabling
    client.force_login(owner)
    page = client.get("/admin/").content.decode()
    assert "disabled because its deliveries kept failing" in page
    assert receiver.url in page


def test_events_of_one_object_are_delivered_in_order(tenant_a, receiver):
    services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])
    for qty in (3, 2, 1, 0):
        _emit_then_die_after_commit(tenant_a, "SKU-9", qty)

    dispatch_events()

    bodies = [json.loads(r.body)["data"]["available"] for r in receiver.wait_for(4)]
    assert bodies == [3, 2, 1, 0]


def test_other_tenants_endpoints_get_nothing(tenant_a, tenant_b, receiver):
    services.create_endpoint(tenant=tenant_b, url=receiver.url, event_types=[])

    _emit_stock_event(tenant_a)

    time.sleep(0.2)
    assert receiver.received == []
    assert WebhookDelivery.objects.count() == 0
