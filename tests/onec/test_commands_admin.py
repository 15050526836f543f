"""The two commands, and the admin: accounts with hashed passwords, sessions with a
download of what was received, each tenant seeing only its own."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from catalog.models import Product
from onec import services
from onec.models import ExchangeSession, OneCExchange
from orders import services as orders
from tests.onec.conftest import DATA, OneC

pytestmark = pytest.mark.django_db


def test_import_command_imports_the_files_with_a_summary(tenant_a, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_commerceml", str(DATA / "import0_1.xml"), str(DATA / "offers0_1.xml"), tenant=tenant_a.slug,
                 stdout=out, stderr=err)  # fmt: skip
    assert "products_created: 35" in out.getvalue()
    assert "rows" in err.getvalue()  # progress
    assert Product.objects.filter(tenant=tenant_a).count() == 35
    account = OneCExchange.objects.get(tenant=tenant_a)
    assert not account.is_active and not account.check_password("")  # holds the id mapping only

    call_command("import_commerceml", str(DATA / "import0_1.xml"), tenant=tenant_a.slug, stdout=out, stderr=err)
    assert ExchangeSession.objects.latest("pk").counts.get("products_created", 0) == 0


def test_import_command_refuses_bad_input(tenant_a, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_commerceml", "nope.xml", tenant=tenant_a.slug)
    with pytest.raises(CommandError):
        call_command("import_commerceml", str(DATA / "import0_1.xml"), tenant="nobody")
    with pytest.raises(CommandError):
        call_command("import_commerceml", str(DATA / "import0_1.xml"), tenant=tenant_a.slug, account="missing")
    bad = tmp_path / "import.xml"
    bad.write_text("<КоммерческаяИнформация><Каталог>")
    with pytest.raises(CommandError, match="malformed"):
        call_command("import_commerceml", str(bad), tenant=tenant_a.slug, stderr=io.StringIO())
    assert not Product.objects.exists()


def test_export_command_writes_valid_commerceml(tenant_a, tmp_path):
    call_command("import_commerceml", str(DATA / "import0_1.xml"), str(DATA / "offers0_1.xml"), tenant=tenant_a.slug,
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    orders.place_order(tenant_a.pk, channel="storefront", lines=[{"sku": "PM-421-WP", "quantity": 1}], stock_policy="skip")
    target = tmp_path / "orders.xml"
    err = io.StringIO()
    call_command("export_commerceml_orders", tenant=tenant_a.slug, out=str(target), since="2020-01-01", stderr=err)
    root = etree.parse(str(target))
    assert etree.XMLSchema(etree.parse(str(DATA / "commerceml-2.08.xsd"))).validate(root)
    assert "1 orders exported." in err.getvalue()
    with pytest.raises(CommandError):
        call_command("export_commerceml_orders", tenant=tenant_a.slug, since="yesterday")


def test_admin_creates_accounts_with_hashed_passwords(owner, admin_client_for):
    client = admin_client_for(owner)
    response = client.post("/admin/onec/onecexchange/add/", {
        "name": "UT 11", "username": "ut11", "new_password": "S3cret-1c!", "is_active": "on", "catalog_enabled": "on",
        "orders_enabled": "on", "missing_products": "archive", "reply_encoding": "utf-8", "warehouse_map": "{}",
        "status_map": "{}", "price_type": "",
    })  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    account = OneCExchange.objects.get(username="ut11")
    assert account.tenant_id == owner.tenant_id and account.password != "S3cret-1c!"
    assert OneC("ut11", "S3cret-1c!").checkauth()[0] == "success"
    missing = client.post("/admin/onec/onecexchange/add/", {"name": "x", "username": "x2", "missing_products": "archive",
                                                           "reply_encoding": "utf-8", "warehouse_map": "{}", "status_map": "{}"})  # fmt: skip
    assert missing.status_code == 200 and not OneCExchange.objects.filter(username="x2").exists()


def test_admin_shows_sessions_of_its_tenant_only_with_a_download(owner, other_owner, tenant_b, admin_client_for, account):
    client = OneC()
    client.checkauth()
    client.upload("import.xml", (DATA / "import0_1.xml").read_bytes())
    client.import_until_done("import.xml")
    session = ExchangeSession.objects.get()
    theirs = services.create_account(tenant_b, username="1c-b", password="x")
    other_session = services.open_command_session(theirs)

    admin = admin_client_for(owner)
    listing = admin.get("/admin/onec/exchangesession/")
    assert listing.status_code == 200 and f"catalog #{session.pk}" in listing.content.decode()
    assert f"command #{other_session.pk}" not in listing.content.decode()
    detail = admin.get(f"/admin/onec/exchangesession/{session.pk}/change/")
    assert "products_created" in detail.content.decode() and "download" in detail.content.decode()
    download = admin.get(f"/admin/onec/exchangesession/{session.pk}/download/")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    assert names == ["import.xml"]
    assert admin.get(f"/admin/onec/exchangesession/{other_session.pk}/download/").status_code == 404
    assert admin.get(f"/admin/onec/exchangesession/{other_session.pk}/change/").status_code == 302  # not theirs
    assert admin_client_for(other_owner).get(f"/admin/onec/exchangesession/{session.pk}/download/").status_code == 404
