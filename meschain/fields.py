"""Model fields that keep secrets encrypted at rest."""

from typing import Any

from django.db import models

from meschain import crypto


class EncryptedTextField(models.TextField):
    """Stores the value AES-256-GCM encrypted with the current key; reads it back in
    clear in Python. Never put one in a list display, a serializer or a log line."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return crypto.decrypt(value)
