"""Helpers for driving admin pages the way a browser does: read a form page, post it back."""

import json
from typing import Any

from django import forms


def _form_fields(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            continue
        if isinstance(field.widget, forms.ClearableFileInput | forms.FileInput):
            continue
        if isinstance(field, forms.JSONField) and not isinstance(value, str):
            value = json.dumps(value)
        data[key] = "" if value is None else value
        if field.show_hidden_initial:  # a field with a callable default posts its initial value too
            data[form.add_initial_prefix(name)] = data[key]
    return data


def change_form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What the add/change page in `response` posts when its Save button is pressed with
    nothing edited, updated with `changes` (prefixed names, e.g. "variants-0-price")."""
    data = _form_fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_fields(formset.management_form))
        for form in formset.forms:
            if form.instance.pk is None:
                continue  # extra (empty) rows post nothing a browser would not send
            data.update(_form_fields(form))
        data[formset.add_prefix("TOTAL_FORMS")] = len([f for f in formset.forms if f.instance.pk])
    data.update(changes)
    return data


def add_rows(data: dict[str, Any], prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Append new inline rows (e.g. variants) to posted data."""
    start = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{start + offset}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = start + len(rows)
    return data


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]
