"""Reads: lists and the case page. Every function runs a bounded number of queries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from itertools import groupby
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypedDict, TypeVar

from django.db.models import Count, DecimalField, F, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .compiled import CompiledQuery
from .documents.content import term_text
from .models import (
    DUTY_TERMS,
    DocumentKind,
    DutyCategory,
    DutyRequest,
    DutyStatus,
    DutyVersion,
    Jurisdiction,
    JurisdictionLevel,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RequestPurpose,
    RequestState,
    ReviewConclusion,
    SafeguardDelivery,
    SafeguardKind,
    TownshipDuty,
    UnadmittedDutyReport,
)
from .models.audit import AuditEvent
from .models.duties import terms_of_duty, terms_of_request
from .models.habits import CaseComment, CaseCopy
from .models.requests import (
    FINAL_STATES,
    AdvisoryOpinion,
    ApprovalDecision,
    Attachment,
    BureauReviewOpinion,
    Consultation,
    SupplementNotice,
)
from .permissions import jurisdictions_overseen, membership_of, visible_duties, visible_reports, visible_requests

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from .permissions import Viewer

M = TypeVar("M", bound=Model)


class Fulfilment(TypedDict):
    """What _with_fulfilment adds to each duty: the safeguards its township has confirmed."""

    funding_confirmed: Decimal
    technical_confirmed: int
    training_confirmed: int


# A duty read through _with_fulfilment.
FulfilledDuty: TypeAlias = "WithAnnotations[TownshipDuty, Fulfilment]"


# Case numbers as shown (ZR2026-00012, reference), or the number alone.
CASE_NUMBER = re.compile(r"(?i)^(?:ZR(?P<year>\d{4})-)?0*(?P<pk>\d{1,9})$")


def search_requests(requests: QuerySet[DutyRequest], text: str) -> QuerySet[DutyRequest]:
    """Cases whose number, duty name, department or one of whose townships matches `text`."""
    text = text.strip()
    if not text:
        return requests
    found = Q(duty_name__icontains=text) | Q(department__name__icontains=text) | Q(townships__name__icontains=text)
    number = CASE_NUMBER.match(text.replace(" ", ""))
    if number:
        by_number = Q(pk=int(number["pk"]))
        if number["year"]:
            by_number &= Q(created_at__year=int(number["year"]))
        found |= by_number
    return requests.filter(pk__in=DutyRequest.objects.filter(found).values("pk"))


def ordered(queryset: QuerySet[M], sort: str, sorts: dict[str, str], default: str) -> QuerySet[M]:
    """Order by one of `sorts` (a column key, "-" in front for descending), else by `default`; pk breaks ties."""
    key = sort.removeprefix("-")
    if key not in sorts:
        sort, key = default, default.removeprefix("-")
    descending = sort.startswith("-")
    field = sorts[key]
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")


REQUEST_SORTS = {
    "reference": "pk",
    "duty_name": "duty_name",
    "department": "department__name",
    "state": "state",
    "updated": "updated_at",
}


def request_list(
    *,
    user: Viewer,
    state: str = "",
    query: str = "",
    track: str = "",
    year: int | None = None,
    sort: str = "",
    banner_id: int | None = None,
) -> QuerySet[DutyRequest]:
    """The cases the user sees; above the banners, optionally those of one banner (`banner_id`)."""
    requests = visible_requests(user).select_related("department", "jurisdiction")
    if banner_id is not None:
        requests = requests.filter(jurisdiction_id=banner_id)
    if state:
        requests = requests.filter(state=state)
    if track:
        requests = requests.filter(track=track)
    if year:
        requests = requests.filter(created_at__year=year)
    return ordered(search_requests(requests, query), sort, REQUEST_SORTS, "-updated")


def copy_candidates(*, duty_request: DutyRequest, sender: Organization) -> QuerySet[Organization]:
    """The bodies of the case's banner a case may be copied to (抄送): not the city's government, not the sending unit,
    the applicant or the department (they have the case already), not a body it was copied to before."""
    return (
        Organization.objects.filter(jurisdiction_id=duty_request.jurisdiction_id)
        .exclude(kind=OrganizationKind.CITY_GOVERNMENT)
        .exclude(pk__in={sender.pk, duty_request.applicant_id, duty_request.department_id})
        .exclude(pk__in=duty_request.copies.values("organization_id"))
        .order_by("kind", "division_code", "pk")
    )


# The case page's reads (and its task pages'), by the case's key: each built and compiled once per process
# (admission.compiled). Building and compiling these statements at every request was a third of the page's CPU (issue 15).
_CONSULTATIONS = CompiledQuery(
    lambda request_id: (
        Consultation.objects.filter(request_id=request_id)
        .select_related("township", "responded_by", "letter")
        .order_by("-round", "township__division_code")
    )
)
_TOWNSHIPS = CompiledQuery(
    lambda request_id: Organization.objects.filter(requests_naming_me=request_id).order_by("division_code")
)
_ATTACHMENTS = CompiledQuery(
    lambda request_id: Attachment.objects.filter(request_id=request_id).select_related("organization", "uploaded_by")
)
_SUPPLEMENT_NOTICES = CompiledQuery(
    lambda request_id: SupplementNotice.objects.filter(request_id=request_id).select_related("issued_by")
)
_BUREAU_OPINIONS = CompiledQuery(
    lambda request_id: BureauReviewOpinion.objects.filter(request_id=request_id).select_related(
        "organization", "given_by"
    )
)
_ADVISORY_OPINIONS = CompiledQuery(
    lambda request_id: AdvisoryOpinion.objects.filter(request_id=request_id).select_related(
        "organization", "answered_by", "letter"
    )
)
_REVIEW_CONCLUSION = CompiledQuery(
    lambda request_id: ReviewConclusion.objects.filter(request_id=request_id).select_related("given_by")
)
_APPROVAL_DECISIONS = CompiledQuery(
    lambda request_id: ApprovalDecision.objects.filter(request_id=request_id).select_related(
        "body", "recorded_by", "reply_scan"
    )
)
_HISTORY = CompiledQuery(
    lambda request_id: AuditEvent.objects.filter(request_id=request_id).select_related("actor", "organization")
)
_DOCUMENTS = CompiledQuery(
    lambda request_id: (
        OfficialDocument.objects.filter(request_id=request_id).select_related("issuer").order_by("issued_at", "pk")
    )
)
_TARGET_DUTIES = CompiledQuery(
    lambda request_id: (
        TownshipDuty.objects.filter(change_requests=request_id)
        .select_related("township")
        .order_by("township__division_code")
    )
)
_COMMENTS = CompiledQuery(
    lambda request_id: CaseComment.objects.filter(request_id=request_id).select_related("author", "organization")
)
_COPIES = CompiledQuery(
    lambda request_id: CaseCopy.objects.filter(request_id=request_id).select_related("organization", "sent_by")
)


def _of_case(compiled: CompiledQuery[M], duty_request: DutyRequest) -> list[M]:
    """The rows of the case, each knowing its case as `duty_request.things` would have it (no read for `.request`)."""
    rows = compiled.all(request_id=duty_request.pk)
    for row in rows:
        row.request = duty_request  # type: ignore[attr-defined]
    return rows


def case_notes(*, duty_request: DutyRequest) -> dict[str, Any]:
    """What the parties of a case write to each other (comments) and whom it was sent to for information (抄送)."""
    return {
        "comments": _of_case(_COMMENTS, duty_request),
        "copies": _of_case(_COPIES, duty_request),
    }


def request_detail(*, duty_request: DutyRequest) -> dict[str, Any]:
    consultations = _of_case(_CONSULTATIONS, duty_request)
    return {
        "townships": _TOWNSHIPS.all(request_id=duty_request.pk),
        "consultation_rounds": [(r, list(items)) for r, items in groupby(consultations, key=lambda c: c.round)],
        "attachments": _of_case(_ATTACHMENTS, duty_request),
        "supplement_notices": _of_case(_SUPPLEMENT_NOTICES, duty_request),
        "bureau_opinions": _of_case(_BUREAU_OPINIONS, duty_request),
        "advisory_opinions": _of_case(_ADVISORY_OPINIONS, duty_request),
        "review_conclusion": _REVIEW_CONCLUSION.first(request_id=duty_request.pk),
        "approval_decisions": _of_case(_APPROVAL_DECISIONS, duty_request),
        "history": _of_case(_HISTORY, duty_request),
        "documents": _of_case(_DOCUMENTS, duty_request),
        "target_duties": _TARGET_DUTIES.all(request_id=duty_request.pk),
        "changes": proposed_changes(duty_request=duty_request),
    }


def _labelled(changed: list[str], old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {f.name: f.verbose_name for f in TownshipDuty._meta.fields}
    return [{"label": labels[t], "old": term_text(t, old[t]), "new": term_text(t, new[t])} for t in changed]


def proposed_changes(*, duty_request: DutyRequest) -> list[dict[str, Any]]:
    """Art. 4(5): what an adjustment changes — against the current list while it runs, as recorded once approved."""
    if duty_request.purpose != RequestPurpose.ADJUSTMENT:
        return []
    duty = duty_request.target_duties.order_by("township__division_code").first()
    if duty is None:
        return []
    version = DutyVersion.objects.filter(duty=duty, request=duty_request).first()
    if version is not None:
        previous = duty.versions.get(number=version.number - 1)
        return _labelled(version.changed_fields, previous.terms, version.terms)
    old, new = terms_of_duty(duty), terms_of_request(duty_request)
    return _labelled([t for t in DUTY_TERMS if old[t] != new[t]], old, new)


# The documents behind a duty's versions and its exit.
HISTORY_DOCUMENT_KINDS = (DocumentKind.ADMISSION_DECISION, DocumentKind.ADJUSTMENT_NOTICE, DocumentKind.EXIT_NOTICE)


def _documents_of_cases(request_ids: list[int]) -> dict[int | None, OfficialDocument]:
    return {
        d.request_id: d
        for d in OfficialDocument.objects.filter(
            request_id__in=request_ids, kind__in=HISTORY_DOCUMENT_KINDS
        ).select_related("issuer")
    }


def _version_rows(versions: list[DutyVersion], documents: dict[int | None, OfficialDocument]) -> list[dict[str, Any]]:
    """One row a version, oldest first: the version, the decision's document, and what it changed from the one before."""
    return [
        {
            "version": version,
            "document": documents.get(version.request_id),
            "changes": _labelled(version.changed_fields, previous.terms, version.terms) if previous else [],
        }
        for previous, version in zip([None, *versions], versions)
    ]


def duty_history(*, duty: TownshipDuty) -> dict[str, Any]:
    """Art. 4(4), 4(5): every version of a duty with the decision behind it, its exit, and any open change case."""
    versions = list(duty.versions.select_related("decision__body", "request"))
    documents = _documents_of_cases([v.request_id for v in versions] + [c.pk for c in duty.change_requests.all()])
    rows = _version_rows(versions, documents)
    exit_case = duty.change_requests.filter(purpose=RequestPurpose.EXIT, state=RequestState.EXITED).first()
    return {
        "versions": rows[::-1],
        "exit_case": exit_case,
        "exit_notice": documents.get(exit_case.pk) if exit_case else None,
        "open_change": duty.change_requests.select_related("applicant").exclude(state__in=FINAL_STATES).first(),
    }


def duty_versions(*, duties: Iterable[TownshipDuty]) -> dict[int, list[dict[str, Any]]]:
    """Art. 4(5): the version records of each of `duties`, as its duty page shows them (oldest first here), in two
    queries whatever the number of duties."""
    versions = list(
        DutyVersion.objects.filter(duty_id__in=[d.pk for d in duties])
        .select_related("decision__body", "request")
        .order_by("duty_id", "number")
    )
    documents = _documents_of_cases([v.request_id for v in versions])
    return {
        duty_id: _version_rows(list(group), documents) for duty_id, group in groupby(versions, key=lambda v: v.duty_id)
    }


class DutyListFilter(StrEnum):
    """Which part of a duty list to show: the current list, duties taken back (exited), or those with a gap."""

    ACTIVE = "active"
    EXITED = "exited"
    UNFULFILLED = "unfulfilled"


def _confirmed(
    kind: str, total: Sum | Count, zero: Decimal | int, output_field: DecimalField[Any, Any] | IntegerField[Any, Any]
) -> Coalesce:
    """A duty's deliveries of one kind that its township confirmed, totalled in a subquery of their own."""
    deliveries = SafeguardDelivery.objects.filter(duty=OuterRef("pk"), kind=kind, confirmed_at__isnull=False)
    return Coalesce(
        Subquery(deliveries.order_by().values("duty").annotate(total=total).values("total")),
        Value(zero),
        output_field=output_field,
    )


def _with_fulfilment(duties: QuerySet[TownshipDuty]) -> QuerySet[FulfilledDuty]:
    # Subqueries, not a join of the deliveries grouped by every selected table: with the list's five related tables
    # PostgreSQL took 25-60 ms to plan that statement (every request until a connection's prepared statement settles
    # on a generic plan), 2-3 ms this way; a subquery in the select list runs for the page's rows only.
    return duties.annotate(
        funding_confirmed=_confirmed(
            SafeguardKind.FUNDING, Sum("amount"), Decimal("0"), DecimalField(max_digits=14, decimal_places=2)
        ),
        technical_confirmed=_confirmed(SafeguardKind.TECHNICAL_SUPPORT, Count("pk"), 0, IntegerField()),
        training_confirmed=_confirmed(SafeguardKind.TRAINING, Count("pk"), 0, IntegerField()),
    )


# Art. 5: a safeguard is missing when none was promised, unfulfilled until the township confirms receipt of it.
UNFULFILLED = (
    Q(funding_amount__isnull=True)
    | Q(funding_amount__lte=0)
    | Q(funding_confirmed__lt=F("funding_amount"))
    | Q(technical_support="")
    | Q(technical_confirmed=0)
    | Q(training="")
    | Q(training_confirmed=0)
)


class Fulfilled(Protocol):
    """A duty as _with_fulfilment reads it, or a plain row of its values under the same names (an export's)."""

    @property
    def funding_amount(self) -> Decimal | None: ...
    @property
    def funding_confirmed(self) -> Decimal: ...
    @property
    def technical_support(self) -> str: ...
    @property
    def technical_confirmed(self) -> int: ...
    @property
    def training(self) -> str: ...
    @property
    def training_confirmed(self) -> int: ...


class SafeguardGaps:
    """What is still missing or unconfirmed for duties annotated by _with_fulfilment, in the active language; each
    text translated once for all the duties of a list (an export's 300 duties translated them 900 times, ~5 ms)."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def _text(self, message: str) -> str:
        text = self._texts.get(message)
        if text is None:
            text = self._texts[message] = _(message)
        return text

    def __call__(self, duty: Fulfilled) -> list[str]:
        gaps = []
        if not duty.funding_amount:
            gaps.append(self._text(gettext_noop("未安排工作经费")))
        elif duty.funding_confirmed < duty.funding_amount:
            gaps.append(
                self._text(gettext_noop("经费到位 %(confirmed)s / %(promised)s 元"))
                % {"confirmed": f"{duty.funding_confirmed:,.2f}", "promised": f"{duty.funding_amount:,.2f}"}
            )
        if not duty.technical_support:
            gaps.append(self._text(gettext_noop("未安排技术支持")))
        elif not duty.technical_confirmed:
            gaps.append(self._text(gettext_noop("技术支持未确认到位")))
        if not duty.training:
            gaps.append(self._text(gettext_noop("未安排业务培训")))
        elif not duty.training_confirmed:
            gaps.append(self._text(gettext_noop("业务培训未确认到位")))
        return gaps


def safeguard_gaps(duty: Fulfilled) -> list[str]:
    """One duty's gaps (SafeguardGaps for a list of them)."""
    return SafeguardGaps()(duty)


def township_duties(
    *,
    user: Viewer,
    township_id: int | None = None,
    query: str = "",
    state: str = DutyListFilter.ACTIVE,
    category: str = "",
    banner_id: int | None = None,
) -> QuerySet[FulfilledDuty]:
    """The duties the user's organization sees (permissions.visible_duties; an organization office above the banners,
    read-only, those of one banner below it, `banner_id`, issue 15). `state`: active (the current list), exited
    (上级部门收回事项), unfulfilled."""
    duties = visible_duties(user, banner_id=banner_id)
    if township_id:
        duties = duties.filter(township_id=township_id)
    duties = _with_fulfilment(duties)
    if state == DutyListFilter.EXITED:
        duties = duties.filter(status=DutyStatus.EXITED)
    else:
        duties = duties.filter(status=DutyStatus.ACTIVE)
        if state == DutyListFilter.UNFULFILLED:
            duties = duties.filter(UNFULFILLED)
    if category in DutyCategory.values:
        duties = duties.filter(category=category)
    if query:
        duties = duties.filter(Q(duty_name__icontains=query) | Q(department__name__icontains=query))
    # The exit decision only where there is one: two tables fewer for PostgreSQL to plan in the lists in force.
    related = ("exit_decision__body",) if state == DutyListFilter.EXITED else ()
    return (
        duties.select_related("township", "department", "decision__body", *related)
        .annotate(case_created_at=F("request__created_at"))  # for case_reference, not the whole case
        .order_by("township__division_code", "-admitted_at")
    )


def _summary_totals(jurisdiction_id: int) -> QuerySet[TownshipDuty, tuple[int, int, Any, int, Any]]:
    return (
        _with_fulfilment(
            TownshipDuty.objects.filter(township__jurisdiction_id=jurisdiction_id, status=DutyStatus.ACTIVE)
        )
        .values("township")
        .annotate(
            duties=Count("pk"),
            funding=Sum("funding_amount"),
            gaps=Count("pk", filter=UNFULFILLED),
            confirmed=Sum("funding_confirmed"),  # not named funding_confirmed: UNFULFILLED reads the duty's
        )
        .order_by()
        .values_list("township", "duties", "funding", "gaps", "confirmed")
    )


# Built and compiled once: the subqueries of the confirmed safeguards took Django 5-6 ms a request to build and compile.
_SUMMARY_TOTALS = CompiledQuery(_summary_totals)


def _amount(total: Decimal | float | None) -> Decimal:
    """A sum of amounts as the database sends it (compiled statements' rows have no converters): PostgreSQL's a
    Decimal, SQLite's (no decimal type) a float or an integer; none when nothing was summed."""
    if total is None:
        return Decimal("0")
    return total if isinstance(total, Decimal) else Decimal(str(total)).quantize(Decimal("0.01"))


def township_summary(*, jurisdiction_id: int, townships: Iterable[Organization] | None = None) -> list[dict[str, Any]]:
    """Per township: duties on the list, funding promised and confirmed, duties with safeguard gaps. One statement,
    and one more for the jurisdiction's townships unless given (`townships`: all of them, in division-code order, as
    townships_of gives them to the list beside)."""
    totals = {row[0]: row for row in _SUMMARY_TOTALS.rows(jurisdiction_id=jurisdiction_id)}
    if townships is None:
        townships = Organization.objects.filter(
            jurisdiction_id=jurisdiction_id, kind=OrganizationKind.TOWNSHIP
        ).order_by("division_code")
    summary = []
    for township in townships:
        _township, duties, funding, gaps, confirmed = totals.get(township.pk, (None, 0, None, 0, None))
        summary.append(
            {
                "township": township,
                "duties": duties,
                "funding": _amount(funding),
                "funding_confirmed": _amount(confirmed),
                "gaps": gaps,
            }
        )
    return summary


def townships_of(*, user: Viewer, banner_id: int | None = None) -> QuerySet[Organization]:
    """The townships of the user's banner, or of one banner below an office above the banners (`banner_id`)."""
    membership = membership_of(user)
    if membership is None:
        return Organization.objects.none()
    org = membership.organization
    if org.jurisdiction.level != JurisdictionLevel.BANNER:
        if banner_id is None:
            return Organization.objects.none()
        return Organization.objects.filter(
            jurisdiction_id=banner_id, jurisdiction__in=jurisdictions_overseen(org), kind=OrganizationKind.TOWNSHIP
        ).order_by("division_code")
    return Organization.objects.filter(jurisdiction_id=org.jurisdiction_id, kind=OrganizationKind.TOWNSHIP).order_by(
        "division_code"
    )


DOCUMENT_SORTS = {"number": "number", "title": "title", "issuer": "issuer__name", "issued": "issued_at"}


def documents_for(
    *, user: Viewer, query: str = "", kind: str = "", year: int | None = None, sort: str = ""
) -> QuerySet[OfficialDocument]:
    """Documents the user's organization issued or received (主送、抄送), newest first; searched by number, title,
    issuer, or the case (number, duty, department, township)."""
    from .models import OfficialDocument

    membership = membership_of(user)
    if membership is None:
        return OfficialDocument.objects.none()
    org = membership.organization
    # Every document belongs to one banner (a city's reply to the banner of the case): the banners the organization
    # oversees bound the OR, which no index can serve, to theirs instead of the region's (issue 15). The documents
    # it received are one indexed read of the recipients by organization, not a join of every banner's recipients
    # (a hash join over all of them at 100 banners: the page 1.6× slower than at one or a thousand).
    received = OfficialDocument.recipients.through.objects.filter(organization=org).values("officialdocument_id")
    documents = (
        OfficialDocument.objects.filter(jurisdiction__in=jurisdictions_overseen(org))
        .filter(Q(issuer=org) | Q(pk__in=received))
        .select_related("issuer", "request")
    )
    if kind:
        documents = documents.filter(kind=kind)
    if year:
        documents = documents.filter(issued_at__year=year)
    query = query.strip()
    if query:
        documents = documents.filter(
            Q(number__icontains=query)
            | Q(title__icontains=query)
            | Q(issuer__name__icontains=query)
            | Q(request__in=search_requests(DutyRequest.objects.all(), query))
        )
    return ordered(documents, sort, DOCUMENT_SORTS, "-issued")


def document_by_code(*, code: str) -> OfficialDocument | None:
    """The registered document a verification code names (the /verify/ page and the API; case does not matter)."""
    return OfficialDocument.objects.select_related("issuer").filter(verification_code=code.upper()).first()


REPORT_SORTS = {
    "township": "township__division_code",
    "department": "department__name",
    "reported": "reported_at",
    "handled": "handled_at",
}


def reports_for(
    *, user: Viewer, query: str = "", handled: str = "", year: int | None = None, sort: str = ""
) -> QuerySet[UnadmittedDutyReport]:
    """Art. 7–8 reports the user may see; searched by township, department or what was pushed down."""
    reports = visible_reports(user).select_related("township", "department")
    if handled == "yes":
        reports = reports.filter(handled_at__isnull=False)
    elif handled == "no":
        reports = reports.filter(handled_at__isnull=True)
    if year:
        reports = reports.filter(reported_at__year=year)
    query = query.strip()
    if query:
        reports = reports.filter(
            Q(township__name__icontains=query)
            | Q(department__name__icontains=query)
            | Q(duty_description__icontains=query)
        )
    if not sort:  # unhandled first, then the newest
        return reports.order_by(F("handled_at").asc(nulls_first=True), "-reported_at", "-pk")
    return ordered(reports, sort, REPORT_SORTS, "-reported")


def township_duty_detail_queryset() -> QuerySet[FulfilledDuty]:
    return _with_fulfilment(TownshipDuty.objects.all()).select_related(
        "township", "department", "decision__body", "exit_decision__body", "request"
    )


def list_of_township(*, township: Organization, state: str = DutyListFilter.ACTIVE) -> QuerySet[FulfilledDuty]:
    """One township's list for exports run without a user (manage.py export_duty_list)."""
    status = DutyStatus.EXITED if state == DutyListFilter.EXITED else DutyStatus.ACTIVE
    return (
        _with_fulfilment(TownshipDuty.objects.filter(township=township, status=status))
        .select_related("township", "department", "decision__body", "request")
        .order_by("-admitted_at")
    )


def provisional_deadlines() -> list[tuple[str, int]]:
    """What the administrator must enter for open tasks whose due date is provisional (暂估), with how many tasks
    each instruction concerns; one query."""
    from viewflow.workflow.status import STATUS

    from .models import TaskDeadline

    rows = (
        TaskDeadline.objects.filter(task__status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))
        .exclude(problem="")
        .values("problem")
        .annotate(count=Count("pk"))
        .order_by("problem")
    )
    return [(row["problem"], row["count"]) for row in rows]


def _clauses(parts: list[str]) -> str:
    """Sentences joined as clauses of one: "甲同意：可以；乙同意：可以", never "可以。；乙"."""
    return "；".join(part.strip().rstrip("。；;") for part in parts)


def consolidation_draft(*, duty_request: DutyRequest) -> dict[str, str]:
    """Art. 4(2): the consolidated opinion's starting text, from what the joint meeting's members and the parties
    already wrote — 编办 on the division of duties, 司法局 on the legal basis, 政数局 on the work against the power
    list, the townships' and advisers' opinions, the safeguards of the application — and, for a rejection, the
    members' reasons against. The lead unit edits it before concluding. Four queries."""
    from .models import AdvisoryOpinion, BureauReviewOpinion

    opinions = {
        o.organization.kind: o
        for o in BureauReviewOpinion.objects.filter(request=duty_request).select_related("organization")
    }

    def said(kind: str) -> str:
        opinion = opinions.get(kind)
        return f"{opinion.organization.name}：{opinion.reasoning}" if opinion else ""

    consulted = [
        f"{c.township.name}{c.get_outcome_display()}{'：' + c.opinion if c.opinion else ''}"
        for c in duty_request.current_consultations().select_related("township").order_by("township__division_code")
    ]
    advised = [
        f"{a.source_label}：{a.answer}"
        for a in AdvisoryOpinion.objects.filter(request=duty_request, answered_at__isnull=False)
        .select_related("organization")
        .order_by("pk")
    ]
    # The text is the start of an official document: written in Chinese whatever the page's language.
    funding = (
        f"工作经费 {duty_request.funding_amount:,.2f} 元（{duty_request.funding_source}）"
        if duty_request.funding_amount
        else "无专项工作经费"
    )
    safeguards = [funding, *(text for text in (duty_request.technical_support, duty_request.training) if text)]
    return {
        "work_content": said(OrganizationKind.DATA_BUREAU),
        "legal_basis": said(OrganizationKind.JUSTICE_BUREAU),
        "division_of_responsibilities": said(OrganizationKind.ORGANIZATION_OFFICE),
        "consultation": _clauses(consulted + advised),
        "safeguards": _clauses(safeguards),
        "reasons": "\n".join(f"{o.organization.name}：{o.reasoning}" for o in opinions.values() if not o.passes),
    }


# --- the public lists (issue 15): what the reform requires to be public, nothing internal -----------------------


def public_jurisdictions() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.order_by("division_code")


def public_townships(*, jurisdiction: Jurisdiction) -> QuerySet[Organization]:
    return Organization.objects.filter(jurisdiction=jurisdiction, kind=OrganizationKind.TOWNSHIP).order_by(
        "division_code", "pk"
    )


def public_duty_list(*, township: Organization) -> list[dict[str, Any]]:
    """A township's admitted duties in force, as published without login: name, category, department, legal basis,
    admission date and the number and verification code of the admission decision; the funding amount only where the
    banner publishes it (Jurisdiction.publishes_funding). No opinions, reasons, people or other internal content."""
    duties = list(
        TownshipDuty.objects.filter(township=township, status=DutyStatus.ACTIVE)
        .select_related("department")
        .order_by("-admitted_at", "pk")
    )
    decisions: dict[int, OfficialDocument] = {}
    for issued in OfficialDocument.objects.filter(
        request_id__in={d.request_id for d in duties}, kind=DocumentKind.ADMISSION_DECISION
    ).order_by("issued_at", "pk"):
        if issued.request_id is not None:
            decisions[issued.request_id] = issued  # the latest decision of the case
    with_funding = township.jurisdiction.publishes_funding
    rows = []
    for duty in duties:
        document = decisions.get(duty.request_id)
        rows.append(
            {
                "id": duty.pk,
                "name": duty.duty_name,
                "category": duty.get_category_display(),
                "track": duty.get_track_display(),
                "department": duty.department.name,
                "legal_basis": duty.legal_basis,
                "admitted_on": timezone.localdate(duty.admitted_at),
                "end_date": duty.end_date,
                "decision_number": document.number if document else "",
                "verification_code": document.verification_code if document else "",
                "funding_amount": duty.funding_amount if with_funding else None,
            }
        )
    return rows


def banners_below(*, organization: Organization) -> list[dict[str, Any]]:
    """The drill-down of an office above the banners (issue 15): each banner below it, with its league or city, its
    cases by state and its duties in force, counted in the database (three queries whatever the number of banners)."""
    banners = list(jurisdictions_overseen(organization).select_related("parent").order_by("division_code"))
    ids = [b.pk for b in banners]
    cases: dict[int, dict[str, int]] = {}
    for jurisdiction_id, state, count in (
        DutyRequest.objects.filter(jurisdiction_id__in=ids)
        .values_list("jurisdiction_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cases.setdefault(jurisdiction_id, {})[state] = count
    duties = dict(
        TownshipDuty.objects.filter(township__jurisdiction_id__in=ids, status=DutyStatus.ACTIVE)
        .values_list("township__jurisdiction_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    open_states = set(RequestState.values) - set(FINAL_STATES) - {RequestState.DRAFT}
    return [
        {
            "banner": banner,
            "city": banner.parent,
            "open": sum(n for state, n in cases.get(banner.pk, {}).items() if state in open_states),
            "awaiting_city": cases.get(banner.pk, {}).get(RequestState.AWAITING_CITY, 0),
            "admitted": cases.get(banner.pk, {}).get(RequestState.ADMITTED, 0),
            "duties": duties.get(banner.pk, 0),
        }
        for banner in banners
    ]


def cities_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The region's leagues and cities with their banners' figures added up, from banners_below's rows."""
    cities: dict[int, dict[str, Any]] = {}
    for row in rows:
        city = row["city"]
        if city is None or city.level != JurisdictionLevel.CITY:
            continue
        total = cities.setdefault(
            city.pk, {"city": city, "banners": 0, "open": 0, "awaiting_city": 0, "admitted": 0, "duties": 0}
        )
        total["banners"] += 1
        for key in ("open", "awaiting_city", "admitted", "duties"):
            total[key] += row[key]
    return sorted(cities.values(), key=lambda c: c["city"].division_code)
