"""Feeds and documents of the Amazon sandbox: createFeedDocument with its presigned upload
URL (Amazon's S3, five minutes, the Content-Type it was made for), createFeed
(JSON_LISTINGS_FEED only, 5 submissions per 5 minutes), getFeed (processed ``batch_delay``
seconds after creation), getFeedDocument and the presigned download of the processing
report (GZIP unless ``gzip_reports`` is off); a mixin of
:class:`marketplaces.sandbox.amazon.AmazonSandbox`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from marketplaces.adapters.amazon_api import MARKETPLACES
from marketplaces.sandbox.amazon_listings import invalid_input
from marketplaces.sandbox.amazon_orders import stamp
from marketplaces.sandbox.base import Answer, SandboxError

DOCUMENT_TTL = 300
S3_DENIED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
             '</Error>')  # fmt: skip


def errors(code: str, message: str, details: str = "") -> dict[str, Any]:
    """SP-API's error body."""
    return {"errors": [{"code": code, "message": message, "details": details}]}


class FeedsMixin:
    """Needs ``_documents``, ``_feeds``, ``_signing_key``, ``seller_id``, ``marketplace_ids``,
    ``batch_delay``, ``gzip_reports``, ``root_url``, ``_lock``, ``now()``, ``_take_token``,
    ``_process_feed`` and ``_report_bytes``."""

    _documents: dict[str, dict[str, Any]]
    _feeds: dict[str, dict[str, Any]]
    _signing_key: bytes
    seller_id: str
    marketplace_ids: tuple[str, ...]
    batch_delay: float
    gzip_reports: bool
    root_url: str
    _lock: Any
    now: Any
    _take_token: Any
    _process_feed: Any
    _report_bytes: Any

    # ---- documents (the presigned S3 side) -----------------------------------------------------

    def _sign(self, document_id: str, verb: str, when: float) -> str:
        message = f"{verb}\n{document_id}\n{int(when)}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    def presigned_url(self, document_id: str, verb: str) -> str:
        when = self.now()
        return (f"{self.root_url}/tortuga/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={int(when)}"
                f"&X-Amz-Expires={DOCUMENT_TTL}&X-Amz-Signature={self._sign(document_id, verb, when)}")

    def _document(self, method: str, document_id: str, query: dict[str, list[str]], headers: Any,
                  raw: bytes) -> Answer:  # fmt: skip
        def denied(code: str, message: str) -> Answer:
            return 403, S3_DENIED.format(code=code, message=message), {"Content-Type": "application/xml"}

        when = (query.get("X-Amz-Date") or ["0"])[0]
        signature = (query.get("X-Amz-Signature") or [""])[0]
        if not when.isdigit() or not hmac.compare_digest(signature.encode(), self._sign(document_id, method, float(when)).encode()):
            return denied("SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if float(when) + DOCUMENT_TTL < self.now():
            return denied("AccessDenied", "Request has expired")
        with self._lock:
            document = self._documents.get(document_id)
            if document is None:
                return 404, S3_DENIED.format(code="NoSuchKey", message="The specified key does not exist."), {}
            if method == "PUT":
                if (headers.get("Content-Type") or "") != document["contentType"]:
                    return denied("SignatureDoesNotMatch", "The Content-Type is not the one the URL was made for.")
                document["content"] = raw
                return 200, None, {"ETag": f'"{hashlib.md5(raw).hexdigest()}"'}  # noqa: S324 - an ETag
            content = document.get("content")
        return 200, content if content is not None else b"", {"Content-Type": "application/octet-stream"}


    # ---- feeds API -----------------------------------------------------------------------------

    def _create_document(self, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("contentType"):
            raise invalid_input("'contentType' is required.")
        document_id = f"amzn1.tortuga.4.eu.{secrets.token_hex(16)}"
        with self._lock:
            self._documents[document_id] = {"contentType": str(body["contentType"]), "content": None}
        return 201, {"feedDocumentId": document_id, "url": self.presigned_url(document_id, "PUT")}

    def _create_feed(self, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("feedType") or not body.get("inputFeedDocumentId"):
            raise invalid_input("'feedType', 'marketplaceIds' and 'inputFeedDocumentId' are required.")
        if body["feedType"] != "JSON_LISTINGS_FEED":
            raise invalid_input(f"The feed type {body['feedType']} is not supported by this sandbox.")
        marketplaces = body.get("marketplaceIds")
        if not isinstance(marketplaces, list) or len(marketplaces) != 1 or marketplaces[0] not in self.marketplace_ids:
            raise invalid_input("'marketplaceIds' must name one marketplace of the seller.")
        with self._lock:
            document = self._documents.get(str(body["inputFeedDocumentId"]))
            if document is None or document.get("content") is None:
                raise invalid_input("The input feed document does not exist or was not uploaded.")
        self._take_token("feedType:JSON_LISTINGS_FEED")
        feed_id = str(50_000_000_000 + len(self._feeds) + 1)
        with self._lock:
            self._feeds[feed_id] = {"feedId": feed_id, "feedType": "JSON_LISTINGS_FEED",
                                    "marketplaceIds": marketplaces, "createdTime": stamp(self.now()),
                                    "processingStatus": "IN_QUEUE", "_due": self.now() + self.batch_delay,
                                    "_input": str(body["inputFeedDocumentId"])}  # fmt: skip
        return 202, {"feedId": feed_id}

    def _get_feed(self, feed_id: str) -> dict[str, Any]:
        with self._lock:
            feed = self._feeds.get(feed_id)
            if feed is None:
                raise SandboxError(404, errors("NotFound", f"Feed {feed_id} not found."))
            if feed["processingStatus"] == "IN_QUEUE" and feed["_due"] <= self.now():
                self._run_feed(feed)
            return {k: v for k, v in feed.items() if not k.startswith("_")}

    def _run_feed(self, feed: dict[str, Any]) -> None:
        marketplace = feed["marketplaceIds"][0]
        content = self._documents[feed["_input"]]["content"]
        report = self._process_feed(self.seller_id, content, marketplace, MARKETPLACES[marketplace][2])
        result_id = f"amzn1.tortuga.4.eu.{secrets.token_hex(16)}"
        self._documents[result_id] = {"contentType": "application/json", "compression": self.gzip_reports,
                                      "content": self._report_bytes(report, feed["feedId"], self.seller_id,
                                                                    self.gzip_reports)}  # fmt: skip
        feed.update(processingStatus="FATAL" if report.get("fatal") else "DONE", resultFeedDocumentId=result_id,
                    processingStartTime=stamp(self.now()), processingEndTime=stamp(self.now()))

    def _get_document(self, document_id: str) -> dict[str, Any]:
        with self._lock:
            document = self._documents.get(document_id)
            if document is None:
                raise SandboxError(404, errors("NotFound", f"Document {document_id} not found."))
            answer = {"feedDocumentId": document_id, "url": self.presigned_url(document_id, "GET")}
            if document.get("compression"):
                answer["compressionAlgorithm"] = "GZIP"
            return answer
