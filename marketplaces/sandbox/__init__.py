"""Local HTTP sandboxes that behave like the marketplaces' seller APIs (for tests and demos).

Each sandbox module defines a :class:`~marketplaces.sandbox.base.SandboxServer` subclass
and (all but Trendyol's, whose demo account ``marketplaces.demo`` sets up) a ``DEMO`` dict: the port
``manage.py marketplace_sandbox NAME`` serves on by default and the account ``seed_demo``
connects to it (``base_path``, ``credentials``, ``settings`` and ``category_mappings``: our
demo category name → (marketplace category id, its name, attribute values)).
"""

from importlib import import_module
from typing import Any

from marketplaces.sandbox.trendyol import TrendyolSandbox

#: marketplace code → "module:class" of its sandbox
SANDBOXES: dict[str, str] = {
    "trendyol": "marketplaces.sandbox.trendyol:TrendyolSandbox",
    "hepsiburada": "marketplaces.sandbox.hepsiburada:HepsiburadaSandbox",
    "n11": "marketplaces.sandbox.n11:N11Sandbox",
    "amazon": "marketplaces.sandbox.amazon:AmazonSandbox",
    "ozon": "marketplaces.sandbox.ozon:OzonSandbox",
}


def sandbox_module(code: str) -> Any:
    """The module of a marketplace's sandbox; KeyError when it has none."""
    return import_module(SANDBOXES[code].partition(":")[0])


def sandbox_class(code: str) -> type:
    module_name, _sep, class_name = SANDBOXES[code].partition(":")
    return getattr(import_module(module_name), class_name)


__all__ = ["SANDBOXES", "TrendyolSandbox", "sandbox_class", "sandbox_module"]
