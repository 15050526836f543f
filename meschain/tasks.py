from celery import shared_task

from meschain import events


@shared_task(name="meschain.dispatch_events", ignore_result=True)
def dispatch_events(max_batches: int = 20) -> int:
    """Dispatch pending outbox events, a batch at a time, until none are left."""
    events.dispatch_started()
    total = 0
    for _ in range(max_batches):
        done = events.dispatch_pending()
        total += done
        if not done:
            break
    return total
