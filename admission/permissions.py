"""Who may do what, on which object. The one place object-level rules live.

A user acts for one organization (Membership). Nobody sees across jurisdictions.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import (
    AdvisoryOpinion,
    ApprovalDecision,
    Consultation,
    DutyRequest,
    JOINT_MEETING_KINDS,
    Membership,
    OrganizationKind,
    RequestPurpose,
    RequestState,
)
from .models.requests import EDITABLE_STATES, WITHDRAWABLE_STATES

VIEW_PROCESS_PERMISSION = "workflows.view_admissionprocess"


def membership_of(user) -> Membership | None:
    """The membership the user acts through, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_admission_membership"):
        user._admission_membership = (
            Membership.objects.select_related("organization__jurisdiction").filter(user=user).first()
        )
    return user._admission_membership


def organization_task_permission(organization_id: int) -> str:
    """Permission a Viewflow task carries so that it lands in this organization's queue."""
    return f"admission.org_{organization_id}"


def organization_decision_permission(organization_id: int) -> str:
    """Like organization_task_permission, but only reviewers and heads hold it."""
    return f"admission.org_{organization_id}_decide"


def permissions_of(membership: Membership | None) -> set[str]:
    if membership is None:
        return set()
    perms = {VIEW_PROCESS_PERMISSION, organization_task_permission(membership.organization_id)}
    if membership.can_decide:
        perms.add(organization_decision_permission(membership.organization_id))
    return perms


# A draft is the applicant's own until it goes out: to the townships (the first consultation round) or, when there
# is no township to consult, to the lead unit.
FILED = Q(consultation_round__gt=0) | Q(submitted_at__isnull=False)


def _visibility_filter(membership: Membership) -> Q:
    org = membership.organization
    kind = org.kind
    own = Q(applicant=org)
    if kind in (
        OrganizationKind.ORGANIZATION_OFFICE,
        OrganizationKind.JUSTICE_BUREAU,
        OrganizationKind.DATA_BUREAU,
    ):
        return FILED | own
    if kind == OrganizationKind.TOWNSHIP:
        # Art. 4(4), 4(5): a township sees the exit or adjustment of a duty it holds, whoever asked for it.
        holds = DutyRequest.target_duties.through.objects.filter(dutyrequest=OuterRef("pk"), townshipduty__township=org)
        return own | Q(Exists(Consultation.objects.filter(request=OuterRef("pk"), township=org))) | (
            FILED & Q(Exists(holds))
        )
    if kind == OrganizationKind.DEPARTMENT:
        consulted = AdvisoryOpinion.objects.filter(request=OuterRef("pk"), organization=org)
        return own | (Q(department=org) & FILED) | Q(Exists(consulted))
    decided = ApprovalDecision.objects.filter(request=OuterRef("pk"), body=org)
    awaiting = RequestState.AWAITING_APPROVAL if kind == OrganizationKind.BANNER_LEADERSHIP else RequestState.AWAITING_CITY
    return Q(state=awaiting) | Q(Exists(decided))


def visible_requests(user) -> QuerySet[DutyRequest]:
    """Departments: their own (and those they are asked about); townships: those naming them;
    joint meeting: the whole jurisdiction; approving bodies: what awaits them and what they decided."""
    membership = membership_of(user)
    if membership is None:
        return DutyRequest.objects.none()
    return DutyRequest.objects.filter(
        Q(jurisdiction_id=membership.organization.jurisdiction_id) & _visibility_filter(membership)
    )


def can_view_request(user, duty_request: DutyRequest) -> bool:
    return visible_requests(user).filter(pk=duty_request.pk).exists()


def is_applicant(user, duty_request: DutyRequest) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization_id == duty_request.applicant_id


def can_create_request(user) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization.kind == OrganizationKind.DEPARTMENT


def can_edit_request(user, duty_request: DutyRequest) -> bool:
    return is_applicant(user, duty_request) and duty_request.state in EDITABLE_STATES


def can_withdraw_request(user, duty_request: DutyRequest) -> bool:
    return is_applicant(user, duty_request) and duty_request.state in WITHDRAWABLE_STATES


def can_propose_change(user, duty, purpose: str) -> bool:
    """Art. 4(4): the department or the township starts an exit; Art. 4(5): the department, the township or the
    organization office proposes an adjustment. Only of a duty still on the list."""
    membership = membership_of(user)
    if membership is None or duty.status != "active":
        return False
    org = membership.organization
    if org.pk in (duty.department_id, duty.township_id):
        return True
    return (
        purpose == RequestPurpose.ADJUSTMENT
        and org.kind == OrganizationKind.ORGANIZATION_OFFICE
        and org.jurisdiction_id == duty.township.jurisdiction_id
    )


def acts_for(user, organization) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization_id == organization.pk


def can_decide_for(user, organization) -> bool:
    membership = membership_of(user)
    return acts_for(user, organization) and membership.can_decide


def organization_id_from_permission(permission: str | None) -> int | None:
    """Inverse of organization_task_permission / organization_decision_permission."""
    if not permission or not permission.startswith("admission.org_"):
        return None
    return int(permission.removeprefix("admission.org_").removesuffix("_decide"))


def can_see_dashboard(user) -> bool:
    """The organization office and the banner leadership oversee the whole banner (issue 5)."""
    membership = membership_of(user)
    return membership is not None and membership.organization.kind in (
        OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP,
    )


def can_view_duty(user, duty) -> bool:
    """Who sees a township's duty: the township, the department that handed it down, joint meeting, leadership."""
    membership = membership_of(user)
    if membership is None or membership.organization.jurisdiction_id != duty.township.jurisdiction_id:
        return False
    org = membership.organization
    return org.pk in (duty.township_id, duty.department_id) or org.kind in (
        *JOINT_MEETING_KINDS, OrganizationKind.BANNER_LEADERSHIP,
    )


def can_view_report(user, report) -> bool:
    """A report protects the township that made it: the department reported on does not see it."""
    membership = membership_of(user)
    if membership is None or membership.organization.jurisdiction_id != report.jurisdiction_id:
        return False
    return membership.organization_id == report.township_id or membership.organization.kind in (
        OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP,
    )
