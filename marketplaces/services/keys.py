"""Encryption key rotation for every encrypted field of every app."""

import logging
from typing import Any

from django.apps import apps
from django.db import connection, transaction

from meschain import crypto
from meschain.fields import EncryptedTextField

logger = logging.getLogger(__name__)


def encrypted_fields() -> list[tuple[type, str]]:
    """Every (model, field name) stored with EncryptedTextField, in every installed app."""
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]


def rotate_encryption_keys(*, batch_size: int = 500) -> dict[str, dict[str, int]]:
    """Re-encrypt every encrypted value that is not under the newest key. Idempotent: a
    second run rotates nothing. Each batch commits on its own, and a row changed meanwhile
    is left alone (the UPDATE matches the ciphertext it read). Returns, per
    "app.Model.field": scanned, rotated, unreadable (values no configured key opens)."""
    newest = crypto.keys()[0][0]
    quote = connection.ops.quote_name
    results: dict[str, dict[str, int]] = {}
    for model, name in encrypted_fields():
        column = model._meta.get_field(name).column
        pk_column = model._meta.pk.column
        table = quote(model._meta.db_table)
        counts = {"scanned": 0, "rotated": 0, "unreadable": 0}
        last_pk: Any = None
        while True:
            where = f"WHERE {quote(pk_column)} > %s " if last_pk is not None else ""
            sql = (
                f"SELECT {quote(pk_column)}, {quote(column)} FROM {table} {where}"  # noqa: S608 (quoted names)
                f"ORDER BY {quote(pk_column)} LIMIT %s"
            )
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [last_pk, batch_size] if last_pk is not None else [batch_size])
                rows = cursor.fetchall()
                for pk, stored in rows:
                    counts["scanned"] += 1
                    if not stored or crypto.key_id_of(stored) == newest:
                        continue
                    try:
                        plain = crypto.decrypt(stored)
                    except crypto.DecryptionError:
                        counts["unreadable"] += 1
                        logger.error(
                            "%s %s: value not readable with any configured key", model._meta.label, pk
                        )
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {quote(column)} = %s "  # noqa: S608 (quoted names)
                        f"WHERE {quote(pk_column)} = %s AND {quote(column)} = %s",
                        [crypto.encrypt(plain), pk, stored],
                    )
                    counts["rotated"] += cursor.rowcount
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        results[f"{model._meta.label}.{name}"] = counts
        logger.info("Key rotation %s.%s: %s", model._meta.label, name, counts)
    return results
