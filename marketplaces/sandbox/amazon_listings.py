"""Listings of the Amazon sandbox: the Listings Items API (put, patch, get, delete, search)
and JSON_LISTINGS_FEED processing, with the same validation for both; a mixin of
:class:`marketplaces.sandbox.amazon.AmazonSandbox`."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplaces.adapters.amazon_payloads import MAX_FEED_MESSAGES, MAX_QUANTITY, gtin_type
from marketplaces.sandbox.amazon_data import COMMON_REQUIRED, OFFER_ONLY_TYPES, PRODUCT_TYPES
from marketplaces.sandbox.base import SandboxError

OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
PATCH_OPS = ("add", "replace", "merge", "delete")


def issue(code: str, message: str, attribute: str = "", severity: str = "ERROR") -> dict[str, Any]:
    found: dict[str, Any] = {"code": code, "message": message, "severity": severity}
    if attribute:
        found["attributeNames"] = [attribute]
    return found


def invalid_input(message: str) -> SandboxError:
    return SandboxError(400, {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]})


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class ListingsMixin:
    """Listing state and rules (needs ``_lock``, ``_listings``, ``_rejections``,
    ``marketplace_ids``, ``now()``)."""

    _listings: dict[str, dict[str, Any]]
    _rejections: dict[str, str]
    marketplace_ids: tuple[str, ...]

    now: Any  # SandboxServer's clock

    # ---- rules ----------------------------------------------------------------------------

    def _offer_issues(self, attributes: dict[str, Any], marketplace_id: str, currency: str) -> list[dict]:
        issues = []
        for entry in attributes.get("fulfillment_availability") or []:
            quantity = entry.get("quantity") if isinstance(entry, dict) else None
            if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
                issues.append(issue("4000003", "'quantity' must be a whole number from 0 to 999999.",
                                    "fulfillment_availability"))  # fmt: skip
            if isinstance(entry, dict) and entry.get("fulfillment_channel_code") != "DEFAULT":
                issues.append(issue("4000003", "'fulfillment_channel_code' must be DEFAULT for seller-fulfilled "
                                    "offers.", "fulfillment_availability"))  # fmt: skip
        for name in ("purchasable_offer", "list_price"):
            for entry in attributes.get(name) or []:
                if not isinstance(entry, dict):
                    issues.append(issue("4000003", f"'{name}' entries must be objects.", name))
                    continue
                if entry.get("marketplace_id") not in (None, marketplace_id):
                    issues.append(issue("4000003", f"'{name}' is for marketplace {entry.get('marketplace_id')}, "
                                        f"not {marketplace_id}.", name))  # fmt: skip
                if entry.get("currency") != currency:
                    issues.append(issue("4000003", f"'{name}' currency must be {currency}.", name))
                prices = [entry.get("value_with_tax")] if name == "list_price" else [
                    s.get("value_with_tax") for p in entry.get("our_price") or [] for s in p.get("schedule") or []]
                if not prices:
                    issues.append(issue("90220", f"'{name}' needs a price.", name))
                for price in prices:
                    number = _number(price)
                    if number is None or number <= 0:
                        issues.append(issue("4000003", f"The price in '{name}' must be a number above 0.", name))
        return issues

    def _listing_issues(self, sku: str, product_type: str, requirements: str, attributes: Any,
                        marketplace_id: str, currency: str) -> list[dict]:  # fmt: skip
        if sku in self._rejections:
            return [issue("90000900", self._rejections[sku])]
        if product_type not in PRODUCT_TYPES:
            return [issue("INVALID_PRODUCT_TYPE", f"The product type '{product_type}' is not valid in "
                          f"{marketplace_id}.")]  # fmt: skip
        if not isinstance(attributes, dict):
            return [issue("4000001", "'attributes' must be an object.")]
        issues = []
        offer_only = requirements == "LISTING_OFFER_ONLY"
        if product_type in OFFER_ONLY_TYPES and not offer_only:
            return [issue("INVALID_PRODUCT_TYPE", f"'{product_type}' lists offers only (LISTING_OFFER_ONLY).")]
        required = [] if offer_only else [*COMMON_REQUIRED, *PRODUCT_TYPES[product_type]["required"]]
        for name in required:
            if not attributes.get(name):
                issues.append(issue("90220", f"'{name}' is required but not supplied.", name))
        for name, value in attributes.items():
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                issues.append(issue("4000001", f"'{name}' must be a list of objects.", name))
        if issues:
            return issues
        if not offer_only:
            identifiers = attributes.get("externally_assigned_product_identifier") or []
            exemption = attributes.get("supplier_declared_has_product_identifier_exemption") or []
            if not identifiers and not any(e.get("value") is True for e in exemption):
                issues.append(issue("90220", "'externally_assigned_product_identifier' is required but not "
                                    "supplied (or declare the identifier exemption).",
                                    "externally_assigned_product_identifier"))  # fmt: skip
            for entry in identifiers:
                if gtin_type(str(entry.get("value") or "")) != entry.get("type"):
                    issues.append(issue("8541", f"The {entry.get('type')} '{entry.get('value')}' is not valid.",
                                        "externally_assigned_product_identifier"))  # fmt: skip
            for name in ("item_name", "brand"):
                for entry in attributes.get(name) or []:
                    if entry.get("marketplace_id") not in (None, marketplace_id):
                        issues.append(issue("4000003", f"'{name}' is for another marketplace.", name))
                    if name == "item_name" and len(str(entry.get("value") or "")) > 200:
                        issues.append(issue("4000003", "'item_name' has more than 200 characters.", name))
            enums = PRODUCT_TYPES[product_type]["enums"]
            for name, allowed in enums.items():
                for entry in attributes.get(name) or []:
                    if entry.get("value") not in allowed:
                        issues.append(issue("4000003", f"'{entry.get('value')}' is not a valid '{name}'.", name))
        return issues + self._offer_issues(attributes, marketplace_id, currency)

    def _patch(self, sku: str, product_type: Any, patches: Any, marketplace_id: str,
               currency: str) -> tuple[dict[str, Any] | None, list[dict]]:  # fmt: skip
        """The listing's attributes after the patches, or None and the issues."""
        if sku in self._rejections:
            return None, [issue("90000900", self._rejections[sku])]
        if product_type not in PRODUCT_TYPES:
            return None, [issue("INVALID_PRODUCT_TYPE", f"The product type '{product_type}' is not valid.")]
        current = self._listings.get(sku)
        if current is None:
            return None, [issue("NOT_FOUND", f"The SKU '{sku}' has no listing in {marketplace_id}; create it first.")]
        attributes = json.loads(json.dumps(current["attributes"]))
        for patch in patches:
            name = str(patch.get("path") or "").removeprefix("/attributes/")
            if patch.get("op") == "delete":
                attributes.pop(name, None)
            else:
                attributes[name] = patch.get("value")
        issues = self._offer_issues(attributes, marketplace_id, currency)
        for name, value in attributes.items():
            if not isinstance(value, list):
                issues.append(issue("4000001", f"'{name}' must be a list of objects.", name))
        return (None, issues) if issues else (attributes, [])

    @staticmethod
    def _check_patches(patches: Any) -> str:
        if not isinstance(patches, list) or not patches:
            return "'patches' must be a non-empty list."
        for patch in patches:
            if not isinstance(patch, dict) or patch.get("op") not in PATCH_OPS:
                return f"Each patch needs 'op' (one of {', '.join(PATCH_OPS)})."
            if not str(patch.get("path") or "").startswith("/attributes/") or len(str(patch["path"])) <= 12:
                return "Each patch needs a 'path' of the form /attributes/<name>."
            if patch["op"] != "delete" and "value" not in patch:
                return "Each add/replace/merge patch needs a 'value'."
        return ""

    def _store(self, sku: str, product_type: str, attributes: dict[str, Any]) -> None:
        stamp = datetime.fromtimestamp(self.now(), tz=UTC).isoformat().replace("+00:00", "Z")
        current = self._listings.get(sku)
        self._listings[sku] = {"sku": sku, "productType": product_type, "attributes": attributes,
                               "createdDate": current["createdDate"] if current else stamp,
                               "lastUpdatedDate": stamp}  # fmt: skip

    # ---- feeds ----------------------------------------------------------------------------

    def _process_feed(self, seller_id: str, content: bytes, marketplace_id: str, currency: str) -> dict[str, Any]:
        """Apply a JSON_LISTINGS_FEED document; its processing report (``fatal`` set when
        the feed as a whole was refused)."""
        issues: list[dict[str, Any]] = []
        try:
            document = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            return {"fatal": True, "issues": [issue("4000001", "The feed document is not JSON.")]}
        header = document.get("header") if isinstance(document, dict) else None
        messages = document.get("messages") if isinstance(document, dict) else None
        if not isinstance(header, dict) or header.get("sellerId") != seller_id or header.get("version") != "2.0":
            return {"fatal": True, "issues": [issue("4000001", "The header needs this seller's sellerId and "
                                                    "version 2.0.")]}  # fmt: skip
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_FEED_MESSAGES:
            return {"fatal": True, "issues": [issue("4000001", f"A feed holds 1 to {MAX_FEED_MESSAGES} messages.")]}
        accepted = invalid = 0
        for message in messages:
            found = self._apply_message(message, marketplace_id, currency)
            for item in found:
                issues.append({"messageId": message.get("messageId") if isinstance(message, dict) else None,
                               "sku": message.get("sku") if isinstance(message, dict) else None, **item})
            if any(i["severity"] == "ERROR" for i in found):
                invalid += 1
            else:
                accepted += 1
        return {"issues": issues, "summary": {"errors": sum(1 for i in issues if i["severity"] == "ERROR"),
                                              "warnings": sum(1 for i in issues if i["severity"] == "WARNING"),
                                              "messagesProcessed": len(messages), "messagesAccepted": accepted,
                                              "messagesInvalid": invalid}}  # fmt: skip

    def _apply_message(self, message: Any, marketplace_id: str, currency: str) -> list[dict]:
        if not isinstance(message, dict) or not isinstance(message.get("messageId"), int):
            return [issue("4000001", "Each message needs an integer messageId.")]
        sku, operation = str(message.get("sku") or ""), message.get("operationType")
        if not sku or operation not in OPERATIONS:
            return [issue("4000001", f"Each message needs a sku and an operationType ({', '.join(OPERATIONS)}).")]
        product_type = str(message.get("productType") or "")
        if operation == "DELETE":
            self._listings.pop(sku, None)
            return []
        if operation == "PATCH":
            problem = self._check_patches(message.get("patches"))
            if problem:
                return [issue("4000001", problem)]
            attributes, found = self._patch(sku, product_type, message["patches"], marketplace_id, currency)
            if attributes is not None:
                self._store(sku, self._listings[sku]["productType"], attributes)
            return found
        attributes = message.get("attributes")
        if operation == "PARTIAL_UPDATE" and isinstance(attributes, dict) and sku in self._listings:
            attributes = {**self._listings[sku]["attributes"], **attributes}
        found = self._listing_issues(sku, product_type, str(message.get("requirements") or "LISTING"),
                                     attributes, marketplace_id, currency)  # fmt: skip
        if not any(i["severity"] == "ERROR" for i in found):
            self._store(sku, product_type, attributes)
        return found

    @staticmethod
    def _report_bytes(report: dict[str, Any], feed_id: str, seller_id: str, compress: bool) -> bytes:
        body = {"header": {"sellerId": seller_id, "version": "2.0", "feedId": feed_id},
                "issues": report.get("issues") or [], "summary": report.get("summary") or {}}  # fmt: skip
        raw = json.dumps(body, ensure_ascii=False).encode()
        return gzip.compress(raw) if compress else raw

    @staticmethod
    def submission_id() -> str:
        return uuid.uuid4().hex
