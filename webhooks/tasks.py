from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.deliver", ignore_result=True, acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """Make the next attempt of one delivery (a no-op if it is not due or taken)."""
    services.attempt_delivery(delivery_id)


@shared_task(name="webhooks.deliver_due", ignore_result=True)
def deliver_due_webhooks() -> int:
    """Sweep: attempt every delivery whose retry time has come (lost tasks, no broker)."""
    ids = services.due_delivery_ids()
    for delivery_id in ids:
        services.attempt_delivery(delivery_id)
    return len(ids)
