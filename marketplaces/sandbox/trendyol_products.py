"""Products of the Trendyol sandbox (mixed into
:class:`~marketplaces.sandbox.trendyol.TrendyolSandbox`): product creates, content updates
and price/stock updates are accepted as batches and applied when their processing time has
come (§1.3 to §1.5); the product list (§1.2); what tests read and change directly."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from marketplaces.sandbox.trendyol_common import (
    MAX_STOCK,
    SandboxError,
    Seller,
    int_param,
    is_int,
    is_number,
    ms,
    page_of,
)
from marketplaces.sandbox.trendyol_data import BRANDS_BY_ID, CATEGORIES_BY_ID

MAX_BATCH_ITEMS = 1000
IDENTICAL_WINDOW_SECONDS = 15 * 60
BATCH_RETENTION_SECONDS = 4 * 60 * 60
IDENTICAL_REQUEST_MESSAGE = "15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!"
# Batch types of product content updates (§1.4) -> whether they are for approved products.
CONTENT_UPDATE_TYPES = {"ProductV2ContentUpdate": True, "ProductV2UnapprovedUpdate": False}
# What a content update does not change: §1.5's fields and the state Trendyol keeps.
NON_CONTENT_FIELDS = frozenset(("quantity", "listPrice", "salePrice", "currencyType", "approved", "onSale",
                                "archived", "locked", "contentId", "createDateTime", "lastUpdateDate"))


class ProductsMixin:
    """Needs ``_lock``, ``now()``, ``_sellers``, ``_seller()``, ``_data_rng``, ``batch_delay``,
    ``auto_approve``, ``identical_window``, ``rejected`` and the content rules of
    :class:`~marketplaces.sandbox.trendyol_catalog.CatalogMixin` from the sandbox."""

    # ---- test helpers and state accessors ----------------------------------------------------

    def reject_items(self, barcodes: list[str], message: str) -> None:
        """Refuse every create and price/stock item of these barcodes with `message` (tests)."""
        with self._lock:
            self.rejected.update(dict.fromkeys(barcodes, message))

    def products(self, seller_id: str | int | None = None) -> dict[str, dict[str, Any]]:
        """Products by barcode, as stored after their batches completed."""
        with self._lock:
            self._settle()
            return copy.deepcopy(self._seller(seller_id).products)

    def product(self, barcode: str, seller_id: str | int | None = None) -> dict[str, Any] | None:
        """One product as stored (a copy), or None."""
        with self._lock:
            self._settle()
            return copy.deepcopy(self._seller(seller_id).products.get(barcode))

    def stock(self, barcode: str, seller_id: str | int | None = None) -> int | None:
        product = self.product(barcode, seller_id)
        return None if product is None else product["quantity"]

    def price(self, barcode: str, seller_id: str | int | None = None) -> tuple[float, float] | None:
        """(salePrice, listPrice) of a product, or None."""
        product = self.product(barcode, seller_id)
        return None if product is None else (product["salePrice"], product["listPrice"])

    def approve(self, barcodes: list[str], approved: bool = True, seller_id: str | int | None = None) -> int:
        with self._lock:
            self._settle()
            products = self._seller(seller_id).products
            changed = 0
            for barcode in barcodes:
                if barcode in products:
                    products[barcode]["approved"] = approved
                    products[barcode]["onSale"] = approved
                    changed += 1
            return changed

    def batch(self, batch_request_id: str, seller_id: str | int | None = None) -> dict[str, Any]:
        with self._lock:
            self._settle()
            return self._render_batch(self._seller(seller_id).batches[batch_request_id])

    # ---- asynchronous batch processing -------------------------------------------------------

    def _render_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        done = batch["applied"]
        items = batch["results"] if done else []
        body: dict[str, Any] = {
            "batchRequestId": batch["id"],
            "items": items,
            "creationDate": ms(batch["created"]),
            "lastModification": ms(batch["due"] if done else batch["created"]),
            "sourceType": "API",
            "itemCount": len(batch["items"]),
            "failedItemCount": sum(1 for i in items if i["status"] == "FAILED"),
            "batchRequestType": batch["type"],
        }
        if batch["type"] != "ProductInventoryUpdate":  # §1.4: no batch status for price/stock
            body["status"] = "COMPLETED" if done else "IN_PROGRESS"
        return body

    def _new_batch(self, seller: Seller, kind: str, items: list[Any]) -> str:
        now = self.now()
        batch_id = f"{uuid.UUID(int=self._data_rng.getrandbits(128), version=4)}-{int(now)}"
        seller.batches[batch_id] = {"id": batch_id, "type": kind, "items": items, "created": now,
                                    "due": now + self.batch_delay, "applied": False, "results": []}
        return batch_id

    def _settle(self) -> None:
        """Apply every batch whose processing time has come, in submission order."""
        now = self.now()
        for seller in self._sellers.values():
            pending = [b for b in seller.batches.values() if not b["applied"] and b["due"] <= now]
            for batch in sorted(pending, key=lambda b: b["created"]):
                if batch["type"] == "ProductV2OnBoarding":
                    batch["results"] = [self._apply_product(seller, item, batch["due"]) for item in batch["items"]]
                elif batch["type"] in CONTENT_UPDATE_TYPES:
                    approved = CONTENT_UPDATE_TYPES[batch["type"]]
                    batch["results"] = [self._apply_update(seller, item, batch["due"], approved)
                                        for item in batch["items"]]
                else:
                    batch["results"] = [self._apply_price(seller, item, batch["due"]) for item in batch["items"]]
                batch["applied"] = True

    def _apply_product(self, seller: Seller, item: Any, when: float) -> dict[str, Any]:
        reasons = self._product_failures(seller, item)
        result = {"requestItem": {"product": item}, "status": "FAILED" if reasons else "SUCCESS",
                  "failureReasons": reasons}
        if reasons:
            return result
        stored = copy.deepcopy(item)
        stored.setdefault("currencyType", "TRY")
        stored.setdefault("description", "")
        stored.setdefault("images", [])
        stored.setdefault("attributes", [])
        stored.update({
            "approved": self.auto_approve, "onSale": self.auto_approve, "archived": False, "locked": False,
            "contentId": 100000000 + len(seller.products) + 1,
            "brand": BRANDS_BY_ID[item["brandId"]]["name"], "categoryName": CATEGORIES_BY_ID[item["categoryId"]]["name"],
            "createDateTime": ms(when), "lastUpdateDate": ms(when),
        })
        seller.products[item["barcode"]] = stored
        return result

    def _apply_update(self, seller: Seller, item: Any, when: float, approved: bool) -> dict[str, Any]:
        reasons = self._update_failures(seller, item, approved)
        result = {"requestItem": {"product": item}, "status": "FAILED" if reasons else "SUCCESS",
                  "failureReasons": reasons}
        if reasons:
            return result
        product = seller.products[item["barcode"]]
        product.update({k: copy.deepcopy(v) for k, v in item.items() if k not in NON_CONTENT_FIELDS})
        product.update({
            "brand": BRANDS_BY_ID[item["brandId"]]["name"], "categoryName": CATEGORIES_BY_ID[item["categoryId"]]["name"],
            "lastUpdateDate": max(ms(when), product["lastUpdateDate"] + 1),
        })
        return result

    def _update_failures(self, seller: Seller, item: Any, approved: bool) -> list[str]:
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        barcode = item.get("barcode")
        if not isinstance(barcode, str) or not barcode.strip():
            return ["barcode is required."]
        product = seller.products.get(barcode)
        if product is None:
            return [f"Product with barcode {barcode} was not found."]
        if approved and not product["approved"]:
            return [f"Product {barcode} is not approved yet; send its changes to unapproved-bulk-update."]
        if not approved and product["approved"]:
            return [f"Product {barcode} is already approved; send its content changes to content-bulk-update."]
        reasons = self._product_failures(seller, item, update=True)
        if approved and not reasons:
            reasons = self._locked_attribute_failures(product, item)
        return reasons

    def _apply_price(self, seller: Seller, item: Any, when: float) -> dict[str, Any]:
        reasons = self._price_failures(seller, item, when)
        result = {"requestItem": item, "status": "FAILED" if reasons else "SUCCESS", "failureReasons": reasons}
        if not reasons:
            product = seller.products[item["barcode"]]
            for name in ("quantity", "salePrice", "listPrice"):
                if name in item:
                    product[name] = item[name]
            product["lastUpdateDate"] = ms(when)
            seller.accepted_price_items[self._fingerprint(item)] = when
        return result

    @staticmethod
    def _fingerprint(item: dict[str, Any]) -> str:
        return json.dumps({k: item.get(k) for k in ("barcode", "quantity", "salePrice", "listPrice")}, sort_keys=True)

    def _price_failures(self, seller: Seller, item: Any, when: float) -> list[str]:
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        barcode = item.get("barcode")
        if not isinstance(barcode, str) or not barcode:
            return ["barcode is required."]
        if barcode in self.rejected:
            return [self.rejected[barcode]]
        product = seller.products.get(barcode)
        if product is None:
            return [f"No product with barcode {barcode} was found."]
        if not product["approved"]:
            return [f"Product {barcode} is not approved yet; only approved products can be updated."]
        if not any(name in item for name in ("quantity", "salePrice", "listPrice")):
            return ["Send quantity, salePrice or listPrice."]
        reasons = []
        if "quantity" in item:
            quantity = item["quantity"]
            if not is_int(quantity) or quantity < 0:
                reasons.append("quantity must be a whole number, 0 or more.")
            elif quantity > MAX_STOCK:
                reasons.append(f"quantity must be at most {MAX_STOCK}.")
        prices_ok = True
        for name in ("salePrice", "listPrice"):
            if name in item and (not is_number(item[name]) or item[name] <= 0):
                reasons.append(f"{name} must be a number greater than 0.")
                prices_ok = False
        if prices_ok:
            sale = item.get("salePrice", product["salePrice"])
            listed = item.get("listPrice", product["listPrice"])
            if listed < sale:
                reasons.append("listPrice cannot be lower than salePrice.")
        if not reasons:
            last = seller.accepted_price_items.get(self._fingerprint(item))
            if last is not None and when - last < self.identical_window:
                reasons.append(IDENTICAL_REQUEST_MESSAGE)
        return reasons

    # ---- API handlers (each gets seller, path params, query, JSON body) ----------------------

    @staticmethod
    def _items(body: Any) -> list[Any]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise SandboxError(400, "BadRequestException", "The body must be {\"items\": [...]}.")
        items = body["items"]
        if not items:
            raise SandboxError(400, "BadRequestException", "items must not be empty.")
        if len(items) > MAX_BATCH_ITEMS:
            raise SandboxError(400, "BadRequestException",
                               f"At most {MAX_BATCH_ITEMS} items may be sent in one request ({len(items)} sent).",
                               "items.size.exceeded")
        return items

    def _create_products(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2OnBoarding", self._items(body))}

    def _content_update(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2ContentUpdate", self._items(body))}

    def _unapproved_update(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2UnapprovedUpdate", self._items(body))}

    def _price_inventory(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductInventoryUpdate", self._items(body))}

    def _batch_result(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        batch = seller.batches.get(params["batchRequestId"])
        if batch is None or self.now() - batch["created"] > BATCH_RETENTION_SECONDS:
            raise SandboxError(404, "NotFoundException", "Batch request was not found.")
        return self._render_batch(batch)

    def _filter_products(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = int_param(query, "page", 0), int_param(query, "size", 50)
        if page < 0 or not 1 <= size <= 1000:
            raise SandboxError(400, "BadRequestException", "page must be >= 0 and size between 1 and 1000.")
        products = [p for _, p in sorted(seller.products.items())]
        barcode = (query.get("barcode") or [None])[0]
        if barcode:
            products = [p for p in products if p["barcode"] == barcode]
        approved = (query.get("approved") or [None])[0]
        if approved in ("true", "false"):
            products = [p for p in products if p["approved"] == (approved == "true")]
        return page_of(copy.deepcopy(products), page, size)
