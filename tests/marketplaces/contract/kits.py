"""Every marketplace the contract suite runs against: add a kit here to add a marketplace."""

from tests.marketplaces.contract.kit import MarketplaceKit
from tests.marketplaces.contract.kit_amazon import AmazonKit
from tests.marketplaces.contract.kit_hepsiburada import HepsiburadaKit
from tests.marketplaces.contract.kit_n11 import N11Kit
from tests.marketplaces.contract.kit_ozon import OzonKit
from tests.marketplaces.contract.kit_trendyol import TrendyolKit

KITS: list[MarketplaceKit] = [
    TrendyolKit(),
    OzonKit(),
    HepsiburadaKit(),
    N11Kit(),
    AmazonKit(),
]
