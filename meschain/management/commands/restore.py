"""manage.py restore ARCHIVE: bring back what `manage.py backup` wrote."""

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from meschain import backup


class Command(BaseCommand):
    help = _(
        "Replace the database and the media folder with a backup archive, after checking every file "
        "against the archive's manifest. Stop the web server and the workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help=_("The .tar.gz archive written by manage.py backup."))
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help=_("Do not ask for confirmation."),
        )  # fmt: skip
        parser.add_argument("--database", default="default", help=_("Database alias (default: default)."))

    def handle(self, *args: Any, **opts: Any) -> None:
        alias = opts["database"]
        try:
            with tempfile.TemporaryDirectory(prefix="meschain-restore-") as workdir:
                self.stderr.write(_("Checking %(path)s…") % {"path": opts["archive"]})
                archive = backup.open_archive(Path(opts["archive"]), Path(workdir))
                backup.check_restorable(archive, alias=alias)
                manifest = archive.manifest
                self.stderr.write(
                    ngettext("Backup of %(created)s (MesChain %(version)s): the %(engine)s database and %(count)s "
                             "media file, all checksums match.",
                             "Backup of %(created)s (MesChain %(version)s): the %(engine)s database and %(count)s "
                             "media files, all checksums match.", archive.media_files)
                    % {"created": manifest.get("created_at"), "version": manifest.get("version"),
                       "engine": backup.ENGINE_LABELS[archive.engine], "count": archive.media_files}
                )  # fmt: skip
                if opts["interactive"] and not self._confirmed(alias):
                    raise CommandError(_("Restore cancelled; nothing was changed."))
                result = backup.restore(archive, alias=alias, progress=self.stderr.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("The restore could not finish: %(error)s") % {"error": exc}) from exc
        self.stdout.write(
            ngettext("Restored the %(engine)s database “%(name)s” and %(count)s media file from %(path)s.",
                     "Restored the %(engine)s database “%(name)s” and %(count)s media files from %(path)s.",
                     result.media_files)
            % {"engine": backup.ENGINE_LABELS[result.engine], "name": backup.database_label(alias),
               "count": result.media_files, "path": opts["archive"]}
        )  # fmt: skip
        if result.pending_migrations:
            count = len(result.pending_migrations)
            self.stdout.write(
                ngettext("The restored database lacks %(count)s migration of this code: run manage.py migrate.",
                         "The restored database lacks %(count)s migrations of this code: run manage.py migrate.",
                         count) % {"count": count}
            )  # fmt: skip

    def _confirmed(self, alias: str) -> bool:
        yes = pgettext("the answer that confirms a restore", "yes")
        question = _(
            "This replaces the database “%(name)s” and everything in the media folder %(media)s.\n"
            "Type '%(yes)s' to continue, or anything else to cancel: "
        ) % {"name": backup.database_label(alias), "media": settings.MEDIA_ROOT, "yes": yes}
        try:
            return input(question).strip().lower() in {"yes", yes.lower()}
        except EOFError:
            return False
