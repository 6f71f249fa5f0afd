"""Per-jurisdiction settings inherited down the hierarchy (issue 15): a banner's own value wins, else its league's or
city's, else the region's, else the procedure's default. Time limits follow the same rule
(services/deadlines.py:time_limit); this module reads the document settings — the abbreviation that opens document
numbers, the measure documents cite, which body issues which kind of document, who signs it off — and says where each
effective value comes from.
Reads only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Case, Model, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from .models import (
    DocumentSetting,
    Jurisdiction,
    JurisdictionLevel,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    TimeLimit,
)
from .models.documents import ISSUER_CHOICES
from .procedure import STEPS

T = TypeVar("T")


@dataclass(frozen=True)
class Inherited(Generic[T]):
    """An effective setting and the jurisdiction whose value it is (None: the procedure's default)."""

    value: T
    source: Jurisdiction | None

    def inherited_by(self, jurisdiction: Jurisdiction) -> bool:
        return self.source is None or self.source.pk != jurisdiction.pk


def levels(jurisdiction: Jurisdiction) -> Iterator[Jurisdiction]:
    """The jurisdiction, its league or city, the region: nearest first, each read only when asked for (the parents
    already loaded by select_related("parent__parent") cost nothing)."""
    level: Jurisdiction | None = jurisdiction
    for _depth in range(3):
        if level is None:
            return
        yield level
        level = level.parent if level.parent_id is not None else None


def document_abbreviation(jurisdiction: Jurisdiction) -> Inherited[str]:
    """The 简称 that opens the document numbers of the jurisdiction's bodies: its own (no query), else the nearest
    above."""
    for level in levels(jurisdiction):
        if level.abbreviation:
            return Inherited(level.abbreviation, level)
    return Inherited("", None)


def measure(jurisdiction: Jurisdiction) -> Inherited[str]:
    """The name of the measure the jurisdiction's documents cite (without 《》): its own, else its league's or city's,
    else the region's. Where no level names one, a provisional name made from the jurisdiction's (source None), which
    the administrator is told to replace (admin: 旗县（区）)."""
    for level in levels(jurisdiction):
        if level.measure:
            return Inherited(level.measure, level)
    return Inherited(f"{jurisdiction.name}乡镇职责准入管理办法", None)


def banners_without_a_measure() -> list[Jurisdiction]:
    """The banners whose documents cite a provisional measure: none named at their level or above (one query)."""
    unnamed = Q(measure="")
    return list(
        Jurisdiction.objects.filter(unnamed, level=JurisdictionLevel.BANNER)
        .filter(Q(parent__isnull=True) | Q(parent__measure=""))
        .filter(Q(parent__parent__isnull=True) | Q(parent__parent__measure=""))
        .order_by("division_code")
    )


def measure_title(jurisdiction: Jurisdiction) -> str:
    """《…》, as a sentence cites the measure."""
    return f"《{measure(jurisdiction).value}》"


def document_prefix(organization: Organization) -> str:
    """The full issuing-body code (发文机关代字) of a body's numbers: 阿 + 编. A township numbers in its own name."""
    if organization.kind == OrganizationKind.TOWNSHIP:
        return organization.document_code
    return document_abbreviation(organization.jurisdiction).value + organization.document_code


M = TypeVar("M", bound=Model)


def up_the_levels(rows: QuerySet[M], jurisdiction_id: int) -> QuerySet[M]:
    """`rows` (settings with a `jurisdiction`) of a jurisdiction and the two levels above it, each annotated with its
    `depth`: 0 the jurisdiction's own, 1 its league's or city's, 2 the region's. The one rule of inheritance, for the
    document settings here and the time limits (services/deadlines.py)."""
    within: QuerySet[M] = rows.filter(
        Q(jurisdiction_id=jurisdiction_id)
        | Q(jurisdiction__children__id=jurisdiction_id)
        | Q(jurisdiction__children__children__id=jurisdiction_id)
    ).annotate(
        depth=Case(
            When(jurisdiction_id=jurisdiction_id, then=Value(0)),
            When(jurisdiction__children__id=jurisdiction_id, then=Value(1)),
            default=Value(2),
        )
    )
    return within


def _settings(jurisdiction_id: int, kind: str) -> list[DocumentSetting]:
    """The rows of a jurisdiction and the levels above it for one kind, nearest first (one query, with each row's
    jurisdiction to name the source)."""
    rows = up_the_levels(DocumentSetting.objects.filter(kind=kind), jurisdiction_id)
    return list(rows.select_related("jurisdiction").order_by("depth"))


def _nearest(rows: list[DocumentSetting], field: str) -> DocumentSetting | None:
    return next((row for row in rows if getattr(row, field)), None)


def issuing_body_kind(jurisdiction_id: int, kind: str) -> Inherited[OrganizationKind]:
    """Which of the banner's bodies issues a kind of document (ISSUER_CHOICES: the measure's own choice first)."""
    choices = ISSUER_CHOICES.get(kind)
    if not choices:
        raise ValueError(f"{kind}: its issuer is fixed by the procedure")
    row = _nearest([r for r in _settings(jurisdiction_id, kind) if r.issuer_kind in choices], "issuer_kind")
    if row is not None:
        return Inherited(OrganizationKind(row.issuer_kind), row.jurisdiction)
    return Inherited(choices[0], None)


def _signatory_settings(jurisdiction_id: int, kind: str) -> QuerySet[DocumentSetting]:
    """The settings of a jurisdiction and the levels above it that name who signs a kind off, nearest first."""
    return up_the_levels(
        DocumentSetting.objects.filter(kind=kind).exclude(signatory_role=""), jurisdiction_id
    ).order_by("depth")


def signatory_role(jurisdiction_id: int, kind: str) -> Inherited[Role]:
    """Which of the issuing body's people signs a kind off (签发人): its head unless a level above or the banner says
    its reviewer (e.g. the deputy in charge)."""
    row = _signatory_settings(jurisdiction_id, kind).select_related("jurisdiction").first()
    if row is not None:
        return Inherited(Role(row.signatory_role), row.jurisdiction)
    return Inherited(Role.HEAD, None)


def signatory(organization: Organization, kind: str) -> str:
    """The name of who signs off `kind` for the body (the first of the role by username); empty when nobody holds
    that role. One query: the role (signatory_role) is read inside the members' (a document is issued in the
    deciding action, which counts its statements)."""
    nearest = _signatory_settings(organization.jurisdiction_id, kind).values("signatory_role")[:1]
    role = Coalesce(Subquery(nearest), Value(Role.HEAD))
    member = (
        Membership.objects.filter(organization=organization, role=role)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return (member.user.get_full_name() or member.user.get_username()) if member else ""


def time_limits(jurisdiction: Jurisdiction) -> list[tuple[str, Inherited[tuple[int, str]]]]:
    """Every step's effective time limit with its source, as services/deadlines.py:time_limit counts it (one query)."""
    nearest: dict[str, TimeLimit] = {}
    for row in up_the_levels(TimeLimit.objects.all(), jurisdiction.pk).select_related("jurisdiction").order_by("depth"):
        nearest.setdefault(row.step, row)
    found: list[tuple[str, Inherited[tuple[int, str]]]] = []
    for step in STEPS:
        limit = nearest.get(step.node)
        found.append(
            (
                step.node,
                Inherited((limit.days, limit.unit), limit.jurisdiction)
                if limit is not None
                else Inherited((step.days, str(step.unit)), None),
            )
        )
    return found
