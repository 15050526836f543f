"""Shared pieces of the Hepsiburada tests: a sandbox on a free port and adapters pointed at it."""

from collections.abc import Iterator
from typing import Any

import httpx

from marketplaces.adapters.base import AccountConfig, ListingItem
from marketplaces.adapters.hepsiburada import HepsiburadaAdapter
from marketplaces.sandbox.hepsiburada import MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox

CREDENTIALS = {"merchant_id": MERCHANT_ID, "service_key": SERVICE_KEY, "user_agent": USER_AGENT}
TSHIRT = 18021982
TSHIRT_ATTRIBUTES = [{"id": "renk_variant_property", "value": "Siyah"}, {"id": "beden_variant_property", "value": "M"}]


def make_adapter(sandbox: HepsiburadaSandbox, *, credentials: dict[str, str] | None = None,
                 explicit_hosts: bool = False, **options: Any) -> HepsiburadaAdapter:  # fmt: skip
    """An adapter for the sandbox (hosts implied by the base URL, or given one by one)."""
    hosts = sandbox.adapter_options() if explicit_hosts else {}
    config = AccountConfig(
        marketplace="hepsiburada", seller_id=MERCHANT_ID, api_key="", api_secret="",
        base_url="https://listing-external.hepsiburada.com" if explicit_hosts else sandbox.base_url,
        rate_limit="", options={"default_brand": "Acme", **hosts, **options},
        credentials=CREDENTIALS if credentials is None else credentials,
    )  # fmt: skip
    return HepsiburadaAdapter(config)


def tee(sku: str, **changes: Any) -> ListingItem:
    item = ListingItem(barcode=sku, sku=sku, title=f"Pamuk tişört {sku}", group_code="TEE", brand_id=None,
                       category_id=TSHIRT, quantity=5, list_price=249.9, sale_price=199.9,
                       attributes=list(TSHIRT_ATTRIBUTES))  # fmt: skip
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def seller(sandbox: HepsiburadaSandbox, service: str, **headers: str) -> httpx.Client:
    """An HTTP client speaking to one sandbox host as the seller."""
    return httpx.Client(base_url=sandbox.service_url(service), auth=(MERCHANT_ID, SERVICE_KEY),
                        headers={"User-Agent": USER_AGENT, **headers}, timeout=5)  # fmt: skip


def running_sandbox() -> Iterator[HepsiburadaSandbox]:
    """For a ``sandbox`` fixture: a started sandbox without real-time limits, stopped after."""
    sb = HepsiburadaSandbox(rate_limits=False).start()
    yield sb
    sb.stop()


def open_adapter(sandbox: HepsiburadaSandbox) -> Iterator[HepsiburadaAdapter]:
    """For an ``adapter`` fixture."""
    with make_adapter(sandbox) as a:
        yield a
