"""Flow nodes Viewflow 2.4 documents but does not ship, and cheaper versions of some it does."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Exists, ExpressionWrapper, Field, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.signals import post_save
from django.utils.timezone import now
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.models import AbstractTask
from viewflow.workflow.nodes import End, If, Join, Split, Switch
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.if_gate import IfActivation
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_finished, task_finished, task_started
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from admission.compiled import CompiledQuery
from admission.inserts import insert_new

# The statuses of a task no branch waits for (Viewflow's join counts the others as still running).
CLOSED = (STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED)


# The flow's own writes of its task rows, the statements written once per process from the model's fields: Model.save
# builds and compiles each anew (about 600 Python calls for an update of four columns, 550 for an insert, 380 for a
# link through Task.previous.add), for rows whose columns never vary. No receiver of this project acts on a task's
# update or on its links (m2m_changed); an insert still sends post_save, by which a new task gets its deadline
# (workflows.receivers).
@cache
def _update_statement(model: type[Model], names: tuple[str, ...], vendor: str) -> tuple[str, tuple[Field, ...]]:
    meta, quote = model._meta, connection.ops.quote_name
    fields = tuple(cast(Field, meta.get_field(name)) for name in names)
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    return f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s", fields


def _database() -> BaseDatabaseWrapper:
    """The connection itself: each attribute of django.db.connection is looked up through a thread-local proxy (four
    calls), and preparing a row's values reads several per column."""
    return connections[DEFAULT_DB_ALIAS]


def write_task(task: AbstractTask, *names: str) -> None:
    """Model.save(update_fields=names) for a task in the table, without the signals."""
    db = _database()
    sql, fields = _update_statement(task._meta.model, names, db.vendor)
    values = [field.get_db_prep_save(getattr(task, field.attname), db) for field in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, [*values, task.pk])


def insert_task(task: AbstractTask) -> None:
    """Viewflow's task.save() for a new task: the row (admission.inserts), and post_save as Model.save sends it."""
    if not task.flow_task_type:  # as Viewflow's Task.save
        task.flow_task_type = task.flow_task.task_type
    insert_new([task])
    post_save.send(
        sender=task._meta.model, instance=task, created=True, update_fields=None, raw=False, using=task._state.db
    )


@cache
def _links_statement(task_class: type[Model], rows: int, vendor: str) -> str:
    through, quote = cast(Any, task_class).previous.through, connection.ops.quote_name
    columns = (quote(through._meta.get_field(name).column) for name in ("from_task", "to_task"))
    return f"INSERT INTO {quote(through._meta.db_table)} ({', '.join(columns)}) VALUES {', '.join(['(%s, %s)'] * rows)}"


# The links made inside links_together(), written at its end: (task, the task it came from).
_PENDING_LINKS: ContextVar[list[tuple[AbstractTask, AbstractTask]] | None] = ContextVar("pending_links", default=None)


def _write_links(links: list[tuple[AbstractTask, AbstractTask]]) -> None:
    if links:
        db = _database()
        sql = _links_statement(links[0][0]._meta.model, len(links), db.vendor)
        with db.cursor() as cursor:
            cursor.execute(sql, [pk for task, previous in links for pk in (task.pk, previous.pk)])


def link_task(task: AbstractTask, previous: AbstractTask) -> None:
    """Viewflow's task.previous.add(previous) for a link not yet there: now, or inside links_together() at its end."""
    pending = _PENDING_LINKS.get()
    if pending is None:
        _write_links([(task, previous)])
    else:
        pending.append((task, previous))


@contextmanager
def links_together() -> Iterator[None]:
    """The flow's moves of one action with the links between the tasks they create written in one statement at the
    end, not one per task passed (a bureau's opinion closing the review: three links; accepting for review: five).
    Nothing reads Task.previous while the flow moves but the join, which counts its arrivals still waiting here
    (arrivals_pending); an error leaves them unwritten, the action's transaction rolled back."""
    if _PENDING_LINKS.get() is not None:  # inside another: written at its end
        yield
        return
    pending: list[tuple[AbstractTask, AbstractTask]] = []
    reset = _PENDING_LINKS.set(pending)
    try:
        yield
    finally:
        _PENDING_LINKS.reset(reset)
    _write_links(pending)


def arrivals_pending(task: AbstractTask) -> list[AbstractTask]:
    """The tasks linked into `task` whose links links_together() has not written yet."""
    return [previous for linked, previous in _PENDING_LINKS.get() or () if linked.pk == task.pk]


def write_pending_links() -> None:
    """Write the links waiting in links_together() now, for a reader of Task.previous (Viewflow's own join)."""
    pending = _PENDING_LINKS.get()
    if pending:
        _write_links(pending)
        pending.clear()


def finish_saved_task(activation: Activation, *changed: str) -> None:
    """Viewflow's Activation.complete for a task already in the table: it is written with the columns that finishing
    it (and whatever the node changed before, `changed`) sets, not all 17 of them."""
    activation.task.finished = now()
    write_task(activation.task, "status", "finished", *changed)
    task_finished.send(sender=activation.flow_class, process=activation.process, task=activation.task)


class SavedOnceActivation(Activation):
    """A node that is done as soon as it is reached (a gateway, the end): its task is inserted once, already done,
    when it completes, instead of inserted new and updated done (one statement less per node passed)."""

    _arriving = None

    # Viewflow keeps activations in sets, hashed by their task's key, which this one has only once it completes.
    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation._arriving = prev_activation.task
        return activation

    @Activation.status.super()
    def complete(self):
        """Activation.complete (finished, saved: the insert, task_finished), then the link to the task it came from."""
        self.task.finished = now()
        insert_task(self.task)
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
        if self._arriving is not None:
            link_task(self.task, self._arriving)
            self._arriving = None


class InsertedViewActivation(ViewActivation):
    """Viewflow's ViewActivation.create, its lines as they are but the task's row and its link written by insert_task
    and link_task: the same row, permission, owner and link, and the same post_save (its deadline)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner, task.status = owner, STATUS.ASSIGNED
        insert_task(task)
        link_task(task, prev_activation.task)
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        return activation


class ForEachSplitActivation(SavedOnceActivation, SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class ReadingSplitActivation(SavedOnceActivation, SplitActivation):
    """Viewflow's parallel split, its task inserted once, done (SavedOnceActivation)."""


class ReadingSplit(Split):
    """Viewflow's Split in one statement less (ReadingSplitActivation)."""

    activation_class = ReadingSplitActivation


class ForEachSplit(Split):
    """Parallel split with one task per item of `data_source(activation)`, the item stored as `task.data`.

    Viewflow 2.4 documents `Split.Next(node, case=None, data_source=None)` but its `Next` accepts no
    `data_source`; this node supplies exactly the documented behaviour and nothing more.
    """

    activation_class = ForEachSplitActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


class ReadingIfActivation(SavedOnceActivation, IfActivation):
    @Activation.status.super()
    def activate(self):
        with self.exception_guard():
            self._condition_result = self.flow_task._condition(self)


class ReadingIf(If):
    """Viewflow's If for a condition that only reads: no savepoint around it (Viewflow takes one so that a failing
    condition's writes roll back; a read has none, and the savepoint costs two statements per gateway)."""

    activation_class = ReadingIfActivation


class ReadingSwitchActivation(SavedOnceActivation, SwitchActivation):
    @Activation.status.super()
    def activate(self):
        with self.exception_guard():
            for node, cond in self.flow_task._branches:
                if cond is None or cond(self):
                    self.next_task = node
                    break
            if not self.next_task:
                raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class ReadingSwitch(Switch):
    """Viewflow's Switch for conditions that only read, without the savepoint (as ReadingIf)."""

    activation_class = ReadingSwitchActivation


def _branch_tasks(task_class: type[AbstractTask], process: Any, join: Any) -> QuerySet[Any, Any]:
    """What an arrival at a join reads of its process: the tasks still open and those linked into the join (`join`
    its key, or a subquery finding it), each with `incoming` saying which."""
    incoming = task_class.previous.through.objects.filter(from_task_id=join, to_task_id=OuterRef("pk"))
    return (
        task_class._default_manager.filter(process_id=process)
        .annotate(incoming=Exists(incoming))
        .filter(Q(incoming=True) | ~Q(status__in=CLOSED))
        .order_by()
    )


@cache
def _branches_statement(task_class: type[AbstractTask]) -> CompiledQuery[AbstractTask]:
    """The statement of ReadingJoinActivation._read_branches for a join activation not made by its create() (which
    reads them with the join, _arrival_statement), its keys the join's and the process's: compiled by Django once per
    process rather than at every arrival (admission.compiled). Its rows as the database sends them."""
    return CompiledQuery(
        lambda join, process: _branch_tasks(task_class, process, join).values_list("pk", "token", "status", "incoming")
    )


@cache
def _arrival_statement(task_class: type[AbstractTask], flow_task: Join) -> CompiledQuery[AbstractTask]:
    """An arrival's one read (ReadingJoinActivation.create): the join's waiting tasks (`waiting`, at most one is
    right), with the columns a join uses (JOIN_TASK_COLUMNS), among the process's open tasks and those linked into
    the join, where Viewflow and _branches_statement read the join and then its branches. Compiled once per process."""

    def tasks(process: int) -> QuerySet[Any, Any]:
        waiting = Q(flow_task=flow_task, status__in=[STATUS.NEW, STATUS.STARTED])
        join = task_class._default_manager.filter(waiting, process_id=process).order_by().values("pk")[:1]
        return (
            _branch_tasks(task_class, process, Subquery(join))
            .annotate(waiting=ExpressionWrapper(waiting, output_field=BooleanField()))
            .only(*JOIN_TASK_COLUMNS)
        )

    return CompiledQuery(tasks)


# What a join reads of its waiting task and writes when it completes (finish_saved_task); Viewflow's save reads
# flow_task_type. The rest of the row (data, seed, artifact, permissions...) is neither read nor written.
JOIN_TASK_COLUMNS = ("flow_task", "flow_task_type", "process_id", "token", "status", "started", "finished")


class ReadingJoinActivation(JoinActivation):
    """Viewflow's join, the same decisions in fewer statements (issue 15: a completion in at most 20).

    Viewflow reads the join's incoming tokens and open branches three times per arrival (`is_done` when the engine
    asks whether to complete, again as the transition's condition, and the tokens once more in `complete`), reads the
    process row again for a join it found, saves a new join twice (created, then started) and takes a savepoint in
    `complete` for rolling back the cancellation of other branches, which a join without `continue_on_condition`
    never does. Here the waiting join, the incoming tasks and the process's open tasks are read together, once per
    arrival, the process is the one the flow holds, a new join is saved once, already started, and a join is read and
    finished with the columns it uses (JOIN_TASK_COLUMNS)."""

    _prefixes: set[str] | None = None
    _open_tokens: list[str]  # with _prefixes, by _read_branches
    _done: bool | None = None

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task_class = flow_task.flow_class.task_class
        process = prev_activation.process
        tasks = _arrival_statement(task_class, flow_task).all(process=process.pk)
        found = [task for task in tasks if task.waiting]
        if len(found) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        branches = [(task.pk, str(task.token), task.status, task.incoming) for task in tasks]
        arriving = prev_activation.task
        if found:
            task = found[0]
            task.process = process
        else:
            if token.is_split_token():
                token = token.get_base_split_token()
            task = task_class(process=process, flow_task=flow_task, token=token, status=STATUS.STARTED, started=now())
            task.data = data if data is not None else {}
            task.seed = seed
            insert_task(task)
            branches.append((task.pk, str(task.token), task.status, False))  # open, linked into by nothing yet
        link_task(task, arriving)
        activation = cls(task)
        activation._read_branches(branches, arriving)
        return activation

    def _read_branches(self, rows: list[tuple[Any, ...]] | None = None, arriving: AbstractTask | None = None) -> None:
        """The common split prefixes of the incoming tasks not cancelled, and the tokens of the process's open tasks
        (those of the branches joined are the ones under the prefix), from `rows` read with the join as it arrived
        (`arriving`, linked since) or read now."""
        if rows is None:
            rows = _branches_statement(self.flow_class.task_class).rows(join=self.task.pk, process=self.process.pk)
        join_token = self.task.token
        # The tokens as text, only the incoming ones parsed; the arrivals whose links are not written yet
        # (links_together) or were written after the rows were read come in as well (open, they are among the rows).
        incoming = [(pk, token, status) for pk, token, status, is_incoming in rows if is_incoming]
        later = [*arrivals_pending(self.task), *([arriving] if arriving is not None else [])]
        incoming += [(task.pk, str(task.token), task.status) for task in later]
        self._prefixes = {
            Token(token).get_common_split_prefix(join_token, pk)
            for pk, token, status in incoming
            if status not in (STATUS.CANCELED, STATUS.REVIVED)
        }
        self._open_tokens = [token for _pk, token, status, _incoming in rows if status not in CLOSED]

    def _join_token_prefixes(self):
        if self._prefixes is None:
            self._read_branches()
        return self._prefixes

    def is_done(self):
        """Viewflow's decision: one prefix came in and no open task is under it (several: done, so that complete
        raises; none: not done)."""
        if self._done is None:
            if self.flow_task._continue_on_condition:  # Viewflow's, which reads Task.previous
                write_pending_links()
                self._done = super().is_done()
            else:
                prefixes = self._join_token_prefixes()
                if len(prefixes) != 1:
                    self._done = len(prefixes) > 1
                else:
                    (prefix,) = prefixes
                    self._done = not any(token.startswith(prefix) for token in self._open_tokens)
        return self._done

    @Activation.status.super()
    def complete(self):
        if self.flow_task._continue_on_condition:
            write_pending_links()
            return super().complete.original()
        with self.exception_guard():
            join_prefixes = self._join_token_prefixes()
            if len(join_prefixes) > 1:
                raise FlowRuntimeError(f"Multiple tokens {join_prefixes} came to join {self.flow_task.name}")
            finish_saved_task(self)


class ReadingJoin(Join):
    """Viewflow's Join in fewer statements (ReadingJoinActivation); the same waiting, the same tokens."""

    activation_class = ReadingJoinActivation


class ReadingEndActivation(SavedOnceActivation, EndActivation):
    @Activation.status.super()
    def activate(self):
        """Viewflow's End without its savepoint (it reads the open tasks and finishes the process; an error rolls
        the whole action back), and its task inserted once, done (SavedOnceActivation)."""
        with self.exception_guard():
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            open_tasks = self.flow_class.task_class._default_manager.filter(process=self.process, finished__isnull=True)
            if self.task.pk is not None:
                open_tasks = open_tasks.exclude(pk=self.task.pk)
            finished = open_tasks.count() == 0
            if finished:
                self.process.status = STATUS.DONE
                self.process.finished = now()
                self.process.save(update_fields=["status", "finished"])
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            if finished:
                flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class ReadingEnd(End):
    """Viewflow's End in fewer statements (ReadingEndActivation)."""

    activation_class = ReadingEndActivation
