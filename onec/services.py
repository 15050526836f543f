"""The 1C exchange's rules: logging in (with the project's lockout), sessions, receiving
files (chunks appended, zip archives checked and unpacked), and starting imports.

Every refusal is an ExchangeError whose message is the `failure` reply's reason.
"""

import secrets
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from meschain import audit
from meschain.errors import Conflict, DomainError, ValidationFailed
from onec import importer, parsing
from onec.models import ExchangeSession, OneCExchange, SessionState, exchange_root

COOKIE = "meschain_1c"
KINDS = ("catalog", "sale")


class ExchangeError(Exception):
    """A refused request: answered `failure` + this message, nothing changed."""


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def file_limit() -> int:
    """Largest chunk 1C may send in one request (below the project's body cap)."""
    return min(int(setting("ONEC_FILE_LIMIT", 8 * 1024 * 1024)), int(settings.MAX_UPLOAD_SIZE) - 1024)


# --- Accounts and login -------------------------------------------------------------


def create_account(tenant: Any, *, username: str, password: str, actor: Any = None, **fields: Any) -> OneCExchange:
    account = OneCExchange(tenant=tenant, username=username, **fields)
    account.set_password(password)
    account.save()
    audit.record("onec.account_created", actor=actor, obj=account, after={"username": username})
    return account


#: fields of an account the API may set besides the password
ACCOUNT_FIELDS = ("name", "username", "is_active", "catalog_enabled", "orders_enabled", "price_type", "warehouse_map",
                  "missing_products", "publish_new_products", "reply_encoding", "status_map")  # fmt: skip


def save_account(
    tenant_id: int, *, account: OneCExchange | None = None, changes: dict[str, Any], actor: Any = None
) -> OneCExchange:
    """Create (no `account`) or change a tenant's 1C account: checks what the serializer
    cannot (a free username, warehouse codes of the tenant); the password is hashed."""
    from catalog.models import Warehouse

    username = changes.get("username")
    if username and OneCExchange.objects.filter(username=username).exclude(pk=getattr(account, "pk", None)).exists():
        raise Conflict(_("This username is taken; 1C logs in by username alone, so it must be unique."))
    codes = set((changes.get("warehouse_map") or {}).values())
    known = set(Warehouse.objects.filter(tenant_id=tenant_id, code__in=codes).values_list("code", flat=True))
    if codes - known:
        raise ValidationFailed(details={"warehouse_map": [
            _("Unknown warehouse code(s): %(codes)s") % {"codes": ", ".join(sorted(codes - known))}]})  # fmt: skip
    with transaction.atomic():
        if account is None:
            account = OneCExchange(tenant_id=tenant_id)
            if "password" not in changes:
                raise ValidationFailed(details={"password": [_("Set a password for the new account.")]})
        else:
            account = OneCExchange.objects.select_for_update().get(pk=account.pk, tenant_id=tenant_id)
        before = _account_snapshot(account) if account.pk else None
        for name in ACCOUNT_FIELDS:
            if name in changes:
                setattr(account, name, changes[name])
        if "password" in changes:
            account.set_password(changes["password"])
        account.save()
        after = {**_account_snapshot(account), "password_changed": "password" in changes}
        audit.record("onec.account_created" if before is None else "onec.account_updated", actor=actor,
                     obj=account, before=before, after=after)  # fmt: skip
    return account


def _account_snapshot(account: OneCExchange) -> dict[str, Any]:
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


def login(request: HttpRequest, username: str, password: str, kind: str) -> ExchangeSession:
    """Check HTTP Basic credentials; a failure counts towards the project's lockout."""
    label = f"1c:{username}"
    credentials = {"username": label}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise ExchangeError(_("Too many failed login attempts; try again later."))
    account = OneCExchange.objects.filter(username=username, is_active=True).select_related("tenant").first()
    if account is None or not account.check_password(password) or not account.tenant.is_active:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        request.axes_locked_out = False  # the answer stays a plain `failure` for 1C
        raise ExchangeError(_("Wrong username or password."))
    if (kind == "catalog" and not account.catalog_enabled) or (kind == "sale" and not account.orders_enabled):
        raise ExchangeError(_("This exchange is switched off for the account."))
    return ExchangeSession.objects.create(
        tenant_id=account.tenant_id, account=account, kind=kind, token=secrets.token_hex(24),
        remote_addr=request.META.get("REMOTE_ADDR") or None,
    )  # fmt: skip


def session_for(token: str | None, kind: str) -> ExchangeSession:
    hours = int(setting("ONEC_SESSION_HOURS", 12))
    session = (
        ExchangeSession.objects.select_related("account")
        .filter(token=token or "-", state=SessionState.OPEN, started_at__gte=timezone.now() - timedelta(hours=hours))
        .first()
    )
    if session is None or not session.account.is_active:
        raise ExchangeError(_("Not logged in: call checkauth first."))
    if session.kind != kind:
        raise ExchangeError(_("This session was opened for type=%(kind)s.") % {"kind": session.kind})
    return session


def open_command_session(account: OneCExchange, kind: str = "command") -> ExchangeSession:
    return ExchangeSession.objects.create(
        tenant_id=account.tenant_id, account=account, kind=kind, token=secrets.token_hex(24)
    )


# --- Files ----------------------------------------------------------------------------


def folder_of(session: ExchangeSession) -> Path:
    folder = Path(session.folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_name(filename: str | None) -> str:
    """A relative path with plain parts (import.xml, import_files/ab/cd.jpg)."""
    name = (filename or "").replace("\\", "/").strip()
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or any(p in ("..", ".", "") for p in parts) or ":" in name or len(name) > 255:
        raise ExchangeError(_("Bad file name: %(name)s") % {"name": name[:100]})
    return "/".join(parts)


def receive_chunk(session: ExchangeSession, filename: str | None, chunks: Iterator[bytes]) -> int:
    """Append one POSTed chunk to the named file; returns the file's size so far."""
    name = safe_name(filename)
    target = folder_of(session) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    limit, total_limit = file_limit(), int(setting("ONEC_MAX_FILE_BYTES", 512 * 1024 * 1024))
    before = target.stat().st_size if target.exists() else 0
    written = 0
    with target.open("ab") as handle:
        for chunk in chunks:
            written += len(chunk)
            if written > limit or before + written > total_limit:
                handle.truncate(before)
                raise ExchangeError(_("The file is larger than the limit."))
            handle.write(chunk)
    files = dict(session.files)
    files[name] = {"size": before + written, "chunks": files.get(name, {}).get("chunks", 0) + 1}
    session.files = files
    session.save(update_fields=["files", "updated_at"])
    return before + written


def unpack_archives(session: ExchangeSession) -> list[str]:
    """Unpack every received .zip once, after checking member names and sizes."""
    folder = folder_of(session)
    unpacked = []
    for name in sorted(session.files):
        if not name.lower().endswith(".zip") or session.progress.get(name, {}).get("unpacked"):
            continue
        _unzip(folder / name, folder)
        session.progress[name] = {"unpacked": True, "finished": True}
        unpacked.append(name)
    if unpacked:
        session.save(update_fields=["progress", "updated_at"])
    return unpacked


def _unzip(archive: Path, folder: Path) -> None:
    max_total = int(setting("ONEC_MAX_UNZIPPED_BYTES", 1024 * 1024 * 1024))
    max_ratio = int(setting("ONEC_MAX_ZIP_RATIO", 200))
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            total = sum(m.file_size for m in members)
            packed = max(sum(m.compress_size for m in members), 1)
            for member in members:
                safe_name(member.filename)
            if total > max_total or total / packed > max_ratio:
                raise ExchangeError(_("The archive unpacks to too much data (a zip bomb?)."))
            for member in members:
                target = folder / safe_name(member.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                left = member.file_size
                with zf.open(member) as source, target.open("wb") as out:
                    while chunk := source.read(1024 * 1024):
                        left -= len(chunk)
                        if left < 0:  # pragma: no cover (zipfile checks sizes itself)
                            raise ExchangeError(_("The archive is damaged."))
                        out.write(chunk)
    except zipfile.BadZipFile as exc:
        raise ExchangeError(_("The archive is damaged: %(error)s") % {"error": exc}) from exc


# --- Import -----------------------------------------------------------------------------


def import_step(session: ExchangeSession, filename: str | None) -> tuple[bool, str]:
    """One `mode=import` call: unpack what arrived, then go on with the file."""
    name = safe_name(filename)
    try:
        unpack_archives(session)
        path = folder_of(session) / name
        if not path.is_file():
            raise ExchangeError(_("File %(name)s was not received.") % {"name": name})
        finished, message = importer.run_step(session, path)
    except ExchangeError as exc:
        fail(session, str(exc))
        raise
    except (parsing.BadFile, DomainError) as exc:
        fail(session, str(exc))
        raise ExchangeError(str(exc)) from exc
    return finished, message


def fail(session: ExchangeSession, reason: str) -> None:
    session.refresh_from_db(fields=["errors"])
    session.errors = [*session.errors, reason][-200:]
    session.save(update_fields=["errors", "updated_at"])


@transaction.atomic
def finish(session: ExchangeSession, state: str = SessionState.DONE) -> None:
    session.state, session.finished_at = state, timezone.now()
    session.save(update_fields=["state", "finished_at", "updated_at"])
    audit.record("onec.exchange_finished", actor=f"1C:{session.account.username}", obj=session,
                 after={"kind": session.kind, "counts": session.counts, "files": sorted(session.files)[:50]})  # fmt: skip


# --- Retention of received files ----------------------------------------------------------


def retention_days() -> int:
    return int(setting("ONEC_EXCHANGE_RETENTION_DAYS", 7))


@dataclass
class Cleanup:
    sessions: int = 0
    orphans: int = 0
    bytes_freed: int = 0
    names: list[str] = field(default_factory=list)


def purge_old_exchanges(*, days: int | None = None, now: datetime | None = None, dry_run: bool = False) -> Cleanup:
    """Delete the received files of exchanges whose last request is more than `days`
    (default: ONEC_EXCHANGE_RETENTION_DAYS; 0 or less keeps them forever) ago. The
    sessions stay, marked `files_purged_at`; folders left by deleted sessions go too."""
    days = retention_days() if days is None else days
    result = Cleanup()
    if days <= 0:
        return result
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    root = Path(exchange_root()).resolve()
    old = ExchangeSession.objects.filter(updated_at__lt=cutoff, files_purged_at__isnull=True).order_by("pk")
    for session in old.iterator(chunk_size=200):
        result.bytes_freed += _remove(Path(session.folder), root, dry_run)
        result.sessions += 1
        result.names.append(str(session))
        if not dry_run:
            ExchangeSession.objects.filter(pk=session.pk).update(files_purged_at=now)
    known = {Path(folder).name for folder in _session_folders()}
    for folder in root.glob("*/*") if root.is_dir() else ():
        if folder.is_dir() and folder.name not in known and folder.stat().st_mtime < cutoff.timestamp():
            result.bytes_freed += _remove(folder, root, dry_run)
            result.orphans += 1
    if result.sessions or result.orphans:
        audit.record("onec.exchange_files_purged", actor="retention", after={
            "sessions": result.sessions, "orphans": result.orphans, "bytes": result.bytes_freed,
            "days": days, "dry_run": dry_run})  # fmt: skip
    return result


def _session_folders() -> Iterator[str]:
    """The folders of every session whose files are kept (not purged yet)."""
    for tenant_id, pk, token in ExchangeSession.objects.filter(files_purged_at__isnull=True).values_list(
        "tenant_id", "pk", "token"
    ):
        yield f"{tenant_id}/{pk}-{token[:16]}"


def _remove(folder: Path, root: Path, dry_run: bool) -> int:
    """Delete a session folder below the exchange root; returns the bytes it held."""
    folder = folder.resolve()
    if not folder.is_dir() or not folder.is_relative_to(root) or folder == root:
        return 0
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    if not dry_run:
        shutil.rmtree(folder, ignore_errors=True)
    return size
