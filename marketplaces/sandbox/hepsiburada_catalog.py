"""The catalog side (``mpop…/product``) of the Hepsiburada sandbox: product import by file,
import status by tracking id, categories and attributes. Answers are wrapped in
``{success, code, message, data}`` and failures come inside a 200 where the catalog does
so (a branch category's attributes: ``code`` 1003). See :mod:`marketplaces.sandbox.hepsiburada`."""

from __future__ import annotations

import json
import re
import uuid
import zlib
from collections import Counter
from typing import Any

from marketplaces.sandbox.base import SandboxError
from marketplaces.sandbox.hepsiburada_data import (
    BASE_ATTRIBUTES,
    CATEGORIES,
    CATEGORIES_BY_ID,
    CATEGORY_ATTRIBUTES,
    LEAF_IDS,
    VAT_VALUES,
    attribute_groups,
    attribute_values,
)

MAX_IMPORT_ITEMS = 1000
PRICE_RE = re.compile(r"^\d+(,\d{1,2})?$")


def ok(data: Any, **page: Any) -> dict[str, Any]:
    return {"success": True, "code": 0, "version": 1, "message": "", "data": data, **page}


def refused(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "code": code, "version": 1, "message": message, "data": None}


def multipart_file(headers: Any, raw: bytes, field: str = "file") -> bytes | None:
    """The content of one form field of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', headers.get("Content-Type") or "")
    if not match or not raw:
        return None
    for part in raw.split(b"--" + match.group(1).encode()):
        head, sep, content = part.partition(b"\r\n\r\n")
        if sep and re.search(rb'name="' + field.encode() + rb'"', head):
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


def _page(query: dict[str, list[str]], default: int, maximum: int) -> tuple[int, int]:
    try:
        page = int((query.get("page") or ["0"])[0])
        size = int((query.get("size") or [str(default)])[0])
    except ValueError as exc:
        raise SandboxError(400, refused(400, "page and size must be whole numbers.")) from exc
    if page < 0 or not 1 <= size <= maximum:
        raise SandboxError(400, refused(400, f"size must be from 1 to {maximum}."))
    return page, size


def _paged(rows: list[Any], page: int, size: int) -> dict[str, Any]:
    chunk = rows[page * size:(page + 1) * size]
    pages = -(-len(rows) // size)
    return ok(chunk, totalElements=len(rows), totalPages=pages, number=page, numberOfElements=len(chunk),
              first=page == 0, last=page >= pages - 1)  # fmt: skip


class CatalogMixin:
    """Needs ``now()``, ``_lock``, ``merchant_id``, ``batch_delay``, ``rejections``, ``listings``,
    ``fulfilled`` and ``add_listing`` from the sandbox."""

    def reset_catalog(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.imports: dict[str, dict[str, Any]] = {}
        self.import_counts: Counter = Counter()

    def handle_catalog(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
                       raw: bytes) -> tuple[int, Any]:  # fmt: skip
        if path == "/api/products/import" and method == "POST":
            return self._import(headers, raw)
        if path.startswith("/api/products/status/") and method == "GET":
            return self._import_status(path.rsplit("/", 1)[1], query)
        if path == "/api/categories/get-all-categories" and method == "GET":
            page, size = _page(query, 20, 2000)
            rows = [{"categoryId": cid, "name": name, "displayName": name, "parentCategoryId": parent,
                     "leaf": leaf, "status": "ACTIVE", "available": True, "type": "HB",
                     "paths": self._category_path(cid)} for cid, name, parent, leaf in CATEGORIES]  # fmt: skip
            if (query.get("leaf") or [""])[0] == "true":
                rows = [r for r in rows if r["leaf"]]
            return 200, _paged(rows, page, size)
        match = re.fullmatch(r"/api/categories/(\d+)/attributes", path)
        if match and method == "GET":
            category_id = int(match.group(1))
            if category_id not in CATEGORIES_BY_ID:
                return 200, refused(1002, "Category not found.")
            if category_id not in LEAF_IDS:
                return 200, refused(1003, "Attributes exist only for leaf categories.")
            return 200, ok(attribute_groups(category_id))
        match = re.fullmatch(r"/api/categories/(\d+)/attribute/([^/]+)/values", path)
        if match and method == "GET":
            values = attribute_values(int(match.group(1)), match.group(2))
            if values is None:
                return 200, refused(1004, "No such enum attribute in this category.")
            page, size = _page(query, 1000, 1000)
            return 200, _paged(values, page, size)
        raise SandboxError(404, refused(404, f"No service at {path}."))

    @staticmethod
    def _category_path(category_id: int) -> list[str]:
        names = []
        current: int | None = category_id
        while current is not None:
            row = CATEGORIES_BY_ID[current]
            names.insert(0, row[1])
            current = row[2]
        return names

    def _import(self, headers: Any, raw: bytes) -> tuple[int, Any]:
        content = multipart_file(headers, raw)
        if content is None:
            raise SandboxError(400, refused(400, "Send the products as a multipart 'file' field."))
        try:
            items = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SandboxError(400, refused(400, "The file is not a JSON document.")) from exc
        if not isinstance(items, list) or not items or len(items) > MAX_IMPORT_ITEMS:
            raise SandboxError(400, refused(400, f"The file must list 1 to {MAX_IMPORT_ITEMS} products."))
        tracking_id = str(uuid.uuid4())
        with self._lock:
            for item in items:
                sku = str(((item or {}).get("attributes") or {}).get("merchantSku") or "") if isinstance(item, dict) else ""
                self.import_counts[sku] += 1
            self.imports[tracking_id] = {"items": items, "due": self.now() + self.batch_delay, "results": None}
        return 200, ok({"trackingId": tracking_id})

    def _import_status(self, tracking_id: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        page, size = _page(query, 20, 1000)
        with self._lock:
            record = self.imports.get(tracking_id)
            if record is None:
                return 200, refused(1005, f"Tracking id {tracking_id} not found.")
            if record["results"] is None and self.now() >= record["due"]:
                record["results"] = [self._process(n, item) for n, item in enumerate(record["items"], 1)]
            rows = record["results"] or [
                {"itemOrderID": n, "merchantSku": str(((i or {}).get("attributes") or {}).get("merchantSku") or ""),
                 "importStatus": "PROCESSING", "importMessages": []} for n, i in enumerate(record["items"], 1)]
        return 200, _paged(rows, page, size)

    def _problems(self, item: Any) -> tuple[list[dict[str, str]], list[str]]:
        """(validation results, other error messages) of one import item."""
        if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
            return [], ["Each product needs categoryId, merchant and attributes."]
        attributes, validations, messages = item["attributes"], [], []
        if str(item.get("merchant")) != self.merchant_id:
            messages.append("merchant must be your merchant id.")
        category_id = item.get("categoryId")
        if category_id not in LEAF_IDS:
            messages.append("Kategori bulunamadı veya yaprak kategori değil.")
        for attribute in BASE_ATTRIBUTES:
            value = attributes.get(attribute["id"])
            if attribute["mandatory"] and (value is None or value == ""):
                validations.append({"attributeName": attribute["id"], "message": "Zorunlu alan boş olamaz."})
        price = attributes.get("price")
        if price not in (None, "") and not (isinstance(price, str) and PRICE_RE.match(price)):
            validations.append({"attributeName": "price", "message": "Fiyat 130,50 biçiminde bir metin olmalıdır."})
        if attributes.get("tax_vat_rate") not in (None, "") and str(attributes["tax_vat_rate"]) not in VAT_VALUES:
            validations.append({"attributeName": "tax_vat_rate", "message": "KDV 0, 1, 10 veya 20 olmalıdır."})
        for attribute in CATEGORY_ATTRIBUTES.get(category_id, []) if category_id in LEAF_IDS else []:
            value = attributes.get(attribute["id"])
            allowed = {*attribute["values"], *(f"{attribute['id']}-{i}" for i in range(1, len(attribute["values"]) + 1))}
            if value in (None, ""):
                if attribute["mandatory"]:
                    validations.append({"attributeName": attribute["id"], "message": "Zorunlu alan boş olamaz."})
            elif str(value) not in allowed:
                validations.append({"attributeName": attribute["id"], "message": f"Geçersiz değer: {value}"})
        sku = str(attributes.get("merchantSku") or "")
        if sku in self.rejections:
            messages.append(self.rejections[sku])
        return validations, messages

    def _process(self, number: int, item: Any) -> dict[str, Any]:
        validations, messages = self._problems(item)
        attributes = item.get("attributes") if isinstance(item, dict) and isinstance(item.get("attributes"), dict) else {}
        sku = str(attributes.get("merchantSku") or "")
        row = {"itemOrderID": number, "merchant": self.merchant_id, "merchantSku": sku,
               "barcode": str(attributes.get("Barcode") or ""), "productName": str(attributes.get("UrunAdi") or ""),
               "categoryId": item.get("categoryId") if isinstance(item, dict) else None,
               "variantGroupId": str(attributes.get("VaryantGroupID") or ""), "validationResults": validations}
        if validations or messages:
            return {**row, "importStatus": "FAILED", "productStatus": "REJECTED",
                    "importMessages": [{"severity": "ERROR", "message": m} for m in messages]}  # fmt: skip
        hb_sku = f"HBV{zlib.crc32(sku.encode()):010d}"
        self.products[sku] = {**item, "hbSku": hb_sku}
        if sku not in self.listings:
            listing = self.add_listing(sku, price=float(str(attributes["price"]).replace(",", ".")),
                                       stock=int(str(attributes.get("stock") or 0)), fulfilled=sku in self.fulfilled)
            listing["productName"] = row["productName"]
        return {**row, "hbSku": hb_sku, "importStatus": "SUCCESS", "productStatus": "MATCHED",
                "importMessages": [{"severity": "INFORMATION", "message": "Ürün başarıyla oluşturuldu."}]}
