"""manage.py import_products FILE --tenant SLUG: create and update products by SKU."""

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Tenant
from catalog import files
from catalog.services import bulk
from catalog.services.bulk import RowResult
from meschain.errors import DomainError

ACTOR = "manage.py import_products"


class Progress:
    """A bar redrawn in place on a terminal; one line per step anywhere else (logs)."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, total: int, *, enabled: bool = True) -> None:
        self.stream, self.total, self.enabled = stream, total, enabled
        self.done = 0
        self.started = time.monotonic()
        self.tty = enabled and stream.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        share = self.done / self.total if self.total else 1.0
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = _("%(done)s/%(total)s rows (%(percent)d%%, %(rate)s rows/s)") % {
            "done": f"{self.done:,}",
            "total": f"{self.total:,}",
            "percent": int(share * 100),
            "rate": f"{rate:,.0f}",
        }
        if self.tty:
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {text}", ending="")
            if self.done >= self.total:
                self.stream.write("")
        else:
            self.stream.write(text)


class Command(BaseCommand):
    help = _(
        "Import products from a CSV, XLSX or JSON file: rows are matched by SKU, new SKUs are created "
        "as drafts. Prints a line for every row with errors. Exit status: 0 when every row was applied, "
        "1 when some rows failed (the others are in), 2 when nothing was applied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The file to import (.csv, .xlsx or .json)."))
        parser.add_argument("--tenant", required=True, help=_("Slug of the tenant the products belong to."))
        parser.add_argument(
            "--policy",
            choices=bulk.POLICIES,
            default="reject",
            help=_(
                "reject: apply nothing when any row has an error (default); apply_valid: apply the good rows."
            ),
        )
        parser.add_argument("--format", choices=files.FORMATS, help=_("Default: from the file's extension."))
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help=_("Rows per bulk upsert (at most %(max)d).") % {"max": bulk.MAX_ROWS},
        )
        parser.add_argument("--no-progress", action="store_true", help=_("Print no progress on stderr."))

    def handle(self, *args: Any, **opts: Any) -> None:
        tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
        if tenant is None:
            raise CommandError(
                _("No tenant with the slug %(slug)s.") % {"slug": opts["tenant"]}, returncode=2
            )
        size = opts["batch_size"]
        if not 1 <= size <= bulk.MAX_ROWS:
            raise CommandError(
                _("--batch-size must be from 1 to %(max)d.") % {"max": bulk.MAX_ROWS}, returncode=2
            )
        path = Path(opts["file"])
        try:
            fmt = files.detect_format(path.name, opts["format"])
            parsed = files.read_rows(path.read_bytes(), fmt)
        except OSError as exc:
            message = _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            raise CommandError(message, returncode=2) from exc
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.message}", returncode=2) from exc
        if not parsed.rows:
            raise CommandError(_("%(file)s has no rows.") % {"file": path}, returncode=2)
        if parsed.ignored_columns:
            self.stderr.write(
                _("Ignoring unknown columns: %(columns)s") % {"columns": ", ".join(parsed.ignored_columns)}
            )

        results, applied = self._run(tenant.pk, parsed, opts["policy"], size, not opts["no_progress"])
        self._report(parsed, results, applied)

    def _run(
        self, tenant_id: int, parsed: files.ParsedFile, policy: str, size: int, progress: bool
    ) -> tuple[list[RowResult], bool]:
        """Batches keep a product's variants (and a repeated SKU) together. With policy
        "reject", all batches share one transaction that is rolled back on any error."""
        bar = Progress(self.stderr, len(parsed.rows), enabled=progress)
        results: list[RowResult | None] = [None] * len(parsed.rows)
        applied = True
        with transaction.atomic() if policy == "reject" else nullcontext():
            for batch in files.batches(parsed, size):
                outcome = bulk.bulk_upsert(
                    tenant_id, [parsed.rows[i] for i in batch], policy=policy, actor=ACTOR
                )
                applied = applied and outcome.applied
                for row in outcome.rows:
                    row.row = batch[row.row]
                    results[row.row] = row
                bar.advance(len(batch))
            if policy == "reject" and any(r is not None and r.status == "error" for r in results):
                applied = False
                transaction.set_rollback(True)
        return [r for r in results if r is not None], applied

    def _report(self, parsed: files.ParsedFile, results: list[RowResult], applied: bool) -> None:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for row in results:
            counts[row.status] += 1
            if row.status != "error":
                continue
            problems = "; ".join(
                f"{field}: {message}" for field, messages in row.errors.items() for message in messages
            )
            self.stdout.write(
                _("row %(line)d, SKU %(sku)s: %(problems)s")
                % {"line": parsed.lines[row.row], "sku": row.sku or "—", "problems": problems}
            )
        if not applied:
            message = _("Nothing was applied: %(count)d of %(total)d rows have errors.") % {
                "count": counts["error"],
                "total": len(results),
            }
            raise CommandError(message, returncode=2)
        summary = (
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(error)d with errors.")
            % counts
        )
        self.stdout.write(summary)
        if counts["error"]:
            raise CommandError(
                _("%(count)d rows failed; the others were applied.") % {"count": counts["error"]},
                returncode=1,
            )
