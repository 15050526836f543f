"""/api/onec-accounts: owners manage their tenant's 1C logins; the password is
write-only and hashed; other tenants' accounts do not exist; bad input changes nothing."""

import json
from typing import Any

import pytest

from catalog.services import taxonomy
from meschain.models import AuditLog
from onec import services
from onec.models import OneCExchange
from tests.onec.conftest import OneC

pytestmark = pytest.mark.django_db
URL = "/api/onec-accounts"
SECRET = "Ut-11-Secret-Pass"


def _body(**overrides: Any) -> dict[str, Any]:
    return {"name": "УТ 11", "username": "ut11-alpha", "password": SECRET, **overrides}


def test_owner_creates_an_account_1c_can_log_in_with_and_the_password_never_shows(owner, client_for):
    client = client_for(owner)
    response = client.post(URL, _body(price_type="Розничная", status_map={"Отгружен": "completed"}), format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["username"] == "ut11-alpha" and data["price_type"] == "Розничная" and data["is_active"] is True
    assert data["status_map"] == {"Отгружен": "completed"} and "/bitrix/admin/1c_exchange.php" in data["exchange_urls"]
    account = OneCExchange.objects.get(username="ut11-alpha")
    assert account.tenant_id == owner.tenant_id and account.password != SECRET and account.check_password(SECRET)
    assert OneC("ut11-alpha", SECRET).checkauth()[0] == "success"

    answers = [response, client.get(URL), client.get(f"{URL}/{account.pk}"),
               client.patch(f"{URL}/{account.pk}", {"password": SECRET + "-2"}, format="json")]  # fmt: skip
    for answer in answers:
        assert answer.status_code in (200, 201)
        assert SECRET not in answer.content.decode() and "password" not in answer.json()["data"]
    audit = json.dumps(list(AuditLog.objects.filter(action__startswith="onec.").values("before", "after")), default=str)
    assert SECRET not in audit and account.password not in audit
    assert OneC("ut11-alpha", SECRET).checkauth()[0] == "failure"
    assert OneC("ut11-alpha", SECRET + "-2").checkauth()[0] == "success"
    assert client.get(URL).json()["data"][0]["id"] == account.pk


def test_update_and_disable_switch_the_login_off_but_keep_the_account(owner, client_for, tenant_a):
    taxonomy.save_warehouse(tenant_a.pk, code="msk", name="Москва")
    account = services.create_account(tenant_a, username="1c-alpha", password=SECRET)
    client = client_for(owner)
    changed = client.patch(f"{URL}/{account.pk}", {"warehouse_map": {"guid-1": "msk"}, "orders_enabled": False,
                                                   "missing_products": "keep"}, format="json")  # fmt: skip
    assert changed.status_code == 200, changed.content
    account.refresh_from_db()
    assert account.warehouse_map == {"guid-1": "msk"} and not account.orders_enabled and account.missing_products == "keep"
    assert account.check_password(SECRET)  # not sent: unchanged

    disabled = client.post(f"{URL}/{account.pk}/disable")
    assert disabled.status_code == 200 and disabled.json()["data"]["is_active"] is False
    assert OneC("1c-alpha", SECRET).checkauth()[0] == "failure"
    assert OneCExchange.objects.filter(pk=account.pk).exists()
    assert client.patch(f"{URL}/{account.pk}", {"is_active": True}, format="json").status_code == 200
    assert OneC("1c-alpha", SECRET).checkauth()[0] == "success"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "password": SECRET}, "username"),
        (_body(password="short"), "password"),
        ({"name": "x", "username": "ut11-alpha"}, "password"),
        (_body(username="has:colon"), "username"),
        (_body(username="a b"), "username"),
        (_body(missing_products="delete"), "missing_products"),
        (_body(reply_encoding="koi8-r"), "reply_encoding"),
        (_body(status_map={"Выполнен": "shipped"}), "status_map"),
        (_body(warehouse_map={"guid": "no-such-code"}), "warehouse_map"),
        (_body(warehouse_map=["msk"]), "warehouse_map"),
        (_body(name="x\x00y"), "name"),
        (_body(tenant=999), "tenant"),
        (_body(is_active="maybe"), "is_active"),
    ],
)
def test_bad_input_is_a_400_and_creates_nothing(owner, client_for, body, field):
    response = client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    assert SECRET not in response.content.decode()
    assert not OneCExchange.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="onec.").exists()


def test_bad_update_changes_nothing(owner, client_for, tenant_a):
    account = services.create_account(tenant_a, username="1c-alpha", password=SECRET, name="Before")
    client = client_for(owner)
    for body in ({"name": "After", "reply_encoding": "latin-1"}, {"name": "After", "password": "x"},
                 {"name": "After", "warehouse_map": {"g": "nope"}}, {"name": "After", "orders_confirmed_at": None}):  # fmt: skip
        assert client.patch(f"{URL}/{account.pk}", body, format="json").status_code == 400
    account.refresh_from_db()
    assert account.name == "Before" and account.check_password(SECRET) and account.reply_encoding == "utf-8"


def test_a_taken_username_is_a_conflict_even_in_another_tenant(owner, client_for, tenant_b):
    services.create_account(tenant_b, username="ut11-alpha", password="x" * 10)
    response = client_for(owner).post(URL, _body(), format="json")
    assert response.status_code == 409
    assert OneCExchange.objects.count() == 1


def test_another_tenants_accounts_are_not_found(owner, other_owner, client_for, tenant_b):
    theirs = services.create_account(tenant_b, username="1c-beta", password=SECRET, name="Theirs")
    client = client_for(owner)
    assert client.get(URL).json()["data"] == []
    assert client.get(f"{URL}/{theirs.pk}").status_code == 404
    assert client.patch(f"{URL}/{theirs.pk}", {"password": "Stolen-Pass-1"}, format="json").status_code == 404
    assert client.post(f"{URL}/{theirs.pk}/disable").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.check_password(SECRET) and theirs.name == "Theirs"
    assert client_for(other_owner).get(URL).json()["data"][0]["id"] == theirs.pk


def test_only_owners_may_manage_accounts(manager, operator, viewer, client_for, anon_client, tenant_a, make_api_key,
                                         key_client):  # fmt: skip
    account = services.create_account(tenant_a, username="1c-alpha", password=SECRET)
    _key, full_key = make_api_key(tenant_a, scopes=["catalog:read", "catalog:write", "orders:read", "orders:write"])
    for client in (client_for(manager), client_for(operator), client_for(viewer), anon_client, key_client(full_key)):
        assert client.get(URL).status_code in (401, 403)
        assert client.post(URL, _body(), format="json").status_code in (401, 403)
        assert client.post(f"{URL}/{account.pk}/disable").status_code in (401, 403)
    assert OneCExchange.objects.count() == 1 and OneCExchange.objects.get().is_active
