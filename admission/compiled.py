"""Querysets that Django builds and compiles once per process and database, then runs with their keys filled in.

Building a queryset and compiling its SQL (the select list, select_related's joins and columns, the quoted names, the
columns' converters) was a quarter to a third of a task completion's Python (issue 15), for the same few statements
every time. A CompiledQuery builds its queryset once, with a stand-in for each key; Django compiles it the first time
it runs on a database alias; every run then executes that statement with the keys in the stand-ins' places and makes
the rows into what the queryset returns, as Django's ModelIterable does: Model.from_db, select_related's populators,
the columns' converters, annotations. Deferred fields (only()) and FOR UPDATE clauses are the compiled statement's.

What the build puts in besides the keys is fixed at the first run on each alias, as in any compiled statement: a build
reads no clock, setting or row that may change. Keys are integers (primary and foreign keys), never None (`= NULL`
matches nothing where the queryset's `=None` is IS NULL). Not for querysets with prefetch_related or the known objects
of a related manager (built from `instance.things`); those refuse to compile.

Safe under threads: a compiled statement is immutable and a run changes nothing shared; two threads that compile the
same statement at once both keep an equal one. The columns' converters are the compiling thread's connection's, which
read only the alias's settings (its time zone); each run hands them its own connection, as Django does.

A build or compilation that sends a statement to any database fails (TypeError): what it would read is a row that may
change, to be passed as a key. (A value Django cached from an earlier read, as a content type's, is not caught: take
such a value as a key too.)
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Expression, Model, QuerySet
from django.db.models.query import MAX_GET_RESULTS, ModelIterable, get_related_populators  # type: ignore[attr-defined]
from django.db.transaction import TransactionManagementError

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler
    from django.db.models.sql.query import Query

M = TypeVar("M", bound=Model)
Row = tuple[Any, ...]


@contextmanager
def _reading_nothing() -> Iterator[None]:
    """Every database connection of this thread refuses statements inside: a build or compilation that reads a row
    would fix it in the statement for the process's life."""

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        raise TypeError(
            f"a CompiledQuery's build read the database ({sql[:120]}): a row that may change is a key, not part of "
            "the statement"
        )

    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(refuse))
        yield


class _Key(Expression):
    """A key's place in the statement: one placeholder whose parameter is the stand-in itself (or Django's copy of
    it). Nothing else among a compiled statement's parameters is a _Key, so the places to fill are found by type, never
    by a value that a constant of the statement might share."""

    def __init__(self, name: str) -> None:
        super().__init__(output_field=BigIntegerField())
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [self]


@dataclass(frozen=True)
class _Instances:
    """ModelIterable's way from a row to an instance, as the compiler left it (select, klass_info, converters)."""

    alias: str
    model: type[Model]
    start: int
    end: int
    init_list: tuple[str, ...]
    related: tuple[Any, ...]  # Django's RelatedPopulator, one per select_related relation
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    width: int | None  # the compiler's col_count when extra columns follow the selected ones

    @classmethod
    def of(cls, compiler: SQLCompiler, alias: str) -> _Instances:
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None  # a model's queryset
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [column[0] for column in select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise TypeError("a CompiledQuery does not read composite primary keys")
        return cls(
            alias=alias,
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=tuple(column[0].target.attname for column in select[start:end]),
            related=tuple(get_related_populators(klass_info, select, alias)),
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=tuple(
                (position, tuple(converters), expression)
                for position, (converters, expression) in compiler.get_converters(fields).items()
            ),
            width=compiler.col_count if compiler.has_extra_select else None,
        )

    def build(self, rows: list[Row], connection: BaseDatabaseWrapper) -> list[Model]:
        found = []
        for fetched in rows:
            row: Row | list[Any] = fetched if self.width is None else fetched[: self.width]
            if self.converters:
                row = list(row)
                for position, converters, expression in self.converters:
                    value = row[position]
                    for convert in converters:
                        value = convert(value, expression, connection)
                    row[position] = value
            instance = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
            for related in self.related:
                related.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found


@dataclass(frozen=True)
class _Statement:
    sql: str | None  # None: Django found that it matches nothing (EmptyResultSet), whatever the keys
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position among the parameters, the key's name)
    locks: bool  # SELECT … FOR UPDATE, which Django refuses outside a transaction
    instances: _Instances | None  # for the shapes that return instances

    def execute(self, keys: dict[str, int], connection: BaseDatabaseWrapper) -> list[Row]:
        if self.sql is None:
            return []
        if self.locks and connection.get_autocommit() and connection.features.supports_transactions:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(self.params)
        for position, name in self.slots:
            params[position] = operator.index(keys[name])  # an integer, as Django's key fields would prepare it
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


class CompiledQuery(Generic[M]):
    """The queryset `build(**keys)` returns, compiled by Django once per database alias and run with the keys given
    at each call: `get`, `first`, `all` and `exists` return what the queryset's methods of those names would, `rows`
    the rows its statement returns as the database sends them (no converters), as a cursor would.

    `build`'s parameters are the keys' names; it is called once, with stand-ins, and must filter by them as by values
    (`filter(pk=pk)`, `filter(user_id=user_id)`), never look at them."""

    def __init__(self, build: Callable[..., QuerySet[M, Any]]) -> None:
        self._build = build
        self._names = frozenset(inspect.signature(build).parameters)
        self._queryset: QuerySet[M, Any] | None = None
        self._statements: dict[tuple[str, str, str], _Statement] = {}

    def get(self, **keys: int) -> M:
        rows = self._rows()
        found = self._instances("get", rows, keys)
        if len(found) == 1:
            return found[0]
        model: Any = rows.model  # its own DoesNotExist and MultipleObjectsReturned
        if not found:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        limit = self._get_limit(rows, connections[rows.db])
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model._meta.object_name} -- it returned "
            f"{len(found) if not limit or len(found) < limit else f'more than {limit - 1}'}!"
        )

    def first(self, **keys: int) -> M | None:
        found = self._instances("first", self._rows(), keys)
        return found[0] if found else None

    def all(self, **keys: int) -> list[M]:
        return self._instances("all", self._rows(), keys)

    def exists(self, **keys: int) -> bool:
        return bool(self._run("exists", self._rows(), keys)[1])

    def rows(self, **keys: int) -> list[Row]:
        return self._run("rows", self._rows(), keys)[1]

    def _rows(self) -> QuerySet[M, Any]:
        if self._queryset is None:
            with _reading_nothing():
                rows = self._build(**{name: _Key(name) for name in self._names})
                if rows._prefetch_related_lookups or rows._known_related_objects:  # type: ignore[attr-defined]
                    raise TypeError(
                        "a CompiledQuery runs one statement: no prefetch_related, no related manager's objects"
                    )
                rows.query  # noqa: B018 - a filter deferred by a related manager is applied now, not by concurrent runs
            self._queryset = rows
        return self._queryset

    def _instances(self, shape: str, rows: QuerySet[M, Any], keys: dict[str, int]) -> list[M]:
        statement, fetched, connection = self._run(shape, rows, keys)
        assert statement.instances is not None
        return statement.instances.build(fetched, connection)  # type: ignore[return-value]

    def _run(
        self, shape: str, rows: QuerySet[M, Any], keys: dict[str, int]
    ) -> tuple[_Statement, list[Row], BaseDatabaseWrapper]:
        """The rows of the statement of `shape` on the queryset's database (compiled there the first time)."""
        if keys.keys() != self._names:
            raise TypeError(f"keys {sorted(keys)} given where {sorted(self._names)} are expected")
        alias = rows.db
        connection = connections[alias]
        statement = self._statements.get((shape, alias, connection.vendor))
        if statement is None:
            with _reading_nothing():
                statement = self._compile(shape, rows, connection)
            self._statements[shape, alias, connection.vendor] = statement
        return statement, statement.execute(keys, connection), connection

    def _compile(self, shape: str, rows: QuerySet[M, Any], connection: BaseDatabaseWrapper) -> _Statement:
        """The statement of the queryset method `shape`, shaped as that method shapes it, compiled by Django (on a
        copy of the query: compiling changes its joins' counts)."""
        # Instances as Django's ModelIterable makes them (viewflow's subclasses do too, unless coerce_for casts them).
        iterable = rows._iterable_class
        if shape in ("get", "first", "all") and (
            not issubclass(iterable, ModelIterable) or getattr(rows, "_coerced", False)
        ):
            raise TypeError("get, first and all read instances: values() and values_list() querysets run with rows")
        query: Query
        if shape == "exists":
            query = rows.query.exists()
        elif shape == "get":
            query = rows.order_by().query if rows.query.can_filter() and not rows.query.distinct_fields else rows.query
            query = query.clone()
            limit = self._get_limit(rows, connection)
            if limit:
                query.set_limits(high=limit)
        elif shape == "first":
            query = (rows if rows.ordered else self._ordered_for_first(rows))[:1].query
        else:
            query = rows.query.clone()
        compiler = query.get_compiler(using=connection.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = "", ()
        slots = tuple((position, value.name) for position, value in enumerate(params) if isinstance(value, _Key))
        unused = self._names - {name for _position, name in slots}
        if unused and sql:
            raise TypeError(f"keys {sorted(unused)} are not in the statement of {rows.model.__name__}")
        return _Statement(
            sql=sql or None,
            params=tuple(params),
            slots=slots,
            locks=bool(query.select_for_update and connection.features.has_select_for_update),
            instances=_Instances.of(compiler, connection.alias) if shape in ("get", "first", "all") else None,
        )

    @staticmethod
    def _ordered_for_first(rows: QuerySet[M, Any]) -> QuerySet[M, Any]:
        rows._check_ordering_first_last_queryset_aggregation(method="first")  # type: ignore[attr-defined]
        return rows.order_by("pk")

    @staticmethod
    def _get_limit(rows: QuerySet[M, Any], connection: BaseDatabaseWrapper) -> int | None:
        """QuerySet.get's limit: MAX_GET_RESULTS, unless a locking read cannot have one on this database."""
        if not rows.query.select_for_update or connection.features.supports_select_for_update_with_limit:
            return MAX_GET_RESULTS
        return None
