"""manage.py rotate_encryption_keys: every secret ends under the newest key, still readable,
and a second run changes nothing."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from marketplaces.models import MarketplaceAccount
from meschain import crypto
from tests.marketplaces.factories import connect, trendyol_credentials
from webhooks import services as webhook_services
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

OLD = "old:" + "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleSE="  # 32 bytes
NEW = "new:" + "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE="


def _stored(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _rotate(**options: Any) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out, **options)
    return out.getvalue()


def test_rotation_re_encrypts_every_secret_under_the_new_key(owner: Any, settings: Any) -> None:
    settings.ENCRYPTION_KEYS = OLD
    accounts = [connect(owner, name=f"Account {n}", seller_id=f"55500{n}") for n in range(3)]
    endpoint, secret = webhook_services.create_endpoint(
        tenant=owner.tenant, url="https://hooks.example.com/in", event_types=[], actor=owner
    )
    before = _stored("marketplaces_marketplaceaccount", "credentials")
    assert {crypto.key_id_of(value) for value in before} == {"old"}

    settings.ENCRYPTION_KEYS = f"{NEW},{OLD}"
    output = _rotate(batch_size=2)
    assert "marketplaces.MarketplaceAccount.credentials: 3 scanned, 3 re-encrypted, 0 unreadable" in output
    assert "webhooks.WebhookEndpoint.secret: 1 scanned, 1 re-encrypted, 0 unreadable" in output
    after = _stored("marketplaces_marketplaceaccount", "credentials")
    assert {crypto.key_id_of(value) for value in after} == {"new"}
    assert {crypto.key_id_of(v) for v in _stored("webhooks_webhookendpoint", "secret")} == {"new"}

    settings.ENCRYPTION_KEYS = NEW  # the old key may now go
    for n, account in enumerate(accounts):
        assert MarketplaceAccount.objects.get(pk=account.pk).credential_values == trendyol_credentials(
            f"55500{n}"
        )
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret

    again = _rotate()
    assert "marketplaces.MarketplaceAccount.credentials: 3 scanned, 0 re-encrypted, 0 unreadable" in again
    assert _stored("marketplaces_marketplaceaccount", "credentials") == after


def test_values_no_key_opens_are_reported_and_left_alone(owner: Any, settings: Any) -> None:
    settings.ENCRYPTION_KEYS = OLD
    connect(owner)
    before = _stored("marketplaces_marketplaceaccount", "credentials")
    settings.ENCRYPTION_KEYS = NEW  # the old key dropped too early
    with pytest.raises(CommandError, match="1 values could not be decrypted"):
        _rotate()
    assert _stored("marketplaces_marketplaceaccount", "credentials") == before
