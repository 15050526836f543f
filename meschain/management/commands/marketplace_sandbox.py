"""Run a local marketplace API sandbox until Ctrl-C or --duration."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from marketplaces.sandbox import SANDBOXES, sandbox_class, sandbox_module
from marketplaces.sandbox.trendyol import TrendyolSandbox


class Command(BaseCommand):
    help = "Run a local sandbox of a marketplace's seller API (for development and demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("marketplace", choices=sorted(SANDBOXES))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None,
                            help="0 picks a free port; default: the port the demo account uses.")
        parser.add_argument("--seller-id", default="100000", help="Trendyol only.")
        parser.add_argument("--api-key", default="sandbox-api-key", help="Trendyol only.")
        parser.add_argument("--api-secret", default="sandbox-api-secret", help="Trendyol only.")
        parser.add_argument("--seed", type=int, default=0, help="Makes injected faults and generated orders repeatable.")
        parser.add_argument("--fail-rate", type=float, default=0.0,
                            help="Fraction of requests that fail, split evenly into 429, 5xx and dropped connections.")
        parser.add_argument("--rate-limit-rate", type=float, default=None, help="Fraction answered 429.")
        parser.add_argument("--error-rate", type=float, default=None, help="Fraction answered 5xx.")
        parser.add_argument("--drop-rate", type=float, default=None, help="Fraction of dropped connections.")
        parser.add_argument("--delay", type=float, default=0.0, help="Seconds to delay slow answers.")
        parser.add_argument("--slow-rate", type=float, default=1.0, help="Fraction of answers delayed by --delay.")
        parser.add_argument("--batch-delay", type=float, default=0.0,
                            help="Seconds before a batch request is processed.")
        parser.add_argument("--orders", type=int, default=0, help="Orders to generate at start.")
        parser.add_argument("--lenient-attributes", action="store_true",
                            help="Trendyol: do not require the category's required attributes on product create.")
        parser.add_argument("--duration", type=float, default=None, help="Stop after this many seconds.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["duration"] is not None and opts["duration"] < 0:
            raise CommandError(_("--duration must not be negative."))
        code = opts["marketplace"]
        try:
            sandbox = (self._trendyol(opts) if code == "trendyol" else self._sandbox(code, opts)).start()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("Cannot listen on %(host)s:%(port)s: %(error)s")
                               % {"host": opts["host"], "port": opts["port"], "error": exc}) from exc
        out = self.stdout
        out.write(_("%(name)s sandbox running at %(url)s") % {"name": self._label(code), "url": sandbox.base_url})
        for label, value in self._lines(code, sandbox, opts):
            out.write(f"  {label + ':':<12}{value}")
        out.write(_("  control:    %(value)s/state") % {"value": sandbox.control_url})
        out.flush()
        try:
            if opts["duration"] is not None:
                time.sleep(opts["duration"])
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            requests = sandbox.request_count
            sandbox.stop()
        out.write(_("Sandbox stopped after %(count)d API requests.") % {"count": requests})

    @staticmethod
    def _label(code: str) -> str:
        from marketplaces.models import Marketplace

        return str(Marketplace(code).label)

    @staticmethod
    def _faults(opts: dict[str, Any]) -> dict[str, Any]:
        names = ("seed", "fail_rate", "rate_limit_rate", "error_rate", "drop_rate", "delay", "slow_rate",
                 "batch_delay", "orders")  # fmt: skip
        return {name: opts[name] for name in names}

    def _trendyol(self, opts: dict[str, Any]) -> TrendyolSandbox:
        port = sandbox_module("trendyol").DEMO["port"] if opts["port"] is None else opts["port"]
        return TrendyolSandbox(
            seller_id=opts["seller_id"], api_key=opts["api_key"], api_secret=opts["api_secret"],
            host=opts["host"], port=port, strict_attributes=not opts["lenient_attributes"], **self._faults(opts),
        )  # fmt: skip

    def _sandbox(self, code: str, opts: dict[str, Any]) -> Any:
        port = sandbox_module(code).DEMO["port"] if opts["port"] is None else opts["port"]
        return sandbox_class(code).from_options(host=opts["host"], port=port, **self._faults(opts))

    @staticmethod
    def _lines(code: str, sandbox: Any, opts: dict[str, Any]) -> list[tuple[str, str]]:
        if code != "trendyol":
            return list(sandbox.connection_lines())
        return [
            (_("seller id"), opts["seller_id"]),
            (_("API key"), opts["api_key"]),
            (_("API secret"), opts["api_secret"]),
            (_("User-Agent"), sandbox.user_agent()),
        ]
