"""admission/compiled.py (issue 15): a CompiledQuery returns exactly what its queryset would — the same rows as the
same instances, select_related's objects loaded, deferred fields deferred, FOR UPDATE kept — for every key it is
given, with the statement Django compiled once."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from admission.compiled import CompiledQuery
from admission.models import BureauReviewOpinion, DutyRequest, Membership, Organization
from tests import support


def _loaded(instance):
    """An instance as a caller sees it: its class, its loaded fields' values, which fields are deferred, its
    annotations, and the same of the objects select_related loaded along with it."""
    if instance is None:
        return None
    deferred = instance.get_deferred_fields()  # before reading the fields: a deferred field read is loaded
    fields = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.attname not in deferred
    }
    related = {name: _loaded(cached) for name, cached in instance._state.fields_cache.items()}
    extra = {k: v for k, v in vars(instance).items() if k not in fields and not k.startswith("_")}
    return (type(instance), fields, deferred, related, extra)


def test_a_plain_read_returns_each_keys_own_row(banner, django_assert_num_queries):
    """Keys are filled in at every run: two keys, two rows, each the queryset's."""
    first, second = support.consulting_case(banner), support.draft(banner, department="emergency")
    cases = CompiledQuery(lambda pk: DutyRequest.objects.filter(pk=pk))
    for case in (first, second, first):
        with django_assert_num_queries(1):
            found = cases.get(pk=case.pk)
        assert _loaded(found) == _loaded(DutyRequest.objects.get(pk=case.pk))
        assert found._state.adding is False and found._state.db == "default"
    assert cases.get(pk=first.pk).pk != cases.get(pk=second.pk).pk


def test_select_related_two_levels_comes_loaded(banner, django_assert_num_queries):
    """Membership → organization → jurisdiction, as permissions.membership_of reads it: first() of each user's."""
    memberships = CompiledQuery(
        lambda user_id: Membership.objects.select_related("organization__jurisdiction").filter(user_id=user_id)
    )
    for key in ("office", "naji", "forestry"):
        user = banner.users[key]
        expected = Membership.objects.select_related("organization__jurisdiction").filter(user=user).first()
        with django_assert_num_queries(1):
            found = memberships.first(user_id=user.pk)
            assert found is not None
            assert found.organization.jurisdiction.name == banner.jurisdiction.name
        assert _loaded(found) == _loaded(expected)
        assert found.organization.pk == user.membership.organization_id


def test_only_defers_what_the_queryset_defers(banner):
    request = support.consulting_case(banner)
    columns = ("flow_task", "process_id", "token", "status")
    tasks = CompiledQuery(lambda process_id: Task.objects.filter(process_id=process_id).only(*columns).order_by("pk"))
    process_id = support.open_task(request, "consult", township=banner.org("naji").pk).process_id
    found = tasks.all(process_id=process_id)
    expected = list(Task.objects.filter(process_id=process_id).only(*columns).order_by("pk"))
    assert len(found) >= 2
    assert [_loaded(t) for t in found] == [_loaded(t) for t in expected]
    assert "data" in found[0].get_deferred_fields()


def test_annotations_and_joins_in_the_filter_come_as_the_querysets(banner):
    """A key used twice (a subquery's and the outer filter's) is filled in at both places."""
    organizations = CompiledQuery(
        lambda pk: (
            Organization.objects.filter(pk=pk)
            .annotate(members=Count("memberships"))
            .filter(Exists(Membership.objects.filter(organization_id=pk, organization=OuterRef("pk"))))
        )
    )
    for organization in Organization.objects.all()[:4]:
        expected = (
            Organization.objects.filter(pk=organization.pk)
            .annotate(members=Count("memberships"))
            .filter(Exists(Membership.objects.filter(organization_id=organization.pk, organization=OuterRef("pk"))))
            .first()
        )
        assert _loaded(organizations.first(pk=organization.pk)) == _loaded(expected)


def test_no_row_is_does_not_exist_none_false_or_empty_as_the_queryset_says(banner):
    cases = CompiledQuery(lambda pk: DutyRequest.objects.filter(pk=pk))
    with pytest.raises(DutyRequest.DoesNotExist, match="DutyRequest matching query does not exist."):
        cases.get(pk=0)
    assert cases.first(pk=0) is None
    assert cases.exists(pk=0) is False
    assert cases.all(pk=0) == []
    assert cases.rows(pk=0) == []


def test_more_than_one_row_for_get_is_multiple_objects_returned(banner):
    memberships = CompiledQuery(lambda organization_id: Membership.objects.filter(organization_id=organization_id))
    office = banner.org("office")
    assert Membership.objects.filter(organization=office).count() > 1
    with pytest.raises(Membership.MultipleObjectsReturned) as compiled:
        memberships.get(organization_id=office.pk)
    with pytest.raises(Membership.MultipleObjectsReturned) as plain:
        Membership.objects.filter(organization=office).get()
    assert str(compiled.value) == str(plain.value)


def test_exists_follows_each_key(banner):
    request, other = support.to_under_review(banner), support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    given = CompiledQuery(
        lambda request_id, organization_id: BureauReviewOpinion.objects.filter(
            request_id=request_id, organization_id=organization_id
        )
    )
    assert given.exists(request_id=request.pk, organization_id=banner.org("office").pk) is True
    assert given.exists(request_id=request.pk, organization_id=banner.org("forestry").pk) is False
    assert given.exists(request_id=other.pk, organization_id=banner.org("office").pk) is False


def test_rows_are_the_statements_rows_as_the_database_sends_them(banner):
    request = support.consulting_case(banner)
    process_id = support.open_task(request, "consult", township=banner.org("naji").pk).process_id
    tokens = CompiledQuery(
        lambda process_id: Task.objects.filter(process_id=process_id).order_by("pk").values_list("pk", "token")
    )
    plain = Task.objects.filter(process_id=process_id).order_by("pk").values_list("pk", "token")
    with connection.cursor() as cursor:
        cursor.execute(*plain.query.sql_with_params())
        expected = [tuple(row) for row in cursor.fetchall()]
    assert [tuple(row) for row in tokens.rows(process_id=process_id)] == expected
    assert all(type(token) is str for _pk, token in expected)  # the text, not viewflow's Token


def test_the_statement_is_compiled_once_then_only_run(banner, monkeypatch):
    """Compiled on the first run on the database; later runs, with other keys, compile nothing."""
    cases = CompiledQuery(lambda pk: DutyRequest.objects.select_related("applicant").filter(pk=pk))
    first, second = support.consulting_case(banner), support.draft(banner, department="emergency")
    cases.get(pk=first.pk)

    def compile_again(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(SQLCompiler, "as_sql", compile_again)
    assert cases.get(pk=second.pk).applicant.pk == second.applicant_id
    with pytest.raises(AssertionError, match="compiled again"):  # another shape is another statement
        cases.first(pk=first.pk)


def test_keys_are_the_builds_parameters_integers_every_one_used(banner):
    cases = CompiledQuery(lambda pk: DutyRequest.objects.filter(pk=pk))
    with pytest.raises(TypeError, match="keys"):
        cases.get(id=1)
    with pytest.raises(TypeError):
        cases.get(pk=None)  # `pk=None` would be IS NULL in the queryset, not `= NULL`
    unused = CompiledQuery(lambda pk, other: DutyRequest.objects.filter(pk=pk))
    with pytest.raises(TypeError, match="not in the statement"):
        unused.get(pk=1, other=2)


def test_a_related_managers_known_objects_are_refused(banner):
    request = support.consulting_case(banner)
    with pytest.raises(TypeError, match="related manager"):
        CompiledQuery(lambda pk: request.consultations.filter(pk=pk)).first(pk=1)


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_a_locking_read_outside_a_transaction_is_refused_as_by_django():
    """Before the first run (when it is compiled) as after it."""
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no FOR UPDATE")
    locked = CompiledQuery(lambda pk: DutyRequest.objects.select_for_update().filter(pk=pk))
    with pytest.raises(TransactionManagementError):
        DutyRequest.objects.select_for_update().get(pk=0)
    with pytest.raises(TransactionManagementError):
        locked.get(pk=0)
    with transaction.atomic(), pytest.raises(DutyRequest.DoesNotExist):
        locked.get(pk=0)
    with pytest.raises(TransactionManagementError):
        locked.get(pk=0)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="FOR UPDATE needs PostgreSQL (set DATABASE_URL)")
def test_select_for_update_keeps_its_clause_and_locks_in_the_transaction(banner):
    """engine.task_locked's read: the task with its process, FOR UPDATE OF the process NOWAIT."""
    request = support.consulting_case(banner)
    task = support.open_task(request, "consult", township=banner.org("naji").pk)
    tasks = CompiledQuery(
        lambda pk: Task.objects.select_related("process").select_for_update(nowait=True, of=("process",)).filter(pk=pk)
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as compiled:
        found = tasks.get(pk=task.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as plain:
        expected = (
            Task.objects.select_related("process").select_for_update(nowait=True, of=("process",)).get(pk=task.pk)
        )
    assert _loaded(found) == _loaded(expected)
    clause = 'FOR UPDATE OF "viewflow_process" NOWAIT'
    assert compiled[0]["sql"].endswith(clause) and plain[0]["sql"].endswith(clause)


def test_the_case_pages_read_of_its_tasks_follows_the_content_types_key(banner):
    """A compiled statement fixes what its build read (admission/compiled.py); the DutyRequest content type's key is
    not such a thing — a database whose content types are made again (a test's flush) gives it another — so the case
    page's read of a case's tasks takes it as a parameter (three browser tests failed on PostgreSQL when it did not)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Max

    from workflows.selectors import case_tasks

    case = support.to_under_review(banner)
    before = [t.pk for t in case_tasks(duty_request=case)]  # compiled by now, whichever key it was built with
    assert before
    old = ContentType.objects.get_for_model(DutyRequest).pk
    new = ContentType.objects.aggregate(last=Max("pk"))["last"] + 100
    # The content type made again under another key, as a flush and migrate would, every row pointing to it moved
    # along (the foreign keys are checked at the end of the test's transaction).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE django_content_type SET id = %s WHERE id = %s", [new, old])
    for relation in ContentType._meta.get_fields(include_hidden=True):
        if relation.one_to_many and relation.auto_created and not relation.related_model._meta.proxy:
            column = relation.field.attname
            relation.related_model._base_manager.filter(**{column: old}).update(**{column: new})
    ContentType.objects.clear_cache()
    try:
        assert [t.pk for t in case_tasks(duty_request=case)] == before
    finally:
        # The test's rollback gives the content type its old key back; a cache left holding the new one would give
        # every later test's processes a content type that does not exist.
        ContentType.objects.clear_cache()


def test_a_build_that_reads_the_database_is_refused_before_any_run(banner):
    """A compiled statement fixes what its build read (admission/compiled.py): a build that sends a statement — here
    a jurisdiction's key, read to filter by — fails at its first run rather than serving that row's key for the
    process's life; a build that only filters by its keys runs."""
    office = banner.orgs["office"]

    def reading_a_row(pk):
        jurisdiction = Organization.objects.filter(pk=office.pk).values_list("jurisdiction_id", flat=True)[0]
        return Organization.objects.filter(pk=pk, jurisdiction_id=jurisdiction)

    with pytest.raises(TypeError, match="build read the database"):
        CompiledQuery(reading_a_row).all(pk=office.pk)
    # Refused inside the build only: the connection reads again afterwards.
    assert [o.pk for o in CompiledQuery(lambda pk: Organization.objects.filter(pk=pk)).all(pk=office.pk)] == [office.pk]
    assert Organization.objects.filter(pk=office.pk).exists()
