"""Gunicorn's own log lines as JSON, in the shape of meschain/logging.py.

`deploy/gunicorn.conf.py` names `JsonGunicornLogger` as its logger class: every access line
is one JSON object on standard output with the method, path, status, size, duration and
the request id the application answered with; the server's own messages (start, workers,
timeouts) are JSON objects on standard error.
"""

import logging
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from meschain.logging import JsonFormatter


class JsonGunicornLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in resp.headers}
        method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "")
        fields = {
            "request_id": headers.get("x-request-id"),
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "referer": environ.get("HTTP_REFERER"),
            "protocol": environ.get("SERVER_PROTOCOL"),
        }
        try:
            self.access_log.info("%s %s %s", method, path, status, extra=fields)
        except Exception:
            logging.getLogger(__name__).exception("Could not write an access log line")
