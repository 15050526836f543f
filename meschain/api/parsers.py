"""Request parsers."""

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a 400 (not a 500) for documents nested too deeply
    for the decoder (e.g. 50,000 opening brackets) and for a NUL character (U+0000)
    anywhere in the document: PostgreSQL stores it in neither text nor jsonb, and free-form
    objects (attributes, addresses, bulk rows) would otherwise carry it to the database.
    The 400 names the fields that hold one, in the words of Django's own text fields."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            _refuse_nul(data)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from exc
        return data


def _refuse_nul(data: Any) -> None:
    message = ProhibitNullCharactersValidator.message
    if isinstance(data, dict):
        fields = sorted(str(key) for key, value in data.items() if _has_nul(key) or _has_nul(value))
        if fields:
            raise ValidationError({field: [message] for field in fields})
    elif _has_nul(data):
        raise ValidationError([message])
