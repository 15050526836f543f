"""A real Celery worker, over the Redis broker, delivers events end to end."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from meschain import events
from tests.celery_worker import celery_workers
from webhooks import services
from webhooks.models import DeliveryState, WebhookDelivery

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

@pytest.fixture
def celery_worker(settings: Any) -> Iterator[Any]:
    env = {"WEBHOOK_RETRY_BASE_SECONDS": "0", "WEBHOOK_TIMEOUT_SECONDS": "1", "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
    with celery_workers(settings, env) as start:
        yield start()


def _wait_for_state(delivery_filter: dict, state: str, timeout: float = 20.0) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.filter(**delivery_filter).first()
        if delivery is not None and delivery.state == state:
            return delivery
        time.sleep(0.1)
    pytest.fail(f"No delivery reached {state}: {list(WebhookDelivery.objects.values())}")


def test_worker_dispatches_and_delivers_with_retry(celery_worker, tenant_a, receiver):
    receiver.script = ["500"]  # first attempt fails, the worker retries
    endpoint, secret = services.create_endpoint(
        tenant=tenant_a, url=receiver.url, event_types=["order.created"]
    )

    with transaction.atomic():
        events.emit(tenant_a, "order.created", {"number": "A-1001"}, object_type="order", object_id=1001)

    received = receiver.wait_for(2, timeout=30)
    assert [json.loads(r.body)["data"] for r in received] == [{"number": "A-1001"}] * 2
    assert services.verify(secret, received[1].headers["X-MesChain-Signature"], received[1].body)
    delivery = _wait_for_state({"endpoint": endpoint}, DeliveryState.SUCCEEDED)
    assert list(delivery.attempts.order_by("number").values_list("status_code", flat=True)) == [500, 200]
