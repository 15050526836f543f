"""manage.py export_products --tenant SLUG: the catalogue as a file import_products reads."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Tenant
from catalog import files
from catalog.models import Product, ProductStatus
from meschain.errors import DomainError


class Command(BaseCommand):
    help = _(
        "Export a tenant's products, one row per variant, in the columns import_products reads "
        "(CSV, XLSX or JSON)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help=_("Slug of the tenant."))
        parser.add_argument(
            "--format", choices=files.FORMATS, help=_("Default: from --output's extension, else csv.")
        )
        parser.add_argument("--output", help=_("File to write (default: standard output; not for xlsx)."))
        parser.add_argument("--status", choices=ProductStatus.values, help=_("Only products in this status."))

    def handle(self, *args: Any, **opts: Any) -> None:
        tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
        if tenant is None:
            raise CommandError(
                _("No tenant with the slug %(slug)s.") % {"slug": opts["tenant"]}, returncode=2
            )
        output = opts["output"]
        try:
            fmt = opts["format"] or (files.detect_format(output) if output else "csv")
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        if fmt == "xlsx" and not output:
            raise CommandError(_("An XLSX workbook needs --output FILE."), returncode=2)
        products = Product.objects.filter(tenant=tenant)
        if opts["status"]:
            products = products.filter(status=opts["status"])
        rows = list(files.export_rows(products))
        data = files.write_rows(rows, fmt)
        if output:
            try:
                Path(output).write_bytes(data)
            except OSError as exc:
                message = _("Cannot write %(file)s: %(error)s") % {"file": output, "error": exc.strerror}
                raise CommandError(message, returncode=2) from exc
        else:
            self.stdout.write(data.decode("utf-8-sig"), ending="")
        if output:
            done = _("Exported %(count)d rows (%(format)s) to %(file)s.")
        else:
            done = _("Exported %(count)d rows (%(format)s).")
        self.stderr.write(done % {"count": len(rows), "format": fmt, "file": output})
