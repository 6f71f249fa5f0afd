"""Reads: lists and the case page. Every function runs a bounded number of queries."""

from __future__ import annotations

from itertools import groupby

from django.db.models import Q, QuerySet

from .models import DutyRequest, DutyStatus, Organization, OrganizationKind, ReviewConclusion, TownshipDuty
from .permissions import membership_of, visible_requests


def request_list(*, user, state: str = "", query: str = "") -> QuerySet[DutyRequest]:
    requests = visible_requests(user).select_related("department")
    if state:
        requests = requests.filter(state=state)
    if query:
        requests = requests.filter(Q(duty_name__icontains=query) | Q(department__name__icontains=query))
    return requests.order_by("-updated_at", "-pk")


def request_detail(*, request: DutyRequest) -> dict:
    consultations = list(
        request.consultations.select_related("township", "responded_by", "letter").order_by("-round", "township__division_code")
    )
    return {
        "townships": list(request.townships.order_by("division_code")),
        "consultation_rounds": [(r, list(items)) for r, items in groupby(consultations, key=lambda c: c.round)],
        "attachments": list(request.attachments.select_related("organization", "uploaded_by")),
        "supplement_notices": list(request.supplement_notices.select_related("issued_by")),
        "bureau_opinions": list(request.bureau_opinions.select_related("organization", "given_by")),
        "advisory_opinions": list(request.advisory_opinions.select_related("organization", "answered_by", "letter")),
        "review_conclusion": ReviewConclusion.objects.filter(request=request).select_related("given_by").first(),
        "approval_decisions": list(request.approval_decisions.select_related("body", "recorded_by", "reply_scan")),
        "history": list(request.audit_events.select_related("actor", "organization")),
        "documents": list(request.documents.select_related("issuer").order_by("issued_at", "pk")),
    }


def township_duties(*, user, township_id: int | None = None, query: str = "", include_exited: bool = False):
    """A township sees its own list; the joint meeting sees every township's; others see none."""
    membership = membership_of(user)
    if membership is None:
        return TownshipDuty.objects.none()
    org = membership.organization
    duties = TownshipDuty.objects.filter(township__jurisdiction_id=org.jurisdiction_id)
    if org.kind == OrganizationKind.TOWNSHIP:
        duties = duties.filter(township=org)
    elif org.kind == OrganizationKind.DEPARTMENT:
        duties = duties.filter(department=org)
    elif not org.is_joint_meeting_member and org.kind != OrganizationKind.BANNER_LEADERSHIP:
        return TownshipDuty.objects.none()
    if township_id:
        duties = duties.filter(township_id=township_id)
    if not include_exited:
        duties = duties.filter(status=DutyStatus.ACTIVE)
    if query:
        duties = duties.filter(Q(duty_name__icontains=query) | Q(department__name__icontains=query))
    return duties.select_related("township", "department", "decision__body", "request").order_by(
        "township__division_code", "-admitted_at"
    )


def townships_of(*, user) -> QuerySet[Organization]:
    membership = membership_of(user)
    if membership is None:
        return Organization.objects.none()
    return Organization.objects.filter(
        jurisdiction_id=membership.organization.jurisdiction_id, kind=OrganizationKind.TOWNSHIP
    ).order_by("division_code")


def documents_for(*, user):
    """Documents the user's organization issued or received (主送、抄送), newest first."""
    from .models import OfficialDocument

    membership = membership_of(user)
    if membership is None:
        return OfficialDocument.objects.none()
    org = membership.organization
    return (
        OfficialDocument.objects.filter(Q(recipients=org) | Q(issuer=org)).distinct()
        .select_related("issuer", "request").order_by("-issued_at", "-pk")
    )
