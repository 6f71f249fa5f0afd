"""New rows inserted as bulk_create inserts them, in a statement built once per process.

bulk_create builds and compiles its query for every call: about 800 Python calls to insert one audit event, as many
as the rest of recording it several times over. The same values (each field's pre_save and get_db_prep_save, the
related rows checked as bulk_create checks them) in an INSERT … RETURNING kept per model and number of rows cost
about half. Like bulk_create it sends no signal: only for models no receiver of pre_save or post_save needs.

insert_new_unless_present inserts only the rows a unique constraint lets in (INSERT … ON CONFLICT (its columns) DO
NOTHING, PostgreSQL and SQLite ≥ 3.35 alike) and tells which were: one statement where asking first and inserting
after take two."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, transaction
from django.db.models import Field, Model

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=Model)

ROWS_PER_STATEMENT = 50  # longer lists take several statements: at most this many statements kept per model


@cache
def _columns(model: type[Model]) -> tuple[Field, ...]:
    """What a new row is inserted with: bulk_create's columns (every one but an automatic key), in this order."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@cache
def _unique(model: type[Model], names: tuple[str, ...]) -> tuple[tuple[Field, ...], tuple[int, ...]]:
    """The fields `names`, all those of one of `model`'s unique constraints without a condition (the only ones an ON
    CONFLICT clause without WHERE can name), and their places among the columns."""
    meta = model._meta
    constraints = [
        *(frozenset(constraint.fields) for constraint in meta.total_unique_constraints),
        *(frozenset(fields) for fields in meta.unique_together),
        *(frozenset([field.name]) for field in meta.concrete_fields if field.unique and not field.primary_key),
    ]
    if frozenset(names) not in constraints:
        raise ValueError(f"{meta.label} has no unique constraint on exactly {', '.join(names)}")
    places = tuple(next(n for n, column in enumerate(_columns(model)) if column.name == name) for name in names)
    return tuple(_columns(model)[place] for place in places), places


@cache
def _statement(model: type[Model], vendor: str, rows: int, unique: tuple[str, ...] = ()) -> str:
    """INSERT of `rows` rows of `model` returning their keys; with `unique`, only the rows no stored row (nor an
    earlier one in the statement) has the values of, returning their keys and those values."""
    quote = connection.ops.quote_name
    fields = _unique(model, unique)[0] if unique else ()
    returning, _params = connection.ops.return_insert_columns([model._meta.pk, *fields])
    row = f"({', '.join(['%s'] * len(_columns(model)))})"
    conflict = f"ON CONFLICT ({', '.join(quote(f.column) for f in fields)}) DO NOTHING " if unique else ""
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in _columns(model))}) "
        f"VALUES {', '.join([row] * rows)} {conflict}{returning}"
    )


def _values(rows: Sequence[Model], columns: tuple[Field, ...], db: BaseDatabaseWrapper) -> list[Any]:
    """The statement's parameters for `rows`, as bulk_create prepares them, row after row."""
    values = []
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        values += [field.get_db_prep_save(field.pre_save(row, True), db) for field in columns]
    return values


def _inserted(row: Model, pk: Any, db: BaseDatabaseWrapper) -> None:
    row.pk = pk
    row._state.adding, row._state.db = False, db.alias


def insert_new(rows: Sequence[M]) -> None:
    """Insert `rows`, new rows of one model with an automatic key, in the order given, and set their keys."""
    if not rows:
        return
    model = type(rows[0])
    columns = _columns(model)
    db = transaction.get_connection()  # the connection itself: each attribute read through the proxy costs five calls
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        with db.cursor() as cursor:
            cursor.execute(_statement(model, db.vendor, len(chunk)), _values(chunk, columns, db))
            keys = cursor.fetchall()
        for row, (pk,) in zip(chunk, keys, strict=True):
            _inserted(row, pk, db)


def insert_new_unless_present(rows: Sequence[M], *, unique: tuple[str, ...]) -> list[bool]:
    """Insert those of `rows` (as insert_new) whose values of the fields `unique`, all the fields of one of their
    model's unique constraints, neither a stored row nor an earlier one of `rows` has, and set their keys; for each
    row, whether it was inserted (a row left out keeps no key). Nothing is read first: the statement leaves out what
    the constraint would refuse, and only that (any other constraint still fails it). Under PostgreSQL a row left out
    still takes a number of its key's sequence, as a rolled-back insert does."""
    if not rows:
        return []
    model = type(rows[0])
    columns = _columns(model)
    places = _unique(model, unique)[1]
    db = transaction.get_connection()
    inserted: list[bool] = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        values = _values(chunk, columns, db)
        with db.cursor() as cursor:
            cursor.execute(_statement(model, db.vendor, len(chunk), unique), values)
            returned = iter(cursor.fetchall())
        # The inserted rows come back in the order given. A row is left out only when its values are already there,
        # so the next row returned is the one at hand exactly when it returns the values this row sent.
        following = next(returned, None)
        for number, row in enumerate(chunk):
            sent = tuple(values[number * len(columns) + place] for place in places)
            if following is not None and tuple(following[1:]) == sent:
                _inserted(row, following[0], db)
                inserted.append(True)
                following = next(returned, None)
            else:
                inserted.append(False)
        if following is not None:  # values the database returns other than as sent: no telling which row is which
            raise ValueError(f"{model._meta.label}: {', '.join(unique)} returned as {following[1:]}, not as sent")
    return inserted
