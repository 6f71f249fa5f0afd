"""Who may do what, on which object. The one place object-level rules live.

A user acts for one organization (Membership). Nobody sees across jurisdictions.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from .compiled import CompiledQuery
from .models import (
    JOINT_MEETING_KINDS,
    AdvisoryOpinion,
    ApprovalDecision,
    CaseCopy,
    Consultation,
    DutyRequest,
    DutyStatus,
    Jurisdiction,
    JurisdictionLevel,
    Membership,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RequestPurpose,
    RequestState,
    Role,
    SafeguardDelivery,
    TownshipDuty,
    UnadmittedDutyReport,
)
from .models.organizations import SINGLE_BODY_KINDS
from .models.requests import EDITABLE_STATES, WITHDRAWABLE_STATES
from .versioned_cache import VersionedCache

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # Whoever asks: pages pass request.user, which may be anonymous; services pass the acting user.
    Viewer: TypeAlias = User | AnonymousUser

VIEW_PROCESS_PERMISSION = "workflows.view_admissionprocess"
_MEMBERSHIP_CACHE = "_admission_membership"
# Read once per request, every request: compiled once (its select_related alone was a tenth of a completion's Python).
_MEMBERSHIPS = CompiledQuery(
    lambda user_id: Membership.objects.select_related("organization__jurisdiction").filter(user_id=user_id)
)


def membership_of(user: Viewer | None) -> Membership | None:
    """The membership the user acts through, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_staff or user.is_superuser:
        return None  # 三员分立: an administrator keeps the system and never acts in the procedure for a body
    if not hasattr(user, _MEMBERSHIP_CACHE):
        setattr(user, _MEMBERSHIP_CACHE, _MEMBERSHIPS.first(user_id=user.pk))
    membership: Membership | None = getattr(user, _MEMBERSHIP_CACHE)
    return membership


def organization_task_permission(organization_id: int) -> str:
    """Permission a Viewflow task carries so that it lands in this organization's queue."""
    return f"admission.org_{organization_id}"


def organization_decision_permission(organization_id: int) -> str:
    """Like organization_task_permission, but only reviewers and heads hold it."""
    return f"admission.org_{organization_id}_decide"


# Each banner's single bodies (organization office, leadership, justice and data bureaus) by kind, kept until an
# organization is added, changed or removed (receivers.py, services/setup.py): the flow names one in the permission of
# every task it opens for them.
_BANNER_BODIES: VersionedCache[dict[str, int]] = VersionedCache("banner_bodies", 60)


def forget_banner_bodies() -> None:
    """After an organization was added, changed or removed: every banner's bodies are read again."""
    _BANNER_BODIES.forget()


def banner_body_decision_permission(jurisdiction_id: int, kind: str) -> str:
    """organization_decision_permission of the banner's body of `kind` (DutyRequest.banner_body's, from the cache)."""

    def read() -> dict[str, int]:
        bodies = Organization.objects.filter(jurisdiction_id=jurisdiction_id, kind__in=SINGLE_BODY_KINDS)
        return dict(bodies.values_list("kind", "pk"))

    try:
        return organization_decision_permission(_BANNER_BODIES.get(jurisdiction_id, read)[kind])
    except KeyError:
        raise Organization.DoesNotExist(f"jurisdiction {jurisdiction_id} has no {kind}") from None


def holds_task_permission(user: Viewer, permission: str) -> bool:
    """Whether `user` may take a task carrying `permission`: read from the membership, not the standard backend's
    per-user and per-group permission tables (two queries per request that can never match `admission.org_*`)."""
    if not user.is_active or user.is_anonymous:
        return False
    return bool(getattr(user, "is_superuser", False)) or permission in permissions_of(membership_of(user))


def permissions_of(membership: Membership | None) -> set[str]:
    if membership is None:
        return set()
    perms = {VIEW_PROCESS_PERMISSION, organization_task_permission(membership.organization_id)}
    if membership.can_decide:
        perms.add(organization_decision_permission(membership.organization_id))
    return perms


# A key in a visibility rule: an organization's or a jurisdiction's pk, or a compiled statement's key standing in for
# it (admission.compiled), which the lookups take as they take the pk.
Ref: TypeAlias = Any

# A draft is the applicant's own until it goes out: to the townships (the first consultation round) or, when there
# is no township to consult, to the lead unit.
FILED = Q(consultation_round__gt=0) | Q(submitted_at__isnull=False)


def _visibility_filter(membership: Membership) -> Q:
    return _visibility_of(membership.organization.kind, membership.organization_id)


def _visibility_of(kind: str, org: Ref) -> Q:
    """_visibility_filter of a body of `kind` whose key is `org` (its pk, or a compiled statement's key)."""
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
        return (
            own
            | Q(Exists(Consultation.objects.filter(request=OuterRef("pk"), township=org)))
            | (FILED & Q(Exists(holds)))
        )
    if kind == OrganizationKind.DEPARTMENT:
        consulted = AdvisoryOpinion.objects.filter(request=OuterRef("pk"), organization=org)
        return own | (Q(department=org) & FILED) | Q(Exists(consulted))
    decided = ApprovalDecision.objects.filter(request=OuterRef("pk"), body=org)
    awaiting = (
        RequestState.AWAITING_APPROVAL if kind == OrganizationKind.BANNER_LEADERSHIP else RequestState.AWAITING_CITY
    )
    return Q(state=awaiting) | Q(Exists(decided))


def _parties(membership: Membership) -> Q:
    org = membership.organization
    return _parties_of(org.kind, org.pk, org.jurisdiction_id)


def _parties_of(kind: str, org: Ref, jurisdiction: Ref) -> Q:
    return Q(jurisdiction_id=jurisdiction) & _visibility_of(kind, org)


def _seen_in_banner(kind: str, org: Ref, jurisdiction: Ref) -> Q:
    """What a body of a banner sees (visible_requests): as a party, or as a body the case was copied to."""
    copied = Exists(CaseCopy.objects.filter(request=OuterRef("pk"), organization_id=org))
    return Q(jurisdiction_id=jurisdiction) & (_visibility_of(kind, org) | Q(copied))


def visible_requests(user: Viewer) -> QuerySet[DutyRequest]:
    """Departments: their own (and those they are asked about); townships: those naming them;
    joint meeting: the whole jurisdiction; approving bodies: what awaits them and what they decided;
    and any body a party sent the case to for information (抄送, read-only)."""
    membership = membership_of(user)
    if membership is None:
        return DutyRequest.objects.none()
    org = membership.organization
    if org.jurisdiction.level != JurisdictionLevel.BANNER:
        return _visible_from_above(org)
    return DutyRequest.objects.filter(_seen_in_banner(org.kind, org.pk, org.jurisdiction_id))


def _visible_from_above(org: Organization) -> QuerySet[DutyRequest]:
    """The region's and cities' organization offices oversee their banners' filed cases; a city's government sees
    what awaits its approval and what it approved (issue 15)."""
    below = DutyRequest.objects.filter(jurisdiction__in=jurisdictions_overseen(org))
    if org.kind == OrganizationKind.ORGANIZATION_OFFICE:
        return below.filter(FILED)
    if org.kind == OrganizationKind.CITY_GOVERNMENT and org.jurisdiction.approves_in_system:
        decided = ApprovalDecision.objects.filter(request=OuterRef("pk"), body=org)
        return below.filter(Q(state=RequestState.AWAITING_CITY) | Q(Exists(decided)))
    return DutyRequest.objects.none()


def can_view_request(user: Viewer, duty_request: DutyRequest) -> bool:
    return visible_requests(user).filter(pk=duty_request.pk).exists()


def is_party(user: Viewer, duty_request: DutyRequest) -> bool:
    """A party of the case: a body that sees it through the procedure, not only through a copy (抄送)."""
    membership = membership_of(user)
    return membership is not None and DutyRequest.objects.filter(_parties(membership), pk=duty_request.pk).exists()


def _with_party(requests: QuerySet[DutyRequest], parties: Q) -> QuerySet[DutyRequest]:
    party = ExpressionWrapper(parties, output_field=BooleanField())
    return requests.select_related("department", "jurisdiction").annotate(viewer_is_party=party)


@cache
def _case_seen_in_banner(kind: str) -> CompiledQuery[DutyRequest]:
    """visible_request_and_party's statement for a body of a banner of `kind`: compiled once per process and kind
    (admission.compiled), its keys the case's, the body's and its banner's. Building and compiling it was a sixth of
    the case page's CPU (issue 15)."""
    return CompiledQuery(
        lambda pk, organization_id, jurisdiction_id: _with_party(
            DutyRequest.objects.filter(_seen_in_banner(kind, organization_id, jurisdiction_id)),
            _parties_of(kind, organization_id, jurisdiction_id),
        ).filter(pk=pk)
    )


def visible_request_and_party(user: Viewer, pk: int) -> tuple[DutyRequest, bool] | None:
    """The case `pk` with its department and jurisdiction if the user may see it (can_view_request), and whether the
    user is a party of it (is_party), in one statement; None when the user may not see it or there is no such case."""
    membership = membership_of(user)
    if membership is None:
        return None  # visible_requests: nothing
    org = membership.organization
    if org.jurisdiction.level == JurisdictionLevel.BANNER:
        duty_request = _case_seen_in_banner(org.kind).first(
            pk=pk, organization_id=org.pk, jurisdiction_id=org.jurisdiction_id
        )
    else:
        duty_request = _with_party(visible_requests(user), _parties(membership)).filter(pk=pk).first()
    if duty_request is None:
        return None
    return duty_request, bool(duty_request.viewer_is_party)  # type: ignore[attr-defined]


def can_copy_case(user: Viewer, duty_request: DutyRequest, *, party: bool | None = None) -> bool:
    """A reviewer or head of a party sends the case to another body for information. `party`: is_party's answer,
    when the caller has it."""
    membership = membership_of(user)
    if membership is None or not membership.can_decide:
        return False
    return is_party(user, duty_request) if party is None else party


def can_reassign_for(user: Viewer, organization_id: int | None) -> bool:
    """转办: the head of the unit holding a task hands it to a member of the same unit."""
    membership = membership_of(user)
    return membership is not None and membership.role == Role.HEAD and membership.organization_id == organization_id


def can_urge(user: Viewer, duty_request: DutyRequest) -> bool:
    """催办: the organization office (lead unit of the joint meeting, Art. 3), by its reviewers and head."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.can_decide
        and membership.organization.kind == OrganizationKind.ORGANIZATION_OFFICE
        and membership.organization.jurisdiction_id == duty_request.jurisdiction_id
    )


def is_applicant(user: Viewer, duty_request: DutyRequest) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization_id == duty_request.applicant_id


def can_create_request(user: Viewer) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization.kind == OrganizationKind.DEPARTMENT


def can_edit_request(user: Viewer, duty_request: DutyRequest) -> bool:
    return is_applicant(user, duty_request) and duty_request.state in EDITABLE_STATES


def can_withdraw_request(user: Viewer, duty_request: DutyRequest) -> bool:
    return is_applicant(user, duty_request) and duty_request.state in WITHDRAWABLE_STATES


def can_propose_change(user: Viewer, duty: TownshipDuty, purpose: str) -> bool:
    """Art. 4(4): the department or the township starts an exit; Art. 4(5): the department, the township or the
    organization office proposes an adjustment. Only of a duty still on the list."""
    membership = membership_of(user)
    if membership is None or duty.status != DutyStatus.ACTIVE:
        return False
    org = membership.organization
    if org.pk in (duty.department_id, duty.township_id):
        return True
    return (
        purpose == RequestPurpose.ADJUSTMENT
        and org.kind == OrganizationKind.ORGANIZATION_OFFICE
        and org.jurisdiction_id == duty.township.jurisdiction_id
    )


def acts_for(user: Viewer, organization: Organization) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization_id == organization.pk


def can_decide_for(user: Viewer, organization: Organization) -> bool:
    membership = membership_of(user)
    return acts_for(user, organization) and membership is not None and membership.can_decide


def organization_id_from_permission(permission: str | None) -> int | None:
    """Inverse of organization_task_permission / organization_decision_permission."""
    if not permission or not permission.startswith("admission.org_"):
        return None
    return int(permission.removeprefix("admission.org_").removesuffix("_decide"))


def city_approver(*, jurisdiction_id: int) -> Organization | None:
    """The government of the banner's league or city when it approves inside the platform (issue 15), else None:
    then the banner's organization office records the city's reply from outside (Art. 4(3))."""
    return (
        Organization.objects.filter(
            kind=OrganizationKind.CITY_GOVERNMENT,
            jurisdiction__children__id=jurisdiction_id,
            jurisdiction__approves_in_system=True,
        )
        .select_related("jurisdiction")
        .first()
    )


def require_city_approver(user: Viewer, duty_request: DutyRequest) -> Organization:
    """Art. 1, 4(3): the league's or city's government approves the regular track (when it is on the platform)."""
    city = city_approver(jurisdiction_id=duty_request.jurisdiction_id)
    membership = membership_of(user)
    if city is None or membership is None or membership.organization_id != city.pk or not membership.can_decide:
        raise PermissionDenied(_("只有本盟市人民政府的审核人员或负责人可以办理。"))
    return city


def jurisdictions_overseen(organization: Organization) -> QuerySet[Jurisdiction]:
    """The banners an organization sees: its own; for a league's or city's or the region's body, every banner below
    it (read-only: every action still requires a body of the case's own banner, or the approving city)."""
    jurisdiction = organization.jurisdiction
    if jurisdiction.level == JurisdictionLevel.BANNER:
        return Jurisdiction.objects.filter(pk=jurisdiction.pk)
    return Jurisdiction.objects.filter(
        Q(parent=jurisdiction) | Q(parent__parent=jurisdiction), level=JurisdictionLevel.BANNER
    )


def can_see_dashboard(user: Viewer) -> bool:
    """The organization office and the banner leadership oversee the whole banner (issue 5)."""
    membership = membership_of(user)
    return membership is not None and membership.organization.kind in (
        OrganizationKind.ORGANIZATION_OFFICE,
        OrganizationKind.BANNER_LEADERSHIP,
    )


def can_view_duty(user: Viewer, duty: TownshipDuty) -> bool:
    """Who sees a township's duty: the township, the department that handed it down, joint meeting, leadership; and,
    read-only, the organization offices above its banner (issue 15)."""
    membership = membership_of(user)
    if membership is None:
        return False
    if membership.organization.jurisdiction_id != duty.township.jurisdiction_id:
        return overseen_banner(user, duty.township.jurisdiction_id) is not None
    org = membership.organization
    return org.pk in (duty.township_id, duty.department_id) or org.kind in (
        *JOINT_MEETING_KINDS,
        OrganizationKind.BANNER_LEADERSHIP,
    )


def visible_duties(user: Viewer, *, banner_id: int | None = None) -> QuerySet[TownshipDuty]:
    """The duties on the lists that the user's organization sees: a township its own list; a department the duties
    it handed down; the joint meeting and the leadership every township's of their banner; an organization office
    above the banners, read-only, those of one banner below it (`banner_id`, issue 15); others none."""
    membership = membership_of(user)
    if membership is None:
        return TownshipDuty.objects.none()
    org = membership.organization
    if org.jurisdiction.level != JurisdictionLevel.BANNER:
        if banner_id is None or org.kind != OrganizationKind.ORGANIZATION_OFFICE:
            return TownshipDuty.objects.none()
        return TownshipDuty.objects.filter(
            township__jurisdiction_id=banner_id, township__jurisdiction__in=jurisdictions_overseen(org)
        )
    duties = TownshipDuty.objects.filter(township__jurisdiction_id=org.jurisdiction_id)
    if org.kind == OrganizationKind.TOWNSHIP:
        return duties.filter(township=org)
    if org.kind == OrganizationKind.DEPARTMENT:
        return duties.filter(department=org)
    if org.is_joint_meeting_member or org.kind == OrganizationKind.BANNER_LEADERSHIP:
        return duties
    return TownshipDuty.objects.none()


def can_view_duty_list(user: Viewer, township: Organization) -> bool:
    """Whether the user's organization reads `township`'s list (of what visible_duties gives it): a township only
    its own; a department (its duties there), the joint meeting and the leadership any township of their banner; an
    organization office above the banners, read-only, any township of a banner below it (issue 15)."""
    membership = membership_of(user)
    if membership is None:
        return False
    org = membership.organization
    if org.jurisdiction.level != JurisdictionLevel.BANNER:
        return (
            org.kind == OrganizationKind.ORGANIZATION_OFFICE
            and jurisdictions_overseen(org).filter(pk=township.jurisdiction_id).exists()
        )
    if org.jurisdiction_id != township.jurisdiction_id:
        return False
    if org.kind == OrganizationKind.TOWNSHIP:
        return org.pk == township.pk
    return org.kind in (OrganizationKind.DEPARTMENT, *JOINT_MEETING_KINDS, OrganizationKind.BANNER_LEADERSHIP)


def can_download_document(user: Viewer, document: OfficialDocument) -> bool:
    """A case's document downloads for whoever may view the case (the page and the API alike)."""
    return document.request is not None and can_view_request(user, document.request)


def visible_reports(user: Viewer) -> QuerySet[UnadmittedDutyReport]:
    """A report protects the township that made it: the department reported on does not see it; the township sees
    its own, the organization office and the leadership every report of the banner."""
    membership = membership_of(user)
    if membership is None:
        return UnadmittedDutyReport.objects.none()
    org = membership.organization
    reports = UnadmittedDutyReport.objects.filter(jurisdiction_id=org.jurisdiction_id)
    if org.kind == OrganizationKind.TOWNSHIP:
        return reports.filter(township=org)
    if org.kind in (OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP):
        return reports
    return UnadmittedDutyReport.objects.none()


def can_view_report(user: Viewer, report: UnadmittedDutyReport) -> bool:
    return visible_reports(user).filter(pk=report.pk).exists()


def can_report_unadmitted_duty(user: Viewer) -> bool:
    """Art. 8: a township reports a duty pushed down to it without admission."""
    membership = membership_of(user)
    return membership is not None and membership.organization.kind == OrganizationKind.TOWNSHIP


def can_handle_report(user: Viewer, report: UnadmittedDutyReport) -> bool:
    """The banner's organization office, by its reviewers and head, handles a report to a finding."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.can_decide
        and membership.organization.kind == OrganizationKind.ORGANIZATION_OFFICE
        and membership.organization.jurisdiction_id == report.jurisdiction_id
    )


def can_record_safeguard_delivery(user: Viewer, duty: TownshipDuty) -> bool:
    """Art. 5: the department that handed the duty down records what it delivered."""
    return acts_for(user, duty.department)


def can_confirm_safeguard_delivery(user: Viewer, delivery: SafeguardDelivery) -> bool:
    """Art. 5: the township that received a safeguard confirms it."""
    return acts_for(user, delivery.duty.township)


# One refusal per rule, raised by the services and by the pages alike, so both say the same.


def _deny_unless(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_membership(user: Viewer) -> Membership:
    membership = membership_of(user)
    if membership is None:
        raise PermissionDenied(_("您的账号尚未关联任何单位，请联系旗委编办管理员。"))
    return membership


def require_can_create_request(user: Viewer) -> None:
    _deny_unless(can_create_request(user), _("只有旗直职能部门可以提出准入申请。"))


def require_can_edit_request(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(can_edit_request(user, duty_request), _("当前状态下不能修改该申请。"))


def require_can_consult(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(can_edit_request(user, duty_request), _("只有申请单位可以发起征求意见。"))


def require_applicant_to_submit(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(is_applicant(user, duty_request), _("只有申请单位可以提交申请。"))


def require_applicant_to_resubmit(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(is_applicant(user, duty_request), _("只有申请单位可以补正后重新提交。"))


def require_can_withdraw(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(can_withdraw_request(user, duty_request), _("只有申请单位可以在作出决定前撤回申请。"))


def require_consulted_township(user: Viewer, consultation: Consultation) -> None:
    _deny_unless(acts_for(user, consultation.township), _("只有被征求意见的乡镇可以出具意见。"))


def require_consulted_department(user: Viewer, advisory: AdvisoryOpinion) -> None:
    _deny_unless(
        advisory.organization is not None and acts_for(user, advisory.organization),
        _("只有被征求意见的部门可以出具意见。"),
    )


def require_can_propose_change(user: Viewer, duty: TownshipDuty, purpose: str) -> None:
    _deny_unless(
        can_propose_change(user, duty, purpose), _("只有承担该职责的乡镇、责任部门（调整还可以由旗委编办）提出。")
    )


def require_can_report_unadmitted_duty(user: Viewer) -> None:
    _deny_unless(can_report_unadmitted_duty(user), _("只有乡镇可以反映未经准入下放的事项。"))


def require_can_handle_report(user: Viewer, report: UnadmittedDutyReport) -> None:
    _deny_unless(can_handle_report(user, report), _("反映事项由旗委编办审核人员处理。"))


def require_can_record_safeguard_delivery(user: Viewer, duty: TownshipDuty) -> None:
    _deny_unless(can_record_safeguard_delivery(user, duty), _("只有承担保障责任的部门可以登记保障措施落实情况。"))


def require_can_confirm_safeguard_delivery(user: Viewer, delivery: SafeguardDelivery) -> None:
    _deny_unless(can_confirm_safeguard_delivery(user, delivery), _("只有接收保障的乡镇可以确认收到。"))


def require_party(user: Viewer, duty_request: DutyRequest) -> Membership:
    _deny_unless(is_party(user, duty_request), _("只有本案的办理各方可以查看和发表内部意见。"))
    membership = membership_of(user)
    assert membership is not None  # a party acts through its membership
    return membership


def require_can_copy_case(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(can_copy_case(user, duty_request), _("只有本案办理各方的审核人员或负责人可以抄送。"))


def require_can_reassign(user: Viewer, organization_id: int | None) -> None:
    _deny_unless(can_reassign_for(user, organization_id), _("只有承办单位的负责人可以转办本单位的任务。"))


def require_can_urge(user: Viewer, duty_request: DutyRequest) -> None:
    _deny_unless(can_urge(user, duty_request), _("只有旗委编办的审核人员或负责人可以催办。"))


def oversees_below(user: Viewer) -> bool:
    """The region's and each league's or city's organization office oversee the banners below (issue 15)."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.organization.kind == OrganizationKind.ORGANIZATION_OFFICE
        and membership.organization.jurisdiction.level != JurisdictionLevel.BANNER
    )


def overseen_banner(user: Viewer, jurisdiction_id: int) -> Jurisdiction | None:
    """The banner, when the user acts for an organization office above it (issue 15: read-only), else None."""
    membership = membership_of(user)
    if membership is None or not oversees_below(user):
        return None
    return jurisdictions_overseen(membership.organization).filter(pk=jurisdiction_id).first()


def require_overseen_banner(user: Viewer, jurisdiction_id: int) -> Jurisdiction:
    """A banner below the user's office, or a refusal that says whose lists the office may read."""
    banner = overseen_banner(user, jurisdiction_id)
    if banner is None:
        raise PermissionDenied(_("只能查看本级所辖旗县的乡镇职责清单和申请。"))
    return banner


def dashboard_jurisdiction(user: Viewer, jurisdiction_id: int | None = None) -> Jurisdiction:
    """Whose dashboard the user may read: their own banner's (office, leadership), or, for an office above the banners,
    any banner below it (read-only drill-down, issue 15)."""
    membership = membership_of(user)
    if jurisdiction_id is None or (
        membership is not None and jurisdiction_id == membership.organization.jurisdiction_id
    ):
        require_can_see_dashboard(user)
        assert membership is not None
        return membership.organization.jurisdiction
    if membership is not None and oversees_below(user):
        banner = jurisdictions_overseen(membership.organization).filter(pk=jurisdiction_id).first()
        if banner is not None:
            return banner
    raise PermissionDenied(_("只能查看本级及所辖旗县的监督看板。"))


def require_can_see_dashboard(user: Viewer) -> None:
    _deny_unless(can_see_dashboard(user), _("监督看板仅向旗委编办和旗委、旗政府开放。"))


def _require_decider(user: Viewer, duty_request: DutyRequest, kinds: tuple[str, ...], message: str) -> Organization:
    """The user's organization, if it is of one of `kinds` in the case's jurisdiction and the user may decide for it."""
    membership = membership_of(user)
    if not (
        membership is not None
        and membership.organization.kind in kinds
        and membership.organization.jurisdiction_id == duty_request.jurisdiction_id
        and membership.can_decide
    ):
        raise PermissionDenied(message)
    return membership.organization


def require_lead_unit(user: Viewer, duty_request: DutyRequest) -> Organization:
    """Art. 3: the organization office leads intake, the review and recording the city's reply."""
    return _require_decider(
        user, duty_request, (OrganizationKind.ORGANIZATION_OFFICE,), _("只有旗委编办的审核人员或负责人可以办理。")
    )


def require_joint_meeting_member(user: Viewer, duty_request: DutyRequest) -> Organization:
    """Art. 3: each member of the joint meeting gives its own opinion."""
    return _require_decider(
        user, duty_request, JOINT_MEETING_KINDS, _("只有联席会议成员单位的审核人员或负责人可以办理。")
    )


def require_banner_leadership(user: Viewer, duty_request: DutyRequest) -> Organization:
    """Art. 4(3): the banner party committee and government decide."""
    return _require_decider(
        user, duty_request, (OrganizationKind.BANNER_LEADERSHIP,), _("只有旗委、旗政府的审核人员或负责人可以办理。")
    )
