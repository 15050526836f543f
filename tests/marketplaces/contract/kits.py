"""Every marketplace the contract suite runs against: add a kit here to add a marketplace."""

from tests.marketplaces.contract.kit import MarketplaceKit
from tests.marketplaces.contract.kit_trendyol import TrendyolKit

KITS: list[MarketplaceKit] = [
    TrendyolKit(),
]
