"""manage.py backup / restore: a round trip brings the data and the media back; a changed,
foreign or unreadable archive is refused and changes nothing.

The commands run in subprocesses against a database of their own (a SQLite file, or a
throwaway PostgreSQL database), as an operator would run them.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # every step starts Django in a subprocess

STATE = (
    "import json; from accounts.models import Tenant; from catalog.models import Product; "
    "print(json.dumps({'tenants': sorted(Tenant.objects.values_list('name', flat=True)), "
    "'products': sorted(Product.objects.values_list('title', flat=True))}))"
)
SEED = (
    "from accounts import services; from catalog.services.bulk import bulk_upsert; "
    "tenant, _owner = services.create_tenant(slug='shop', name='Backup Shop', owner_username='shop-owner', "
    "owner_email='owner@shop.example.com', owner_password='Correct-Horse-Battery-9'); "
    "rows = [{'sku': f'SKU-{i}', 'title': f'Product {i}', 'price': '9.90', 'stock': i} for i in range(1, 6)]; "
    "assert bulk_upsert(tenant.pk, rows, policy='reject').applied"
)
CHANGE = (
    "from accounts.models import Tenant; from catalog.models import Product; "
    "Tenant.objects.create(slug='late', name='Late Store'); Product.objects.update(title='Changed')"
)
MANIFEST_NAME = "manifest.json"
MEDIA = {"products/1/7/shirt.webp": b"RIFF-first-image", "products/1/7/thumb.webp": b"RIFF-thumb"}


def _env(database_url: str, folder: Path) -> dict[str, str]:
    drop = {"REDIS_URL", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER", "DJANGO_ENV", "DEBUG", "MEDIA_ROOT"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(DATABASE_URL=database_url, MEDIA_ROOT=str(folder / "media"), BACKUP_DIR=str(folder / "backups"))
    return env


def _manage(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _state(env: dict[str, str]) -> dict:
    return json.loads(_ok(_manage(env, "shell", "--no-imports", "-c", STATE)).strip().splitlines()[-1])


def _media(env: dict[str, str]) -> dict[str, bytes]:
    root = Path(env["MEDIA_ROOT"])
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write_media(env: dict[str, str], files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = Path(env["MEDIA_ROOT"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` whose members went through `change(name, data)` -> {name: data}."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members:
            for new_name, new_data in change(name, data).items():
                info = tarfile.TarInfo(new_name)
                info.size = len(new_data)
                tar.addfile(info, io.BytesIO(new_data))
    return target


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory) -> Path:
    """A migrated SQLite database with a tenant and five products, made once and copied by each test."""
    folder = tmp_path_factory.mktemp("seeded")
    env = _env(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    _ok(_manage(env, "migrate", "--noinput", "-v", "0"))
    _ok(_manage(env, "shell", "--no-imports", "-c", SEED))
    return folder / "db.sqlite3"


@pytest.fixture
def site(tmp_path, seeded_sqlite) -> dict[str, str]:
    shutil.copy(seeded_sqlite, tmp_path / "db.sqlite3")
    env = _env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    _write_media(env, MEDIA)
    return env


@pytest.fixture
def archive(site) -> Path:
    _ok(_manage(site, "backup", "--output", str(Path(site["BACKUP_DIR"]) / "first.tar.gz")))
    return Path(site["BACKUP_DIR"]) / "first.tar.gz"


def test_sqlite_round_trip_brings_back_the_data_and_the_media(site):
    before, media_before = _state(site), _media(site)
    assert before == {"tenants": ["Backup Shop"], "products": [f"Product {i}" for i in range(1, 6)]}

    backup = _manage(site, "backup")

    written = list(Path(site["BACKUP_DIR"]).iterdir())
    assert [p.name for p in written] == [re.match(r"meschain-\d{8}T\d{6}Z\.tar\.gz", p.name)[0] for p in written]
    assert (written[0].stat().st_mode & 0o777) == 0o600  # holds secrets: owner only
    assert re.fullmatch(
        rf"Backup written to {re.escape(str(written[0]))} \([\d.]+ KB\): the SQLite database and 2 media files\.\n",
        _ok(backup),
    )
    assert "Dumping the SQLite database" in backup.stderr
    with tarfile.open(written[0]) as tar:
        assert sorted(tar.getnames()) == ["database.sqlite3", "manifest.json", *(f"media/{n}" for n in MEDIA)]
        manifest = json.load(tar.extractfile("manifest.json"))
    assert (manifest["format"], manifest["engine"], manifest["version"]) == (1, "sqlite", "0.1.0")
    assert "0001_initial" in manifest["migrations"]["catalog"]
    assert manifest["files"]["media/products/1/7/shirt.webp"]["size"] == len(MEDIA["products/1/7/shirt.webp"])

    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    _write_media(site, {"products/1/7/shirt.webp": b"RIFF-second", "products/2/new.webp": b"RIFF-new"})
    (Path(site["MEDIA_ROOT"]) / "products/1/7/thumb.webp").unlink()
    assert _state(site) != before

    restored = _manage(site, "restore", "--noinput", str(written[0]))

    assert _ok(restored).splitlines() == [
        f"Restored the SQLite database “{Path(site['MEDIA_ROOT']).parent / 'db.sqlite3'}” and 2 media files "
        f"from {written[0]}."
    ]
    assert "all checksums match" in restored.stderr
    assert _state(site) == before
    assert _media(site) == media_before


def test_restore_asks_before_replacing_anything(site, archive):
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    changed = _state(site)

    result = _manage(site, "restore", str(archive), stdin="no\n")

    assert result.returncode == 1
    assert "Type 'yes' to continue" in result.stdout
    assert "Restore cancelled; nothing was changed." in result.stderr
    assert _state(site) == changed

    _ok(_manage(site, "restore", str(archive), stdin="yes\n"))
    assert "Late Store" not in _state(site)["tenants"]


def test_a_changed_archive_is_refused_and_changes_nothing(site, archive, tmp_path):
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    _write_media(site, {"products/1/7/shirt.webp": b"RIFF-current"})
    changed, media = _state(site), _media(site)
    tampered = _rewrite(
        archive, tmp_path / "tampered.tar.gz",
        lambda name, data: {name: b"RIFF-evil" if name == "media/products/1/7/shirt.webp" else data},
    )  # fmt: skip

    result = _manage(site, "restore", "--noinput", str(tampered))

    assert result.returncode == 1
    assert (
        "The archive is damaged or was changed (media/products/1/7/shirt.webp does not match its checksum). "
        "Nothing was restored."
    ) in result.stderr
    assert (_state(site), _media(site)) == (changed, media)


def test_an_archive_with_a_path_outside_its_folder_is_refused(site, archive, tmp_path):
    escape = _rewrite(
        archive, tmp_path / "escape.tar.gz",
        lambda name, data: {name: data, "../outside.txt": b"x"} if name == MANIFEST_NAME else {name: data},
    )  # fmt: skip

    result = _manage(site, "restore", "--noinput", str(escape))

    assert result.returncode == 1
    assert "unexpected entry ../outside.txt" in result.stderr
    assert not (tmp_path.parent / "outside.txt").exists()


def test_an_archive_of_another_engine_is_refused(site, archive, tmp_path):
    def as_postgres(name: str, data: bytes) -> dict[str, bytes]:
        if name == MANIFEST_NAME:
            manifest = json.loads(data)
            manifest["engine"], manifest["database_file"] = "postgresql", "database.dump"
            manifest["files"]["database.dump"] = manifest["files"].pop("database.sqlite3")
            return {name: json.dumps(manifest).encode()}
        return {"database.dump" if name == "database.sqlite3" else name: data}

    foreign = _rewrite(archive, tmp_path / "postgres.tar.gz", as_postgres)
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    changed = _state(site)

    result = _manage(site, "restore", "--noinput", str(foreign))

    assert result.returncode == 1
    assert (
        "This archive holds a PostgreSQL database, but the configured database is SQLite. "
        "Restore it on an installation that uses PostgreSQL."
    ) in result.stderr
    assert _state(site) == changed


def test_a_missing_or_unreadable_archive_is_refused(site, tmp_path):
    (tmp_path / "notes.tar.gz").write_text("not an archive")

    missing = _manage(site, "restore", "--noinput", str(tmp_path / "nothing.tar.gz"))
    unreadable = _manage(site, "restore", "--noinput", str(tmp_path / "notes.tar.gz"))

    assert missing.returncode == unreadable.returncode == 1
    assert f"There is no backup archive at {tmp_path / 'nothing.tar.gz'}." in missing.stderr
    assert f"{tmp_path / 'notes.tar.gz'} is not a readable backup archive" in unreadable.stderr


@pytest.fixture
def throwaway_postgres(tmp_path):
    """A database of its own next to the test database, dropped afterwards."""
    import psycopg

    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_backup"[:63]
    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None,
              "password": db["PASSWORD"] or None}  # fmt: skip
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    yield _env(url, tmp_path)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres_round_trip_brings_back_the_data_and_the_media(throwaway_postgres):
    site = throwaway_postgres
    _ok(_manage(site, "migrate", "--noinput", "-v", "0"))
    _ok(_manage(site, "shell", "--no-imports", "-c", SEED))
    _write_media(site, MEDIA)
    before, media_before = _state(site), _media(site)
    target = Path(site["BACKUP_DIR"]) / "pg.tar.gz"

    backup = _manage(site, "backup", "--output", str(target))

    assert "the PostgreSQL database and 2 media files." in _ok(backup)
    with tarfile.open(target) as tar:
        assert tar.extractfile("database.dump").read(5) == b"PGDMP"  # pg_dump's custom format
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    _write_media(site, {"products/1/7/shirt.webp": b"RIFF-second", "products/2/new.webp": b"RIFF-new"})
    assert _state(site) != before

    restored = _manage(site, "restore", "--noinput", str(target))

    assert "Restored the PostgreSQL database" in _ok(restored)
    assert _state(site) == before
    assert _media(site) == media_before
    # the restored database keeps working: a change after the restore is accepted
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    assert "Late Store" in _state(site)["tenants"]


def test_an_archive_of_a_newer_version_is_refused(site, archive, tmp_path):
    def from_the_future(name: str, data: bytes) -> dict[str, bytes]:
        if name == MANIFEST_NAME:
            manifest = json.loads(data)
            manifest["migrations"]["catalog"].append("9999_from_the_future")
            return {name: json.dumps(manifest).encode()}
        return {name: data}

    newer = _rewrite(archive, tmp_path / "newer.tar.gz", from_the_future)
    _ok(_manage(site, "shell", "--no-imports", "-c", CHANGE))
    changed = _state(site)

    result = _manage(site, "restore", "--noinput", str(newer))

    assert result.returncode == 1
    assert (
        "This archive was made by a newer version of MesChain: its database has migrations this code does "
        "not know (catalog.9999_from_the_future). Update the code first."
    ) in result.stderr
    assert _state(site) == changed
