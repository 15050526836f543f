"""Business operations of the catalogue: products and their status, bulk upserts,
stock and its ledger, warehouses. Everything that changes these rows goes through here."""
