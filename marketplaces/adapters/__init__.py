"""Marketplace adapters; importing this package registers the built-in ones."""

from marketplaces.adapters import (
    amazon,  # noqa: F401 - registers "amazon"
    hepsiburada,  # noqa: F401 - registers "hepsiburada"
    n11,  # noqa: F401 - registers "n11"
    ozon,  # noqa: F401 - registers "ozon"
    trendyol,  # noqa: F401 - registers "trendyol"
)
from marketplaces.adapters.base import adapter_class, get_adapter, registered_codes

__all__ = ["adapter_class", "get_adapter", "registered_codes"]
