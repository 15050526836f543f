"""What every marketplace sandbox shares: a threaded local HTTP server, a record of the
requests it received (with their headers, so tests can check what a marketplace would
have seen), deterministic fault injection, a clock that tests can move, and the
``/__sandbox/`` control endpoints (never faulted, never recorded, no auth).

A sandbox subclasses :class:`SandboxServer` and implements :meth:`SandboxServer.handle_api`
(``(status, body, headers)``; a JSON-able body is sent as JSON, ``bytes``/``str`` as they
are) and, for its error shapes, :meth:`SandboxServer.fault_answer` and
:meth:`SandboxServer.not_found`. Extra control endpoints go in :meth:`SandboxServer.control`.

Control endpoints: ``GET /__sandbox/state``, ``POST /__sandbox/faults`` (the fields of
:class:`Faults`, ``fail_rate``, ``seed``), ``POST /__sandbox/clock`` (``{"advance": s}``),
``POST /__sandbox/reset``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONTROL_PREFIX = "/__sandbox"

Answer = tuple[int, Any, dict[str, str]]


class SandboxError(Exception):
    """An error answer: HTTP status, the body the marketplace would send, extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Faults:
    """Fault-injection switches; fractions are in [0, 1]."""

    rate_limit_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    delay: float = 0.0
    slow_rate: float = 1.0
    retry_after: int = 1
    drop_phase: str = "before"

    def validate(self) -> None:
        for name in ("rate_limit_rate", "error_rate", "drop_rate", "slow_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.rate_limit_rate + self.error_rate + self.drop_rate > 1.0:
            raise ValueError("rate_limit_rate + error_rate + drop_rate must not exceed 1")
        if self.delay < 0 or self.retry_after < 0:
            raise ValueError("delay and retry_after must not be negative")
        if self.drop_phase not in ("before", "after"):
            raise ValueError("drop_phase must be 'before' or 'after'")


@dataclass
class RecordedRequest:
    """One API request as the sandbox saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    status: int | None = None  # None: the connection was dropped
    fault: str | None = None  # "429", "5xx", "drop" or None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


def basic_credentials(headers: Any) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic`` header, or None."""
    auth = headers.get("Authorization") or ""
    if not auth.startswith("Basic "):
        return None
    try:
        user, sep, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def json_body(raw: bytes, error: Any) -> Any:
    """The JSON of a request body; a 400 with `error` as the body when it is not JSON."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SandboxError(400, error) from exc


class SandboxServer:
    """A marketplace sandbox; ``start()`` serves it in a background thread."""

    name = "sandbox"
    api_prefix = ""  # the part of base_url after host:port
    json_content_type = "application/json; charset=utf-8"  # of answers whose body is sent as JSON

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0, fail_rate: float = 0.0,
                 **faults: Any) -> None:  # fmt: skip
        self.host, self.port, self.seed = host, port, seed
        self._lock = threading.RLock()
        self._clock_offset = 0.0
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(seed=seed, fail_rate=fail_rate, **faults)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        server = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}-sandbox", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + self.api_prefix

    @property
    def control_url(self) -> str:
        return self.root_url + CONTROL_PREFIX

    # ---- faults, clock, records --------------------------------------------------------------

    def set_faults(self, *, seed: int | None = None, fail_rate: float | None = None, **changes: Any) -> Faults:
        """Change the fault switches; ``fail_rate`` splits evenly into 429, 5xx and drops
        unless one of those is given; ``seed`` restarts the fault sequence."""
        with self._lock:
            if fail_rate is not None:
                for name in ("rate_limit_rate", "error_rate", "drop_rate"):
                    if changes.get(name) is None:
                        changes[name] = fail_rate / 3
            values = {**self.faults.__dict__, **{k: v for k, v in changes.items() if v is not None}}
            faults = Faults(**values)
            faults.validate()
            self.faults = faults
            if seed is not None or not hasattr(self, "_fault_rng"):
                self.seed = self.seed if seed is None else seed
                self._fault_rng = random.Random(f"{self.name}-faults-{self.seed}")  # noqa: S311 - repeatable
            return faults

    def now(self) -> float:
        """The sandbox clock (wall time plus any ``advance_clock``), in seconds."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self._lock:
            self._clock_offset += seconds

    def reset(self) -> None:
        """Forget recorded requests; subclasses forget their state too."""
        with self._lock:
            self.requests.clear()

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def requests_to(self, method: str | None = None, path_contains: str = "") -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and path_contains in r.path]  # fmt: skip

    def count_requests(self, method: str | None = None, path_contains: str = "") -> int:
        return len(self.requests_to(method, path_contains))

    def draw_fault(self) -> tuple[str | None, bool, int]:
        """One deterministic draw per API request: (fault, slow, 5xx status)."""
        with self._lock:
            rng = self._fault_rng
            roll, slow_roll, status = rng.random(), rng.random(), rng.choice((500, 502, 503, 504))
            f = self.faults
            fault = None
            if roll < f.drop_rate:
                fault = "drop"
            elif roll < f.drop_rate + f.rate_limit_rate:
                fault = "429"
            elif roll < f.drop_rate + f.rate_limit_rate + f.error_rate:
                fault = "5xx"
            return fault, f.delay > 0 and slow_roll < f.slow_rate, status

    # ---- what a sandbox implements ---------------------------------------------------------

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
                   raw: bytes) -> Answer:  # fmt: skip
        """Answer one API request (``path`` without ``api_prefix``)."""
        raise SandboxError(404, {"message": f"No service at {path}."})

    def not_found(self, path: str) -> Answer:
        """The answer to a path outside ``api_prefix``."""
        return 404, {"message": f"No service at {path}."}, {}

    def fault_answer(self, fault: str, status: int) -> Answer:
        """The answer of an injected 429 or 5xx, in the marketplace's error shape."""
        if fault == "429":
            return 429, {"message": "Too many requests."}, {"Retry-After": str(self.faults.retry_after)}
        return status, {"message": "Internal error, try again."}, {}

    def state(self) -> dict[str, Any]:
        """What ``GET /__sandbox/state`` shows besides the common fields."""
        return {}

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        """A sandbox's own control endpoints (None: not one of them)."""
        return None

    # ---- control endpoints -------------------------------------------------------------------

    def _control(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path in ("", "/", "/state"):
            with self._lock:
                return 200, {"baseUrl": self.base_url, "now": int(self.now() * 1000), "requests": self.request_count,
                             "faults": self.faults.__dict__, "seed": self.seed, **self.state()}  # fmt: skip
        own = self.control(method, path, body)
        if own is not None:
            return own
        if method != "POST":
            return 405, {"error": "use POST"}
        if path == "/faults":
            return 200, {"faults": self.set_faults(**body).__dict__, "seed": self.seed}
        if path == "/clock":
            self.advance_clock(float(body.get("advance", 0)))
            return 200, {"now": int(self.now() * 1000)}
        if path == "/reset":
            self.reset()
            return 200, {"reset": True}
        return 404, {"error": f"unknown control endpoint {path}"}


def _make_handler(sandbox: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"{type(sandbox).__name__}/1.0"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no ACK stalls

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
            if body is None:
                payload = b""
            elif isinstance(body, bytes | str):
                payload = body.encode() if isinstance(body, str) else body
                content_type = content_type or "text/plain; charset=utf-8"
            else:
                payload = json.dumps(body, ensure_ascii=False).encode()
                content_type = content_type or sandbox.json_content_type
            try:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "content-type":
                        self.send_header(name, value)
                if content_type and payload:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _handle(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            if url.path == CONTROL_PREFIX or url.path.startswith(CONTROL_PREFIX + "/"):
                try:
                    status, body = sandbox._control(method, url.path[len(CONTROL_PREFIX):],
                                                    json.loads(raw) if raw else {})  # fmt: skip
                except (ValueError, KeyError, TypeError) as exc:
                    status, body = 400, {"error": str(exc)}
                self._send(status, body, {})
                return
            record = RecordedRequest(method, url.path, url.query, dict(self.headers.items()))
            try:
                record.body = json.loads(raw) if raw else None
            except (ValueError, UnicodeDecodeError):
                record.body = raw.decode(errors="replace")
            with sandbox._lock:
                sandbox.requests.append(record)
            fault, slow, error_status = sandbox.draw_fault()
            record.fault = fault
            if slow:
                time.sleep(sandbox.faults.delay)
            if fault == "drop" and sandbox.faults.drop_phase == "before":
                self._drop()
                return
            if fault in ("429", "5xx"):
                status, body, headers = sandbox.fault_answer(fault, error_status)
            elif not url.path.startswith(sandbox.api_prefix):
                status, body, headers = sandbox.not_found(url.path)
            else:
                query = parse_qs(url.query, keep_blank_values=True)
                try:
                    status, body, headers = sandbox.handle_api(
                        method, url.path[len(sandbox.api_prefix):], query, self.headers, raw)
                except SandboxError as exc:
                    status, body, headers = exc.status, exc.body, exc.headers
            if fault == "drop":  # drop_phase "after": processed, but the answer never arrives
                self._drop()
                return
            record.status = status
            self._send(status, body, headers)

    return Handler
