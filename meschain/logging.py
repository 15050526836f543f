"""JSON log lines that carry the request id, tenant and user of the request (or of the
request that queued the task) they belong to."""

import json
import logging
from datetime import UTC, datetime

from django.http import HttpRequest

from meschain import context

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        if not getattr(record, "request_id", None):
            record.request_id = ctx.request_id or None
        principal = context.current_principal()
        if getattr(record, "tenant_id", None) is None:
            record.tenant_id = principal.tenant_id
        if getattr(record, "user_id", None) is None:
            record.user_id = principal.user_id
        if principal.api_key and not getattr(record, "api_key", None):
            record.api_key = principal.api_key
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "tenant_id": getattr(record, "tenant_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry and not key.startswith("_"):
                # a request as method and path: its query string may hold a caller's secret
                entry[key] = f"{value.method} {value.path}" if isinstance(value, HttpRequest) else value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
