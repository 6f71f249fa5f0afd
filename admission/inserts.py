"""New rows inserted as bulk_create inserts them, in a statement built once per process.

bulk_create builds and compiles its query for every call: about 800 Python calls to insert one audit event, as many
as the rest of recording it several times over. The same values (each field's pre_save and get_db_prep_save, the
related rows checked as bulk_create checks them) in an INSERT … RETURNING kept per model and number of rows cost
about half. Like bulk_create it sends no signal: only for models no receiver of pre_save or post_save needs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

ROWS_PER_STATEMENT = 50  # longer lists take several statements: at most this many statements kept per model


@cache
def _columns(model: type[Model]) -> tuple[Field, ...]:
    """What a new row is inserted with: bulk_create's columns (every one but an automatic key), in this order."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@cache
def _statement(model: type[Model], vendor: str, rows: int) -> str:
    """INSERT of `rows` rows of `model` returning their keys."""
    quote = connection.ops.quote_name
    returning, _params = connection.ops.return_insert_columns([model._meta.pk])
    row = f"({', '.join(['%s'] * len(_columns(model)))})"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in _columns(model))}) "
        f"VALUES {', '.join([row] * rows)} {returning}"
    )


def insert_new(rows: Sequence[M]) -> None:
    """Insert `rows`, new rows of one model with an automatic key, in the order given, and set their keys."""
    if not rows:
        return
    model = type(rows[0])
    columns = _columns(model)
    db = transaction.get_connection()  # the connection itself: each attribute read through the proxy costs five calls
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        values = []
        for row in chunk:
            row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            values += [field.get_db_prep_save(field.pre_save(row, True), db) for field in columns]
        with db.cursor() as cursor:
            cursor.execute(_statement(model, db.vendor, len(chunk)), values)
            keys = cursor.fetchall()
        for row, (pk,) in zip(chunk, keys, strict=True):
            row.pk = pk
            row._state.adding, row._state.db = False, db.alias
