"""Received exchange files are deleted after the retention period; the exchange's
record (files list, counts, errors) stays and the admin says the files are gone."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from onec import services, tasks
from onec.models import ExchangeSession
from tests.onec.conftest import DATA, OneC

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_exchange_dir(settings, tmp_path):
    settings.ONEC_EXCHANGE_DIR = str(tmp_path / "exchange")
    settings.ONEC_EXCHANGE_RETENTION_DAYS = 7


def _exchange(account) -> ExchangeSession:
    client = OneC()
    assert client.checkauth()[0] == "success"
    assert client.upload("import.xml", (DATA / "import0_1.xml").read_bytes()) == [["success"]]
    assert client.import_until_done("import.xml")[-1][0] == "success"
    return ExchangeSession.objects.filter(account=account).latest("pk")


def _age(session: ExchangeSession, days: int) -> None:
    ExchangeSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_old_exchanges_lose_their_files_but_keep_their_record(account, capsys):
    old, recent = _exchange(account), _exchange(account)
    _age(old, 8)
    _age(recent, 6)
    old_folder, recent_folder = Path(old.folder), Path(recent.folder)
    assert (old_folder / "import.xml").is_file()

    call_command("cleanup_onec_exchanges")

    assert "Deleted the files of 1 exchange(s)" in capsys.readouterr().out
    assert not old_folder.exists() and (recent_folder / "import.xml").is_file()
    old.refresh_from_db()
    assert old.files_purged_at is not None
    assert "import.xml" in old.files and old.counts.get("products_created")  # the record stays
    recent.refresh_from_db()
    assert recent.files_purged_at is None

    call_command("cleanup_onec_exchanges")  # nothing left to do
    assert "Deleted the files of 0 exchange(s)" in capsys.readouterr().out
    assert (recent_folder / "import.xml").is_file()


def test_dry_run_and_a_shorter_retention_from_the_command_line(account, capsys):
    session = _exchange(account)
    _age(session, 3)
    call_command("cleanup_onec_exchanges", "--days", "2", "--dry-run")
    assert "Would delete the files of 1 exchange(s)" in capsys.readouterr().out
    assert Path(session.folder, "import.xml").is_file()
    call_command("cleanup_onec_exchanges", "--days", "2")
    assert not Path(session.folder).exists()


def test_bad_days_are_refused_and_nothing_is_deleted(account):
    session = _exchange(account)
    _age(session, 30)
    for bad in ("0", "-3"):
        with pytest.raises(CommandError, match="--days"):
            call_command("cleanup_onec_exchanges", "--days", bad)
    with pytest.raises(CommandError):
        call_command("cleanup_onec_exchanges", "--days", "soon")
    assert Path(session.folder, "import.xml").is_file()
    session.refresh_from_db()
    assert session.files_purged_at is None


def test_retention_zero_keeps_files_forever(account, settings, capsys):
    settings.ONEC_EXCHANGE_RETENTION_DAYS = 0
    session = _exchange(account)
    _age(session, 400)
    call_command("cleanup_onec_exchanges")
    assert "Retention is off" in capsys.readouterr().out
    assert tasks.cleanup_exchanges() == 0
    assert Path(session.folder, "import.xml").is_file()


def test_the_beat_task_purges_and_folders_of_deleted_sessions_go_too(account, settings):
    session = _exchange(account)
    _age(session, 10)
    orphan = Path(settings.ONEC_EXCHANGE_DIR) / str(account.tenant_id) / "999999-0123456789abcdef"
    orphan.mkdir(parents=True)
    (orphan / "import.xml").write_bytes(b"<x/>")
    fresh_orphan = orphan.with_name("999998-0123456789abcdef")
    fresh_orphan.mkdir()
    long_ago = (timezone.now() - timedelta(days=30)).timestamp()
    os.utime(orphan, (long_ago, long_ago))
    outside = Path(settings.ONEC_EXCHANGE_DIR).parent / "keep.txt"
    outside.write_text("not ours")

    assert tasks.cleanup_exchanges() == 1
    assert not Path(session.folder).exists() and not orphan.exists()
    assert fresh_orphan.exists() and outside.exists()  # recent, or not below the exchange root


def test_admin_says_the_files_were_deleted(account, owner, admin_client_for):
    session = _exchange(account)
    _age(session, 8)
    services.purge_old_exchanges()
    admin = admin_client_for(owner)
    detail = admin.get(f"/admin/onec/exchangesession/{session.pk}/change/").content.decode()
    assert "were deleted on" in detail and "Download what was received" not in detail
    response = admin.get(f"/admin/onec/exchangesession/{session.pk}/download/", follow=True)
    assert response.redirect_chain and "were deleted on" in response.content.decode()
