"""Run a local marketplace API sandbox (today: Trendyol) until Ctrl-C or --duration."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from marketplaces.sandbox.trendyol import TrendyolSandbox

MARKETPLACES = ("trendyol",)


class Command(BaseCommand):
    help = "Run a local sandbox of a marketplace's seller API (for development and demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("marketplace", choices=MARKETPLACES)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100, help="0 picks a free port.")
        parser.add_argument("--seller-id", default="100000")
        parser.add_argument("--api-key", default="sandbox-api-key")
        parser.add_argument("--api-secret", default="sandbox-api-secret")
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
        parser.add_argument("--orders", type=int, default=0, help="Order packages to generate at start.")
        parser.add_argument("--lenient-attributes", action="store_true",
                            help="Do not require the category's required attributes on product create.")
        parser.add_argument("--duration", type=float, default=None, help="Stop after this many seconds.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["duration"] is not None and opts["duration"] < 0:
            raise CommandError(_("--duration must not be negative."))
        try:
            sandbox = TrendyolSandbox(
                seller_id=opts["seller_id"], api_key=opts["api_key"], api_secret=opts["api_secret"],
                host=opts["host"], port=opts["port"], seed=opts["seed"], fail_rate=opts["fail_rate"],
                rate_limit_rate=opts["rate_limit_rate"], error_rate=opts["error_rate"],
                drop_rate=opts["drop_rate"], delay=opts["delay"], slow_rate=opts["slow_rate"],
                batch_delay=opts["batch_delay"], orders=opts["orders"],
                strict_attributes=not opts["lenient_attributes"],
            ).start()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("Cannot listen on %(host)s:%(port)s: %(error)s")
                               % {"host": opts["host"], "port": opts["port"], "error": exc}) from exc
        out = self.stdout
        out.write(_("Trendyol sandbox running at %(url)s") % {"url": sandbox.base_url})
        out.write(_("  seller id:  %(value)s") % {"value": opts["seller_id"]})
        out.write(_("  API key:    %(value)s") % {"value": opts["api_key"]})
        out.write(_("  API secret: %(value)s") % {"value": opts["api_secret"]})
        out.write(_("  User-Agent: %(value)s") % {"value": sandbox.user_agent()})
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
