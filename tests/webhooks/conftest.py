from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhooks.receiver import Receiver, free_port


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(port=free_port()).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _quick_webhooks(settings: Any) -> None:
    """Retries due at once and short timeouts, so the retry logic runs in test time."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
