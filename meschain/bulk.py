"""Fast inserts for bulk paths: COPY on PostgreSQL, bulk_create elsewhere.

COPY writes ~4× more rows a second than INSERT on this stack; ids are taken from the
table's sequence first so that child rows can point at their parents in the same batch.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the model's PostgreSQL sequence."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
        )
        return [row[0] for row in cursor.fetchall()]


#: field classes whose Python value psycopg adapts as it is (exact types: a subclass,
#: e.g. an encrypted text field, goes through its own get_db_prep_save)
_PLAIN = {
    models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField,
    models.PositiveIntegerField, models.PositiveSmallIntegerField, models.PositiveBigIntegerField,
    models.SmallIntegerField, models.CharField, models.TextField, models.SlugField, models.EmailField,
    models.BooleanField, models.DecimalField, models.UUIDField, models.DateTimeField, models.ForeignKey,
}  # fmt: skip


def _reader(field: models.Field) -> Callable[[models.Model], Any]:
    """How to get a field's database value cheaply."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, True)
    if type(field) is models.JSONField:
        return lambda obj: None if (value := getattr(obj, attname)) is None else Jsonb(value)
    if type(field) in _PLAIN:
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


def update(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 1000) -> None:
    """Write `fields` of existing instances: one `UPDATE … FROM unnest(arrays)` on
    PostgreSQL (Django's bulk_update builds a CASE per field and row), bulk_update elsewhere."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]
    pk = meta.pk
    quote = connection.ops.quote_name
    columns = [pk, *targets]
    readers = [_reader(field) for field in columns]
    arrays = [[read(obj) for obj in objs] for read in readers]
    casts = ", ".join(f"%s::{_array_type(field)}" for field in columns)
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    assignments = ", ".join(f"{quote(field.column)} = d.c{i + 1}" for i, field in enumerate(targets))
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 (quoted model identifiers)
        f"FROM unnest({casts}) AS d({names}) WHERE t.{quote(pk.column)} = d.c0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def _array_type(field: models.Field) -> str:
    target = field.target_field if field.is_relation else field
    db_type = target.rel_db_type(connection) if field.is_relation else target.db_type(connection)
    return f"{db_type.replace(' AUTO_INCREMENT', '').replace('serial', 'integer')}[]"


def _row_reader(field: models.Field, now: Any) -> Callable[[dict[str, Any]], Any]:
    """Like _reader, for a plain dict keyed by attname (no model instance to build)."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda row: row.get(attname) or now
    default = field.get_default  # a field's declared default (or its empty value)
    if type(field) is models.JSONField:
        return lambda row: None if (value := row.get(attname, default())) is None else Jsonb(value)
    if type(field) in _PLAIN:
        return lambda row: row[attname] if attname in row else default()
    return lambda row: field.get_db_prep_save(row[attname] if attname in row else default(), connection)


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert plain dicts (keyed by attname; missing fields take their defaults) and
    return their new ids, in order. Building model instances costs more than the COPY."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000)
        return [obj.pk for obj in objs]
    ids = allocate_ids(model, len(rows))
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    readers = [_row_reader(field, now) for field in fields]
    pk_index = next(i for i, field in enumerate(fields) if field.primary_key)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row, pk in zip(rows, ids, strict=True):
            values = [read(row) for read in readers]
            values[pk_index] = pk
            copy.write_row(values)
    return ids


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """INSERT … ON CONFLICT (unique_fields) DO UPDATE SET update_fields for plain dicts
    keyed by attname: one statement from arrays on PostgreSQL, bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**row) for row in rows],
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
            batch_size=1000,
        )
        return
    meta = model._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    columns = [field for field in meta.concrete_fields if not field.primary_key]
    arrays = [[read(row) for row in rows] for read in (_row_reader(field, now) for field in columns)]
    names = ", ".join(quote(field.column) for field in columns)
    casts = ", ".join(f"%s::{_array_type(field)}" for field in columns)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    updates = ", ".join(
        f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
        for n in update_fields
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({casts}) "  # noqa: S608 (quoted model identifiers)
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
