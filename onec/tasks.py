from celery import shared_task

from onec import services


@shared_task(name="onec.cleanup_exchanges", ignore_result=True)
def cleanup_exchanges() -> int:
    """Delete the received files of exchanges older than the retention (beat, every few hours)."""
    return services.purge_old_exchanges().sessions
