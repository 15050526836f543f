"""Backups: the database, the media folder and a manifest in one .tar.gz, and back.

An archive holds `database.dump` (PostgreSQL, `pg_dump --format=custom`) or
`database.sqlite3` (SQLite, copied with the online backup API), the media folder under
`media/`, and `manifest.json`: format, version, creation time, engine, the applied Django
migrations and the size and SHA-256 of every other file. A restore checks all of it before
it touches anything.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
COMMAND_TIMEOUT_SECONDS = 6 * 3600

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    media_files: int
    size: int


@dataclass(frozen=True)
class Archive:
    """An archive unpacked into `root` whose files all match the manifest."""

    path: Path
    root: Path
    manifest: dict[str, Any]

    @property
    def engine(self) -> str:
        return self.manifest["engine"]

    @property
    def media_files(self) -> int:
        return sum(1 for name in self.manifest["files"] if name.startswith(f"{MEDIA_DIR}/"))


@dataclass(frozen=True)
class RestoreResult:
    engine: str
    media_files: int
    pending_migrations: list[str]


def _silent(message: str) -> None:
    """The default progress callback: says nothing."""


def engine_of(alias: str = "default") -> str:
    """"postgresql" or "sqlite", from the backend's vendor (wrapping backends included)."""
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(_("Backups support PostgreSQL and SQLite, not %(engine)s.") % {"engine": vendor})
    return vendor


def database_label(alias: str = "default") -> str:
    return str(settings.DATABASES[alias]["NAME"])


def default_path(now: datetime) -> Path:
    return Path(settings.BACKUP_DIR) / f"meschain-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def app_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


# --- Database ---------------------------------------------------------------


def _pg_invocation(program: str, db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The client program's connection arguments and environment: the password goes in
    PGPASSWORD, never on the command line, where every local user could read it."""
    args = [program, "--no-password"]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {key: value for key, value in os.environ.items() if key != "PGPASSWORD"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if sslmode := (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run_pg(program: str, db: dict[str, Any], extra: list[str]) -> None:
    args, env = _pg_invocation(program, db)
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [*args, *extra], env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS
        )
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(program)s was not found: install the PostgreSQL client tools (the same major version as the server).")
            % {"program": program}
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed (exit status %(status)s): %(error)s")
            % {"program": program, "status": result.returncode, "error": result.stderr.strip()}
        )


def _sqlite_path(db: dict[str, Any]) -> str:
    name = str(db["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return name


def _dump_database(engine: str, db: dict[str, Any], target: Path) -> None:
    if engine == "postgresql":
        _run_pg("pg_dump", db, ["--format=custom", f"--file={target}", "--dbname", str(db["NAME"])])
        return
    name = _sqlite_path(db)
    if not Path(name).is_file():
        raise BackupError(_("The SQLite database %(path)s does not exist.") % {"path": name})
    source, copy = sqlite3.connect(name), sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent copy, even while others write
    finally:
        copy.close()
        source.close()


def _load_database(engine: str, db: dict[str, Any], source: Path) -> None:
    connections.close_all()
    if engine == "postgresql":
        _run_pg(
            "pg_restore",
            db,
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", "--dbname", str(db["NAME"]), str(source)],
        )  # fmt: skip
        return
    backup, live = sqlite3.connect(source), sqlite3.connect(_sqlite_path(db))
    try:
        backup.backup(live)  # replaces every page of the live database
    finally:
        live.close()
        backup.close()


def applied_migrations(alias: str = "default") -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    applied: dict[str, list[str]] = {}
    if recorder.has_table():
        for app, name in sorted(recorder.applied_migrations()):
            applied.setdefault(app, []).append(name)
    return applied


def pending_migrations(alias: str = "default") -> list[str]:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


# --- Archive ----------------------------------------------------------------


class _HashingReader:
    """Hands tarfile the bytes it reads while hashing exactly those."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.digest.update(chunk)
        return chunk


class _BytesReader:
    """The manifest, handed to tarfile like a file."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        info = tar.gettarinfo(arcname=arcname, fileobj=fh)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o640, 0, 0, "", ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": info.size}


def _media_files(media_root: Path) -> Iterator[Path]:
    """Regular files under the media folder (symbolic links are not followed)."""
    for folder, dirnames, filenames in os.walk(media_root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(folder) / filename
            if path.is_file() and not path.is_symlink():
                yield path


def create_backup(
    output: Path | None = None, *, alias: str = "default", progress: Progress = _silent
) -> BackupResult:
    """Writes one archive and returns where; a failed run leaves no archive behind."""
    engine = engine_of(alias)
    db = settings.DATABASES[alias]
    created = datetime.now(UTC)
    output = Path(output) if output else default_path(created)
    media_root = Path(settings.MEDIA_ROOT)
    if output.parent.resolve() == media_root.resolve() or media_root.resolve() in output.parent.resolve().parents:
        raise BackupError(_("Write the backup outside the media folder %(path)s.") % {"path": media_root})
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.part")
    database_file = DATABASE_FILES[engine]
    files: dict[str, dict[str, Any]] = {}
    try:
        # the archive holds secrets (encrypted credentials, password hashes): owner only
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            progress(_("Dumping the %(engine)s database “%(name)s”…")
                     % {"engine": ENGINE_LABELS[engine], "name": database_label(alias)})  # fmt: skip
            with tempfile.TemporaryDirectory(prefix=".meschain-dump-", dir=output.parent) as tmp:
                _dump_database(engine, db, Path(tmp) / database_file)
                files[database_file] = _add_file(tar, Path(tmp) / database_file, database_file)
            progress(_("Adding the media folder %(path)s…") % {"path": media_root})
            for path in _media_files(media_root) if media_root.is_dir() else ():
                arcname = f"{MEDIA_DIR}/{path.relative_to(media_root).as_posix()}"
                files[arcname] = _add_file(tar, path, arcname)
            manifest = {
                "format": FORMAT_VERSION,
                "application": "meschain",
                "version": app_version(),
                "created_at": created.isoformat(),
                "engine": engine,
                "database_file": database_file,
                "migrations": applied_migrations(alias),
                "files": files,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o640, int(created.timestamp())
            tar.addfile(info, _BytesReader(body))
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    media_count = sum(1 for name in files if name.startswith(f"{MEDIA_DIR}/"))
    return BackupResult(path=output, engine=engine, media_files=media_count, size=output.stat().st_size)


def _damaged(detail: str) -> BackupError:
    return BackupError(
        _("The archive is damaged or was changed (%(detail)s). Nothing was restored.") % {"detail": detail}
    )


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("application") != "meschain":
        raise BackupError(_("This is not a MesChain backup: its manifest is missing or unreadable."))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(
            _("This backup has format %(found)s; this version of MesChain reads format %(expected)s.")
            % {"found": manifest.get("format"), "expected": FORMAT_VERSION}
        )
    files = manifest.get("files")
    if manifest.get("engine") not in DATABASE_FILES or not isinstance(files, dict):
        raise _damaged(_("the manifest is incomplete"))
    if DATABASE_FILES[manifest["engine"]] not in files:
        raise _damaged(_("the database file is missing"))
    return manifest


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def open_archive(path: Path, workdir: Path) -> Archive:
    """Unpacks an archive into `workdir` and checks every file against the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no backup archive at %(path)s.") % {"path": path})
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = tar.getmembers()
            names = [member.name for member in members]
            for member in members:
                if not (member.isfile() and _safe_name(member.name)) or names.count(member.name) > 1:
                    raise _damaged(_("unexpected entry %(name)s") % {"name": member.name})
            if MANIFEST not in names:
                raise BackupError(_("This is not a MesChain backup: its manifest is missing or unreadable."))
            manifest = _check_manifest(json.load(tar.extractfile(MANIFEST)))
            expected = set(manifest["files"]) | {MANIFEST}
            if difference := sorted(expected.symmetric_difference(names)):
                raise _damaged(_("%(name)s is not as listed in the manifest") % {"name": difference[0]})
            tar.extractall(workdir, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(
            _("%(path)s is not a readable backup archive: %(error)s") % {"path": path, "error": exc}
        ) from exc
    for name, expected_file in sorted(manifest["files"].items()):
        digest, size = hashlib.sha256(), 0
        with open(workdir / name, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
        if not isinstance(expected_file, dict) or (digest.hexdigest(), size) != (
            expected_file.get("sha256"), expected_file.get("size")
        ):
            raise _damaged(_("%(name)s does not match its checksum") % {"name": name})
    return Archive(path=path, root=workdir, manifest=manifest)


def check_restorable(archive: Archive, *, alias: str = "default") -> None:
    """Refuses an archive of another engine, or one made by newer code than this."""
    current = engine_of(alias)
    if archive.engine != current:
        raise BackupError(
            _("This archive holds a %(archive)s database, but the configured database is %(current)s. "
              "Restore it on an installation that uses %(archive)s.")
            % {"archive": ENGINE_LABELS[archive.engine], "current": ENGINE_LABELS[current]}
        )  # fmt: skip
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    recorded = archive.manifest.get("migrations") or {}
    unknown = sorted(
        f"{app}.{name}" for app, names in recorded.items() for name in names if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            _("This archive was made by a newer version of MesChain: its database has migrations this "
              "code does not know (%(names)s). Update the code first.") % {"names": ", ".join(unknown[:5])}
        )  # fmt: skip


def _replace_media(source: Path, media_root: Path, keep: set[Path]) -> None:
    media_root.mkdir(parents=True, exist_ok=True)
    for entry in media_root.iterdir():
        if entry.resolve() in keep or any(entry.resolve() in k.parents for k in keep):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if source.is_dir():
        shutil.copytree(source, media_root, dirs_exist_ok=True)


def restore(archive: Archive, *, alias: str = "default", progress: Progress = _silent) -> RestoreResult:
    """Replaces the database and the media folder with the archive's (already checked)."""
    check_restorable(archive, alias=alias)
    engine = archive.engine
    progress(_("Restoring the %(engine)s database “%(name)s”…")
             % {"engine": ENGINE_LABELS[engine], "name": database_label(alias)})  # fmt: skip
    _load_database(engine, settings.DATABASES[alias], archive.root / DATABASE_FILES[engine])
    media_root = Path(settings.MEDIA_ROOT)
    progress(_("Restoring the media folder %(path)s…") % {"path": media_root})
    keep = {Path(settings.BACKUP_DIR).resolve(), archive.path.resolve()}
    _replace_media(archive.root / MEDIA_DIR, media_root, keep)
    caches["default"].clear()  # cached pages and lookups describe the data that was replaced
    return RestoreResult(engine=engine, media_files=archive.media_files, pending_migrations=pending_migrations(alias))
