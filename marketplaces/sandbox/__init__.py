"""Local HTTP sandboxes that behave like the marketplaces' seller APIs (for tests and demos)."""

from marketplaces.sandbox.trendyol import TrendyolSandbox

__all__ = ["TrendyolSandbox"]
