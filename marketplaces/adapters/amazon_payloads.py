"""What the Amazon adapter sends for listings (Listings Items API 2021-08-01 attributes and
patches, JSON_LISTINGS_FEED messages), the checks made before anything is sent, and the
reading of Amazon's answers (item issues, feed processing reports)."""

from __future__ import annotations

import gzip
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.adapters.base import ITEM_FAILED, ITEM_SUCCESS, ItemResult, ListingItem, StockPriceItem

MAX_SKU_LENGTH = 40
MAX_TITLE_LENGTH = 200
MAX_FEED_MESSAGES = 25_000
MAX_QUANTITY = 999_999
OFFER_ATTRIBUTES = ("fulfillment_availability", "purchasable_offer", "list_price")
#: the product type Amazon takes for offer-only patches (price, quantity) of any listing
OFFER_PRODUCT_TYPE = "PRODUCT"
CENT = Decimal("0.01")


def money(value: Decimal | float | int) -> float:
    return float(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def gtin_type(gtin: str) -> str | None:
    """"ean", "upc" or "gtin" for a well-formed code with a correct check digit, else None."""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        return None
    digits = [int(d) for d in gtin]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        return None
    return {8: "ean", 12: "upc", 13: "ean", 14: "gtin"}[len(gtin)]


def _key_problems(sku: str) -> list[str]:
    if not sku:
        return [_("The SKU is empty.")]
    if len(sku) > MAX_SKU_LENGTH:
        return [_("Amazon SKUs have at most %(max)d characters.") % {"max": MAX_SKU_LENGTH}]
    return []


def _offer_problems(quantity: int | None, sale: Any, list_price: Any) -> list[str]:
    problems = []
    if quantity is not None and not 0 <= int(quantity) <= MAX_QUANTITY:
        problems.append(_("The quantity must be between 0 and %(max)d.") % {"max": MAX_QUANTITY})
    if sale is not None and Decimal(str(sale)) <= 0:
        problems.append(_("The price must be above zero: Amazon would sell the item for nothing."))
    if sale is not None and list_price is not None and Decimal(str(list_price)) < Decimal(str(sale)):
        problems.append(_("The list price must not be below the sale price."))
    return problems


def listing_problems(item: ListingItem, product_type: str) -> list[str]:
    """Why a listing must not be sent (empty: it may)."""
    problems = _key_problems(item.barcode)
    if not product_type:
        problems.append(_("The category is not mapped to an Amazon product type."))
    if not item.title.strip():
        problems.append(_("The title is empty."))
    elif len(item.title) > MAX_TITLE_LENGTH:
        problems.append(_("Amazon titles have at most %(max)d characters.") % {"max": MAX_TITLE_LENGTH})
    if item.gtin and gtin_type(item.gtin) is None:
        problems.append(_("The barcode %(gtin)s is not a valid EAN/UPC/GTIN (check digit).") % {"gtin": item.gtin})
    return problems + _offer_problems(item.quantity, item.sale_price, item.list_price)


def stock_price_problems(item: StockPriceItem) -> list[str]:
    return _key_problems(item.barcode) + _offer_problems(item.quantity, item.sale_price, item.list_price)


class Shape:
    """Attribute values of one marketplace (id, currency, language)."""

    def __init__(self, marketplace_id: str, currency: str, language: str) -> None:
        self.marketplace_id, self.currency, self.language = marketplace_id, currency, language

    def text(self, value: Any) -> list[dict[str, Any]]:
        return [{"value": value, "language_tag": self.language, "marketplace_id": self.marketplace_id}]

    def plain(self, value: Any) -> list[dict[str, Any]]:
        return [{"value": value, "marketplace_id": self.marketplace_id}]

    def offer(self, quantity: int | None, sale: Any, list_price: Any) -> dict[str, list[dict[str, Any]]]:
        """The offer attributes of the values given (None: not sent)."""
        out: dict[str, list[dict[str, Any]]] = {}
        if quantity is not None:
            out["fulfillment_availability"] = [{"fulfillment_channel_code": "DEFAULT", "quantity": int(quantity)}]
        if sale is not None:
            out["purchasable_offer"] = [{"marketplace_id": self.marketplace_id, "currency": self.currency,
                                         "our_price": [{"schedule": [{"value_with_tax": money(sale)}]}]}]  # fmt: skip
        if list_price is not None and sale is not None and Decimal(str(list_price)) > Decimal(str(sale)):
            out["list_price"] = [{"marketplace_id": self.marketplace_id, "currency": self.currency,
                                  "value_with_tax": money(list_price)}]  # fmt: skip
        return out

    def content(self, item: ListingItem, *, brand: str, condition: str) -> dict[str, list[dict[str, Any]]]:
        """Everything but the offer: title, brand, identifiers, images, mapped attributes."""
        attributes: dict[str, list[dict[str, Any]]] = {
            "item_name": self.text(item.title),
            "brand": self.text(brand),
            "condition_type": self.plain(condition),
        }
        if item.description:
            attributes["product_description"] = self.text(item.description[:2000])
        kind = gtin_type(item.gtin) if item.gtin else None
        if kind:
            attributes["externally_assigned_product_identifier"] = [
                {"type": kind, "value": item.gtin, "marketplace_id": self.marketplace_id}]
        else:
            attributes["supplier_declared_has_product_identifier_exemption"] = self.plain(True)
        for index, url in enumerate(item.images[:9]):
            name = "main_product_image_locator" if index == 0 else f"other_product_image_locator_{index}"
            attributes[name] = [{"media_location": url, "marketplace_id": self.marketplace_id}]
        if item.weight_grams:
            attributes["item_package_weight"] = [{"value": round(item.weight_grams / 1000, 3), "unit": "kilograms",
                                                  "marketplace_id": self.marketplace_id}]  # fmt: skip
        for entry in item.attributes:
            name, value = str(entry.get("name") or ""), entry.get("value")
            if not name:
                continue
            if isinstance(value, list):  # given in Amazon's own shape already
                attributes[name] = value
            elif isinstance(value, bool | int | float):
                attributes[name] = self.plain(value)
            else:
                attributes[name] = self.text(str(value))
        return attributes


def replace_patches(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in sorted(attributes.items())]  # fmt: skip


def feed_document(seller_id: str, locale: str, messages: list[dict[str, Any]]) -> bytes:
    """A JSON_LISTINGS_FEED document (messages numbered from 1 in order)."""
    if len(messages) > MAX_FEED_MESSAGES:
        raise ValueError(f"a JSON_LISTINGS_FEED holds at most {MAX_FEED_MESSAGES} messages")
    numbered = [{"messageId": index, **message} for index, message in enumerate(messages, start=1)]
    body = {"header": {"sellerId": seller_id, "version": "2.0", "issueLocale": locale}, "messages": numbered}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def issue_text(issue: dict[str, Any]) -> str:
    text = str(issue.get("message") or issue.get("code") or "")
    names = issue.get("attributeNames") or ([issue["attributeName"]] if issue.get("attributeName") else [])
    if names:
        text += f" [{', '.join(str(n) for n in names)}]"
    return text


def item_result(key: str, body: Any) -> ItemResult:
    """A putListingsItem / patchListingsItem answer: ACCEPTED (or VALID) without ERROR
    issues is a success; the ERROR issues are the reasons of a refusal."""
    body = body if isinstance(body, dict) else {}
    errors = [issue_text(i) for i in body.get("issues") or [] if str(i.get("severity")).upper() == "ERROR"]
    ok = str(body.get("status")).upper() in ("ACCEPTED", "VALID") and not errors
    if not ok and not errors:
        errors = [_("Amazon answered %(status)s without a reason.") % {"status": body.get("status")}]
    return ItemResult(key, ITEM_SUCCESS if ok else ITEM_FAILED, [] if ok else errors, body)


def read_report(content: bytes, compression: str | None) -> dict[str, Any]:
    if (compression or "").upper() == "GZIP":
        content = gzip.decompress(content)
    try:
        report = json.loads(content or b"{}")
    except ValueError:
        return {"issues": [{"severity": "ERROR", "message": content[:500].decode(errors="replace")}]}
    return report if isinstance(report, dict) else {}


def report_results(keys: list[str], report: dict[str, Any], *, fatal: str = "") -> list[ItemResult]:
    """Per-item results of a processing report: issues are matched to items by SKU, else by
    messageId (the item's position, from 1, in the feed); an item with an ERROR issue
    failed, the others succeeded. A feed that failed as a whole (`fatal`) fails every item
    that has no own reason."""
    position = dict(enumerate(keys, start=1))
    wanted = set(keys)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    for issue in report.get("issues") or []:
        if str(issue.get("severity") or "").upper() != "ERROR":
            continue
        key = str(issue.get("sku") or "")
        if key not in wanted:
            try:
                key = position.get(int(issue.get("messageId")), "")
            except (TypeError, ValueError):
                key = ""
        if key:
            errors.setdefault(key, []).append(issue_text(issue))
        else:
            general.append(issue_text(issue))
    results = []
    for key in keys:
        reasons = errors.get(key) or ([*general, fatal] if fatal else [])
        reasons = [r for r in reasons if r]
        results.append(ItemResult(key, ITEM_FAILED if reasons or fatal else ITEM_SUCCESS, reasons,
                                  {"report": report.get("summary")}))  # fmt: skip
    return results
