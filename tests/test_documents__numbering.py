"""Document numbers (发文字号): per issuing body, per kind, per year, consecutive from 1, never reused, never skipped —
also when the issuing transaction rolls back, and when many are issued at the same moment on PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from admission.documents import content as drafts
from admission.documents.numbering import format_number, next_serial
from admission.inheritance import document_prefix
from admission.models import (
    AuditAction,
    DocumentCounter,
    DocumentKind,
    OfficialDocument,
    RequestState,
    SupplementNotice,
)
from admission.services import documents as document_services
from admission.services import intake
from admission.services.documents import issue_document
from tests import support
from workflows import actions

NUMBER = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")


def issue_letter(banner, request, department="forestry", township="naji"):
    return issue_document(
        draft=drafts.consultation_letter(duty_request=request, township=banner.org(township)),
        duty_request=request,
        actor=banner.users[department],
    )


def issue_supplement(banner, request, items=("补充法律依据。",)):
    return issue_document(
        draft=drafts.supplement_notice(duty_request=request, items=list(items)),
        duty_request=request,
        actor=banner.users["office"],
    )


def this_year() -> int:
    return timezone.localtime().year


def test_format_is_issuer_code_full_year_in_brackets_and_serial_without_leading_zeros(banner):
    leadership, office = banner.org("leadership"), banner.org("office")
    assert document_prefix(leadership) == "阿党政" and document_prefix(office) == "阿编"
    assert (
        format_number(issuer=leadership, kind=DocumentKind.ADMISSION_DECISION, year=2026, serial=3)
        == "阿党政准〔2026〕3号"
    )
    assert format_number(issuer=office, kind=DocumentKind.REVIEW_OPINION, year=2027, serial=10) == "阿编审〔2027〕10号"
    assert format_number(issuer=office, kind=DocumentKind.SUPPLEMENT_NOTICE, year=2026, serial=1) == "阿编补〔2026〕1号"
    forestry = banner.org("forestry")
    for kind in DocumentKind:
        assert NUMBER.match(format_number(issuer=forestry, kind=kind, year=2026, serial=7)), kind


def test_next_serial_counts_per_issuer_per_kind_per_year_from_one(banner, other_banner):
    office, leadership = banner.org("office"), banner.org("leadership")
    review, supplement = DocumentKind.REVIEW_OPINION, DocumentKind.SUPPLEMENT_NOTICE
    taken = [
        next_serial(issuer=office, kind=review, year=2026),
        next_serial(issuer=office, kind=review, year=2026),
        next_serial(issuer=office, kind=supplement, year=2026),  # another kind
        next_serial(issuer=office, kind=review, year=2027),  # another year
        next_serial(issuer=leadership, kind=review, year=2026),  # another issuer
        next_serial(issuer=other_banner.org("office"), kind=review, year=2026),  # another banner's office
        next_serial(issuer=office, kind=review, year=2026),
        next_serial(issuer=office, kind=supplement, year=2026),
        next_serial(issuer=office, kind=review, year=2027),
    ]
    assert taken == [1, 2, 1, 1, 1, 1, 3, 2, 2]
    assert DocumentCounter.objects.get(issuer=office, kind=review, year=2026).last_serial == 3
    assert DocumentCounter.objects.count() == 5


def test_issued_documents_are_numbered_per_issuer_and_per_kind_consecutively(banner):
    forestry_case = support.draft(banner)
    emergency_case = support.draft(banner, department="emergency", duty_name="应急避难场所日常巡查")

    letters = [issue_letter(banner, forestry_case, township=t) for t in ("naji", "liuhe", "yadong")]
    other = issue_letter(banner, emergency_case, department="emergency")
    notices = [issue_supplement(banner, forestry_case) for _ in range(3)]
    more = issue_letter(banner, forestry_case)

    year = this_year()
    assert [d.serial for d in letters + [more]] == [1, 2, 3, 4]
    assert [d.number for d in letters + [more]] == [f"阿林业函〔{year}〕{n}号" for n in (1, 2, 3, 4)]
    assert (other.serial, other.number) == (1, f"阿应急函〔{year}〕1号")
    assert [d.number for d in notices] == [f"阿编补〔{year}〕{n}号" for n in (1, 2, 3)]
    assert all(d.year == year for d in letters + notices + [other, more])
    for document in OfficialDocument.objects.all():
        assert NUMBER.match(document.number) and document.number.endswith(f"〔{year}〕{document.serial}号")
    # Each issue is in the case's audit trail with its number.
    issued = forestry_case.audit_events.filter(action=AuditAction.ISSUE_DOCUMENT)
    numbers = set(issued.values_list("data__number", flat=True))
    assert numbers == {d.number for d in letters + notices + [more]}


def test_the_series_restarts_at_1_each_year(banner, monkeypatch):
    case = support.draft(banner)
    this = [issue_supplement(banner, case), issue_supplement(banner, case)]
    next_year = this_year() + 1
    moment = timezone.make_aware(datetime(next_year, 1, 1, 0, 5))  # five past midnight, local time
    monkeypatch.setattr(document_services, "timezone", SimpleNamespace(localtime=lambda: moment))
    then = [issue_supplement(banner, case), issue_supplement(banner, case)]

    assert [d.serial for d in this] == [1, 2] and [d.serial for d in then] == [1, 2]
    assert [d.number for d in then] == [f"阿编补〔{next_year}〕1号", f"阿编补〔{next_year}〕2号"]
    assert then[0].year == next_year and then[0].content["date"] == f"{next_year}年1月1日"


def test_a_rolled_back_issue_does_not_consume_a_number(banner):
    case = support.draft(banner)
    first = issue_supplement(banner, case)
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = issue_supplement(banner, case)
        assert lost.serial == 2
        raise RuntimeError("the deciding transaction fails after the number was taken")
    second = issue_supplement(banner, case)
    assert (first.serial, second.serial) == (1, 2)  # no gap: 2 was given back and given again
    assert list(OfficialDocument.objects.order_by("serial").values_list("serial", flat=True)) == [1, 2]


def test_a_failing_deciding_step_rolls_back_its_number_with_it(banner, monkeypatch):
    """return_for_supplement issues its notice inside the step's transaction: when the step fails after numbering,
    the state change, the notice and the number all roll back, and the retried step gets number 1."""
    request = support.draft(banner)
    request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    support.consult_all(banner, request)
    support.submit(banner, request)
    office = banner.users["office"]

    def broken_audit(**kwargs):
        raise DatabaseError("audit table unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(document_services, "record_event", broken_audit)  # fails after next_serial, inside the step
        with pytest.raises(DatabaseError):
            intake.return_for_supplement(duty_request=request, actor=office, items=["补充法律依据。"])
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    assert not SupplementNotice.objects.filter(request=request).exists()
    assert not OfficialDocument.objects.filter(kind=DocumentKind.SUPPLEMENT_NOTICE).exists()
    assert not DocumentCounter.objects.filter(kind=DocumentKind.SUPPLEMENT_NOTICE).exists()

    support.do(
        request,
        "intake",
        office,
        lambda: intake.return_for_supplement(duty_request=request, actor=office, items=["补充法律依据。"]),
    )
    notice = OfficialDocument.objects.get(kind=DocumentKind.SUPPLEMENT_NOTICE)
    assert notice.serial == 1 and notice.number == f"阿编补〔{this_year()}〕1号"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_top_level_transaction_returns_its_number(banner):
    """The same with real commits: the counter row created by the failed transaction disappears with it."""
    case = support.draft(banner)
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_supplement(banner, case)
        raise RuntimeError("fails before commit")
    assert not DocumentCounter.objects.exists() and not OfficialDocument.objects.exists()
    assert [issue_supplement(banner, case).serial for _ in range(3)] == [1, 2, 3]


def test_the_register_refuses_a_number_twice(banner):
    """The database, not only the counter, keeps a number from being used twice."""
    case = support.draft(banner)
    document = issue_supplement(banner, case)
    duplicate = OfficialDocument.objects.get(pk=document.pk)
    duplicate.pk, duplicate.verification_code = None, "XXXXXXXXXX"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


# --- concurrency on PostgreSQL -----------------------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="numbering under concurrency needs PostgreSQL row locks (set DATABASE_URL)",
)


def issue_at_once(jobs: list, *, hold: float = 0.01) -> list:
    """Run each job (a callable returning an OfficialDocument) in its own thread and connection, all released at the
    same moment; each holds its transaction a little after numbering so the others queue on the counter's lock."""
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                document = job()
                threading.Event().wait(hold)
            results[index] = (document.issuer_id, document.kind, document.serial, document.number)
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    errors = [r for r in results if not isinstance(r, tuple)]
    assert errors == [], errors
    return results


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_24_concurrent_issues_get_unique_consecutive_numbers(banner):
    case = support.draft(banner)
    n = 24

    # The counter row does not exist yet: every thread races to create it as well.
    first = issue_at_once([lambda: issue_supplement(banner, case)] * n)
    assert sorted(serial for _, _, serial, _ in first) == list(range(1, n + 1))
    assert len({number for *_, number in first}) == n

    # Then two issuers at once: one continuing its series, one starting another.
    emergency_case = support.draft(banner, department="emergency", duty_name="应急避难场所日常巡查")
    second = issue_at_once(
        [lambda: issue_supplement(banner, case)] * (n // 2)
        + [lambda: issue_letter(banner, emergency_case, department="emergency")] * (n // 2)
    )
    office = banner.org("office").pk
    assert sorted(s for issuer, _, s, _ in second if issuer == office) == list(range(n + 1, n + n // 2 + 1))
    assert sorted(s for issuer, _, s, _ in second if issuer != office) == list(range(1, n // 2 + 1))

    year = this_year()
    supplements = OfficialDocument.objects.filter(kind=DocumentKind.SUPPLEMENT_NOTICE)
    assert sorted(supplements.values_list("serial", flat=True)) == list(range(1, n + n // 2 + 1))
    assert set(supplements.values_list("number", flat=True)) == {
        f"阿编补〔{year}〕{s}号" for s in range(1, n + n // 2 + 1)
    }
    assert DocumentCounter.objects.get(kind=DocumentKind.SUPPLEMENT_NOTICE, year=year).last_serial == n + n // 2
    assert DocumentCounter.objects.get(kind=DocumentKind.CONSULTATION_LETTER, year=year).last_serial == n // 2
