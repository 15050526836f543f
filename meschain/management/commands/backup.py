"""manage.py backup: the database, the media folder and a manifest in one .tar.gz archive."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meschain import backup


class Command(BaseCommand):
    help = _(
        "Write the database (pg_dump or the SQLite backup API), the media folder and a manifest with "
        "checksums into one .tar.gz archive, by default backups/meschain-<UTC time>.tar.gz."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help=_("Path of the archive to write."))
        parser.add_argument("--database", default="default", help=_("Database alias (default: default)."))

    def handle(self, *args: Any, **opts: Any) -> None:
        output = Path(opts["output"]) if opts["output"] else None
        try:
            result = backup.create_backup(output, alias=opts["database"], progress=self.stderr.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("The backup could not be written: %(error)s") % {"error": exc}) from exc
        self.stdout.write(
            ngettext(
                "Backup written to %(path)s (%(size)s): the %(engine)s database and %(count)s media file.",
                "Backup written to %(path)s (%(size)s): the %(engine)s database and %(count)s media files.",
                result.media_files,
            )
            % {
                "path": result.path,
                "size": filesizeformat(result.size).replace("\xa0", " "),
                "engine": backup.ENGINE_LABELS[result.engine],
                "count": result.media_files,
            }
        )
