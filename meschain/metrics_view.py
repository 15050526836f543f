"""`GET /metrics`: the Prometheus exposition, for the configured networks or a bearer token.

Callers from ``METRICS_ALLOWED_NETWORKS`` (client address as the rest of the app sees it,
honouring ``TRUSTED_PROXY_COUNT``) or sending ``Authorization: Bearer <METRICS_TOKEN>`` get
the metrics; anyone else gets 403. The outbox figures are read from the database at
scrape time.
"""

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from meschain.events import outbox_lag
from meschain.metrics import multiprocess_dir
from meschain.middleware import client_ip
from meschain.models import Event

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboxCollector:
    """Outbox lag and backlog, computed when scraped (not kept in any process)."""

    def collect(self) -> Iterator[Metric]:
        try:
            lag = outbox_lag().total_seconds()
            pending = Event.objects.filter(dispatched_at__isnull=True).count()
        except DatabaseError as exc:
            logger.warning("Outbox metrics unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "meschain_outbox_lag_seconds", "Age of the oldest outbox event not yet dispatched (0 when none).", lag
        )
        yield GaugeMetricFamily(
            "meschain_outbox_pending_events", "Outbox events not yet dispatched.", pending
        )


_scrape_time = CollectorRegistry(auto_describe=False)
_scrape_time.register(OutboxCollector())


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _address_allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        candidates.append(ip.ipv4_mapped)
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    return any(candidate in network for candidate in candidates for network in networks)


def _token_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def may_scrape(request: HttpRequest) -> bool:
    return _token_allowed(request) or _address_allowed(client_ip(request))


def exposition() -> bytes:
    """Every metric in the text format: this process's, or all processes' in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    return output + generate_latest(_scrape_time)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        return HttpResponse(
            _("Metrics are not available to this address."), status=403, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
