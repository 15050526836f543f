"""The catalogue side of the Trendyol sandbox (mixed into
:class:`~marketplaces.sandbox.trendyol.TrendyolSandbox`): brands, the category tree and a
leaf category's attributes and values (§1.2), and the content rules a product create or
update item must pass (§1.3)."""

from __future__ import annotations

import copy
import re
from typing import Any

from marketplaces.sandbox.trendyol_common import (
    MAX_STOCK,
    SandboxError,
    Seller,
    int_param,
    is_int,
    is_number,
    page_of,
)
from marketplaces.sandbox.trendyol_data import (
    ATTRIBUTES,
    BRANDS,
    BRANDS_BY_ID,
    CATEGORIES_BY_ID,
    CATEGORY_ATTRIBUTES,
    CATEGORY_TREE,
    LEAF_CATEGORY_IDS,
)

BARCODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
VAT_RATES = (0, 1, 10, 20)


class CatalogMixin:
    """Needs ``rejected`` (barcode → reason) and ``strict_attributes`` from the sandbox."""

    rejected: dict[str, str]
    strict_attributes: bool

    # ---- API handlers (each gets seller, path params, query, JSON body) -------------------

    def _brands(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = int_param(query, "page", 0), int_param(query, "size", 1000)
        if size < 1 or size > 1000 or page < 0:
            raise SandboxError(400, "BadRequestException", "page must be >= 0 and size between 1 and 1000.")
        return {"brands": BRANDS[page * size:(page + 1) * size]}

    def _brands_by_name(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        name = (query.get("name") or [""])[0].strip().casefold()
        if not name:
            raise SandboxError(400, "BadRequestException", "name is required.")
        return [b for b in BRANDS if b["name"].casefold() == name]

    def _category_tree(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return {"categories": copy.deepcopy(CATEGORY_TREE)}

    def _leaf(self, params: dict) -> int:
        category_id = int(params["categoryId"])
        if category_id not in CATEGORIES_BY_ID:
            raise SandboxError(404, "NotFoundException", f"Category {category_id} was not found.")
        if category_id not in LEAF_CATEGORY_IDS:
            raise SandboxError(400, "BadRequestException", f"Category {category_id} is not a leaf category.")
        return category_id

    def _category_attributes(self, seller: Seller, params: dict, query: dict, body: Any,
                             with_values: bool = False) -> Any:
        category_id = self._leaf(params)
        required = (query.get("required") or [None])[0]
        out = []
        for attr_id, req, custom, varianter, slicer, multiple in CATEGORY_ATTRIBUTES[category_id]:
            if required in ("true", "false") and req != (required == "true"):
                continue
            name, values = ATTRIBUTES[attr_id]
            entry = {"categoryId": category_id, "attribute": {"id": attr_id, "name": name}, "required": req,
                     "allowCustom": custom, "varianter": varianter, "slicer": slicer,
                     "allowMultipleAttributeValues": multiple}
            if with_values:
                entry["attributeValues"] = [{"id": i, "name": n} for i, n in values.items()]
            out.append(entry)
        node = CATEGORIES_BY_ID[category_id]
        return {"id": category_id, "name": node["name"], "displayName": node["name"], "categoryAttributes": out}

    def _category_attributes_v1(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        return self._category_attributes(seller, params, query, body, with_values=True)

    def _attribute_values(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        category_id = self._leaf(params)
        attr_id = int(params["attributeId"])
        if attr_id not in {a[0] for a in CATEGORY_ATTRIBUTES[category_id]}:
            raise SandboxError(404, "NotFoundException", f"Attribute {attr_id} does not belong to category {category_id}.")
        page, size = int_param(query, "page", 0), int_param(query, "size", 1000)
        if not (0 <= page <= 1000 and 1 <= size <= 1000):
            raise SandboxError(400, "BadRequestException", "page must be 0-1000 and size 1-1000.")
        values = [{"attributeValueId": i, "attributeValueName": n} for i, n in ATTRIBUTES[attr_id][1].items()]
        return page_of(values, page, size)

    # ---- content rules ---------------------------------------------------------------------

    def _product_failures(self, seller: Seller, item: Any, *, update: bool = False) -> list[str]:
        """Why a create item (or, with ``update``, the content of an update item) is refused."""
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        reasons: list[str] = [self.rejected[item["barcode"]]] if item.get("barcode") in self.rejected else []
        for name in ("barcode", "title", "productMainId", "stockCode"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                reasons.append(f"{name} is required.")
        barcode = item.get("barcode")
        if isinstance(barcode, str) and barcode.strip():
            if not BARCODE_RE.match(barcode):
                reasons.append("barcode may contain only letters, digits and '.', '-', '_' (at most 40).")
            elif barcode in seller.products and not update:
                reasons.append(f"A product with barcode {barcode} already exists.")
        if isinstance(item.get("title"), str) and len(item["title"]) > 100:
            reasons.append("title must be at most 100 characters.")
        brand_id = item.get("brandId")
        if brand_id is None:
            reasons.append("brandId is required.")
        elif brand_id not in BRANDS_BY_ID:
            reasons.append(f"Brand {brand_id} was not found.")
        category_id = item.get("categoryId")
        if category_id is None:
            reasons.append("categoryId is required.")
        elif category_id not in CATEGORIES_BY_ID:
            reasons.append(f"Category {category_id} was not found.")
        elif category_id not in LEAF_CATEGORY_IDS:
            reasons.append(f"Category {category_id} is not a leaf category.")
        if not update:  # a content update ignores quantity, prices and currency (§1.5 owns them)
            reasons.extend(self._quantity_price_failures(item))
        vat = item.get("vatRate")
        if vat is None:
            reasons.append("vatRate is required.")
        elif vat not in VAT_RATES:
            reasons.append("vatRate must be one of 0, 1, 10, 20.")
        if not update and item.get("currencyType", "TRY") != "TRY":
            reasons.append("currencyType must be TRY.")
        delivery = item.get("deliveryOption")
        if isinstance(delivery, dict) and delivery.get("fastDeliveryType") and delivery.get("deliveryDuration") != 1:
            reasons.append("fastDeliveryType can be set only when deliveryDuration is 1.")
        if category_id in LEAF_CATEGORY_IDS:
            reasons.extend(self._attribute_failures(category_id, item.get("attributes") or []))
        return reasons

    @staticmethod
    def _quantity_price_failures(item: dict[str, Any]) -> list[str]:
        reasons: list[str] = []
        quantity = item.get("quantity")
        if quantity is None:
            reasons.append("quantity is required.")
        elif not is_int(quantity) or quantity < 0:
            reasons.append("quantity must be a whole number, 0 or more.")
        elif quantity > MAX_STOCK:
            reasons.append(f"quantity must be at most {MAX_STOCK}.")
        prices_ok = True
        for name in ("listPrice", "salePrice"):
            value = item.get(name)
            if value is None:
                reasons.append(f"{name} is required.")
                prices_ok = False
            elif not is_number(value) or value <= 0:
                reasons.append(f"{name} must be a number greater than 0.")
                prices_ok = False
        if prices_ok and item["listPrice"] < item["salePrice"]:
            reasons.append("listPrice cannot be lower than salePrice.")
        return reasons

    def _attribute_failures(self, category_id: int, attributes: Any) -> list[str]:
        if not isinstance(attributes, list):
            return ["attributes must be a list."]
        definitions = {a[0]: a for a in CATEGORY_ATTRIBUTES[category_id]}
        reasons: list[str] = []
        seen: set[int] = set()
        for attr in attributes:
            attr_id = attr.get("attributeId") if isinstance(attr, dict) else None
            if attr_id not in definitions:
                reasons.append(f"Attribute {attr_id} does not belong to category {category_id}.")
                continue
            seen.add(attr_id)
            _id, _required, allow_custom, _varianter, _slicer, allow_multiple = definitions[attr_id]
            name, values = ATTRIBUTES[attr_id]
            value_ids = attr.get("attributeValueIds")
            if value_ids is None and "attributeValueId" in attr:
                value_ids = [attr["attributeValueId"]]
            if value_ids is not None:
                if not isinstance(value_ids, list) or not value_ids:
                    reasons.append(f"attributeValueIds of {name} must be a non-empty list.")
                elif len(value_ids) > 1 and not allow_multiple:
                    reasons.append(f"{name} accepts a single value.")
                else:
                    reasons.extend(f"Value {v} is not valid for {name}." for v in value_ids if v not in values)
            elif attr.get("attributeValue") not in (None, ""):
                if not allow_custom:
                    reasons.append(f"{name} does not accept a custom value.")
            else:
                reasons.append(f"A value is required for {name}.")
        if self.strict_attributes:
            for attr_id, required, *_rest in definitions.values():
                if required and attr_id not in seen:
                    reasons.append(f"Required attribute {ATTRIBUTES[attr_id][0]} ({attr_id}) is missing.")
        return reasons

    @staticmethod
    def _locked_attribute_failures(product: dict[str, Any], item: dict[str, Any]) -> list[str]:
        """§1.3: the varianter and slicer attributes of an approved product cannot change."""
        def values(attributes: list[Any]) -> dict[Any, Any]:
            out = {}
            for attr in attributes or []:
                ids = attr.get("attributeValueIds")
                if ids is None and "attributeValueId" in attr:
                    ids = [attr["attributeValueId"]]
                out[attr.get("attributeId")] = sorted(ids) if ids is not None else attr.get("attributeValue")
            return out

        before, after = values(product.get("attributes")), values(item.get("attributes"))
        return [f"{ATTRIBUTES[attr_id][0]} cannot change after approval (varianter/slicer attribute)."
                for attr_id, _req, _custom, varianter, slicer, _multi in CATEGORY_ATTRIBUTES[product["categoryId"]]
                if (varianter or slicer) and before.get(attr_id) != after.get(attr_id)]
