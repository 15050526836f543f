"""Every bad request answers `failure` with a reason and leaves the catalogue untouched;
other encodings and forms of the files import the same."""

import base64

import pytest

from catalog.models import Category, Product, Variant
from meschain.models import AuditLog
from onec.models import ExchangeSession
from tests.onec.conftest import DATA, PASSWORD, URL, OneC, zipped

pytestmark = pytest.mark.django_db


def _nothing_imported() -> bool:
    return not Product.objects.exists() and not Variant.objects.exists() and not Category.objects.exists()


def _import_raw(onec: OneC, name: str, data: bytes) -> list[str]:
    assert onec.checkauth()[0] == "success"
    onec.init()
    assert onec.upload(name, data) == [["success"]]
    return onec.import_until_done(name)[-1]


def test_wrong_password_fails_and_counts_towards_the_lockout(account):
    for _attempt in range(4):
        assert OneC(password="wrong").checkauth()[:2] == ["failure", "Wrong username or password."]
    assert AuditLog.objects.filter(action="auth.login_failed", actor_label="1c:1c-alpha").count() == 4

    OneC(password="wrong").checkauth()  # the fifth failure locks
    locked = OneC().checkauth()  # now even the right password is refused

    assert locked[0] == "failure" and "Too many failed login attempts" in locked[1]
    assert not ExchangeSession.objects.exists()


def test_requests_without_the_session_cookie_fail(account):
    client = OneC()
    assert client.text(client.get("catalog", "init"))[:2] == ["failure", "Not logged in: call checkauth first."]
    assert client.text(client.get("nonsense", "init"))[0] == "failure"
    assert client.checkauth()[0] == "success"
    assert client.text(client.get("sale", "query"))[0] == "failure"  # opened for type=catalog
    assert client.text(client.get("catalog", "dance"))[0] == "failure"
    assert client.text(client.get("catalog", "file", filename="a.xml"))[0] == "failure"  # GET, not POST
    assert _nothing_imported()


def test_basic_auth_is_required_on_checkauth(account):
    client = OneC()
    assert client.text(client.get("catalog", "checkauth"))[0] == "failure"
    bad = client.client.get(URL, {"type": "catalog", "mode": "checkauth"}, HTTP_AUTHORIZATION="Basic !!!")
    assert client.text(bad)[0] == "failure"


def test_xxe_payload_is_refused(onec):
    payload = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<\xd0\x9a\xd0\xbe\xd0\xbc>&xxe;</\xd0\x9a\xd0\xbe\xd0\xbc>'
    )
    reply = _import_raw(onec, "import.xml", payload)
    assert reply[0] == "failure" and "DTD" in reply[1]
    assert _nothing_imported()
    assert ExchangeSession.objects.get().errors


def test_malformed_xml_is_refused_before_anything_changes(onec, settings):
    settings.ONEC_IMPORT_BATCH = 5
    good = (DATA / "import0_1.xml").read_bytes()
    broken = good[: len(good) * 3 // 4]  # products parse, then the file breaks off
    reply = _import_raw(onec, "import.xml", broken)
    assert reply[0] == "failure" and "malformed" in reply[1]
    assert _nothing_imported()


def test_not_a_commerceml_file_is_refused(onec):
    assert _import_raw(onec, "import.xml", b"<html><body/></html>")[0] == "failure"
    assert _nothing_imported()


def test_zip_bomb_is_refused(onec):
    bomb = zipped({"import.xml": b"\0" * (5 * 1024 * 1024)})
    assert len(bomb) < 20_000
    assert _import_raw(onec, "bomb.zip", bomb)[:1] == ["failure"]
    reply = onec.text(onec.get("catalog", "import", filename="import.xml"))
    assert reply[0] == "failure" and "zip bomb" in reply[1]
    assert _nothing_imported()


def test_zip_members_outside_the_folder_are_refused(onec, tmp_path):
    archive = zipped({"../../evil.xml": b"<a/>", "import.xml": (DATA / "import0_1.xml").read_bytes()})
    assert onec.checkauth()[0] == "success"
    onec.upload("x.zip", archive)
    reply = onec.text(onec.get("catalog", "import", filename="import.xml"))
    assert reply[0] == "failure" and "Bad file name" in reply[1]
    assert _nothing_imported()


def test_file_names_with_dot_dot_are_refused(onec):
    assert onec.checkauth()[0] == "success"
    assert onec.upload("../x.xml", b"<a/>")[0][0] == "failure"
    assert onec.upload("/etc/x.xml", b"<a/>")[0][0] == "failure"
    assert onec.text(onec.get("catalog", "import", filename="missing.xml"))[0] == "failure"


def test_uploads_over_the_limit_are_refused(onec, settings):
    settings.ONEC_FILE_LIMIT = 1000
    assert onec.checkauth()[0] == "success"
    assert onec.init()["file_limit"] == "1000"
    assert onec.upload("import.xml", b"x" * 1500)[0][0] == "failure"
    settings.ONEC_FILE_LIMIT, settings.ONEC_MAX_FILE_BYTES = 1000, 1500
    onec.upload("import.xml", b"x" * 900)
    assert onec.upload("import.xml", b"x" * 900)[0][0] == "failure"  # appended, the whole file is too big


def test_windows_1251_file_without_namespace_imports_like_the_original(onec, tenant_a):
    source = (DATA / "import0_1.xml").read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    source = source.replace('encoding="UTF-8"', 'encoding="windows-1251"').replace(' xmlns="urn:1C.ru:commerceml_2"', "")
    reply = _import_raw(onec, "import.xml", source.encode("cp1251"))
    assert reply[0] == "success"
    expected = source.count("<Товар>") + source.count("<Товар ") - source.count('Статус="Удален"')
    assert Product.objects.filter(tenant=tenant_a).count() == expected
    assert Product.objects.filter(title__startswith="Портативный коврик").exists()


def test_replies_in_windows_1251_when_the_account_says_so(account):
    account.reply_encoding = "windows-1251"
    account.save()
    client = OneC(password="wrong")
    assert client.checkauth()[0] == "failure"
    client = OneC()
    response = client.client.get(URL, {"type": "catalog", "mode": "checkauth"},
                                 HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"1c-alpha:{PASSWORD}".encode()).decode())
    assert response["Content-Type"] == "text/plain; charset=windows-1251"


def test_exchange_requests_are_rate_limited(account, settings):
    settings.ONEC_RATE_LIMIT = 3
    client = OneC()
    for _attempt in range(3):
        client.get("catalog", "init")
    response = client.get("catalog", "init")
    assert response.status_code == 429 and client.text(response)[0] == "failure"
    assert response["Retry-After"] == "60"


def test_complete_closes_the_session(onec):
    assert onec.checkauth()[0] == "success"
    assert onec.text(onec.get("catalog", "complete")) == ["success"]
    assert ExchangeSession.objects.get().state == "done"
    assert onec.text(onec.get("catalog", "init"))[0] == "failure"  # closed
