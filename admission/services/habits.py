"""The habits of Chinese approval offices, fitted to the measure (issue 13): comments on a case, 抄送, 转办, 催办,
退回 and the 审批单. What they record and tell others is written in the official language; what they refuse, in the
actor's. Each checks who acts, validates, records an audit event and tells the people concerned, all in
the caller's transaction; moving the flow (转办, 退回) is the front door's part (workflows.actions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from viewflow.workflow.models import Task

from ..documents import content as drafts
from ..language import official
from ..models import (
    AuditAction,
    CaseComment,
    CaseCopy,
    CaseReturn,
    DutyRequest,
    Membership,
    NoticeKind,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RequestState,
    TaskDeadline,
)
from ..models.organizations import DECIDING_ROLES
from ..permissions import (
    organization_id_from_permission,
    require_can_copy_case,
    require_can_reassign,
    require_can_urge,
    require_lead_unit,
    require_membership,
    require_party,
)
from ..procedure import RETURNS_TO, step
from .audit import record_event
from .documents import issue_document
from .errors import ConflictError
from .notifications import members_of, notify, people_holding, tell
from .transitions import locked_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User

COMMENT_MAX = 2000
URGE_NOTE_MAX = 100
OPEN = ("NEW", "ASSIGNED", "STARTED")


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _case_link(duty_request: DutyRequest) -> str:
    return reverse("admission:request_detail", args=[duty_request.pk])


def case_of(task: Task) -> DutyRequest:
    return DutyRequest.objects.select_related("jurisdiction").get(pk=task.process.artifact_object_id)


def comment_on_case(*, duty_request: DutyRequest, actor: User, text: str) -> CaseComment:
    """An internal note for the parties of the case; it never enters a document."""
    membership = require_party(actor, duty_request)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请填写意见内容。")]})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"text": [_("意见不能超过 %(limit)d 个字。") % {"limit": COMMENT_MAX}]})
    with locked_request(duty_request) as duty_request:
        comment = CaseComment.objects.create(
            request=duty_request, author=actor, organization=membership.organization, text=text
        )
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.COMMENT_CASE,
            data={"comment": comment.pk},  # the text stays with the parties: the audit trail only points to it
        )
    return comment


def copy_case(
    *, duty_request: DutyRequest, actor: User, organizations: Sequence[Organization], note: str = ""
) -> list[CaseCopy]:
    """抄送: the bodies may read the case from now on; they cannot act on it and are not its parties."""
    require_can_copy_case(actor, duty_request)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not organizations:
        errors["organizations"] = [_("请选择抄送单位。")]
    foreign = [
        o.name
        for o in organizations
        if o.jurisdiction_id != duty_request.jurisdiction_id or o.kind == OrganizationKind.CITY_GOVERNMENT
    ]
    if foreign:
        errors["organizations"] = [_("不能抄送本旗以外的单位：%(names)s。") % {"names": "、".join(foreign)}]
    if len(note) > 300:
        errors["note"] = [_("抄送说明不能超过 300 个字。")]
    if errors:
        raise ValidationError(errors)
    with locked_request(duty_request) as duty_request:
        already = set(duty_request.copies.values_list("organization_id", flat=True))
        copies = [
            CaseCopy.objects.create(request=duty_request, organization=o, note=note, sent_by=actor)
            for o in organizations
            if o.pk not in already
        ]
        if not copies:
            raise ConflictError(_("所选单位均已抄送，无需重复抄送。"))
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.COPY_CASE,
            note="、".join(c.organization.name for c in copies) + (f"：{note}" if note else ""),
            data={"organizations": [c.organization_id for c in copies]},
        )
        text = official(_l("%(sender)s将“%(duty)s”抄送你单位知悉。")) % {
            "sender": _name(actor),
            "duty": duty_request.duty_name,
        }
        for c in copies:
            tell(
                users=members_of(c.organization_id),
                organization_ids=[c.organization_id],
                kind=NoticeKind.COPIED,
                key=f"copied:{c.pk}",
                text=text,
                link=_case_link(duty_request),
            )
    return copies


def reassign_task(*, task: Task, actor: User, assignee: User, reason: str = "") -> None:
    """转办: the head of the unit holding the task hands it to a member of the same unit (the flow gives the task its
    new owner in the same transaction)."""
    org_id = organization_id_from_permission(task.owner_permission)
    require_can_reassign(actor, org_id)
    assert org_id is not None  # only the head of the task's unit gets here
    if task.status not in OPEN:
        raise ConflictError(_("该任务已办结，不能转办。"))
    member = Membership.objects.filter(user=assignee, organization_id=org_id).first()
    if member is None or not assignee.is_active:
        raise ValidationError({"assignee": [_("只能转办给本单位的在岗人员。")]})
    if task.owner_permission.endswith("_decide") and member.role not in DECIDING_ROLES:
        raise ValidationError({"assignee": [_("该环节须由审核人员或负责人办理，请选择审核人员或负责人。")]})
    if task.owner_id == assignee.pk:
        raise ValidationError({"assignee": [_("该任务已由此人办理，请选择其他人员。")]})
    duty_request = case_of(task)
    title = official(task.flow_task.task_title)
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.REASSIGN_TASK,
        note=f"{title}：{_name(task.owner) + ' → ' if task.owner_id else ''}{_name(assignee)}"
        + (f"（{reason.strip()}）" if reason.strip() else ""),
        data={"task": task.pk, "from": task.owner_id, "to": assignee.pk},
    )
    notify(
        user=assignee,
        kind=NoticeKind.REASSIGNED,
        key=f"reassigned:{task.pk}:{assignee.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        text=official(_l("%(head)s将“%(duty)s”的“%(title)s”转办给你。"))
        % {"head": _name(actor), "duty": duty_request.duty_name, "title": title},
        link=reverse("workflows:execute", args=[task.pk]),
    )


def urge_task(*, task: Task, actor: User, note: str = "") -> int:
    """催办: the organization office urges whoever holds an overdue task; once a day per task. Returns how many
    people were told."""
    duty_request = case_of(task)
    require_can_urge(actor, duty_request)
    if task.status not in OPEN:
        raise ConflictError(_("该任务已办结，无需催办。"))
    deadline = TaskDeadline.objects.filter(task=task).first()
    today = timezone.localdate()
    if deadline is None or deadline.due_date is None or deadline.due_date >= today:
        raise ConflictError(_("该任务尚未逾期，不能催办。"))
    note = (note or "").strip()
    if len(note) > URGE_NOTE_MAX:
        raise ValidationError({"note": [_("催办说明不能超过 %(limit)d 个字。") % {"limit": URGE_NOTE_MAX}]})
    holders = people_holding(task)
    if not holders:
        raise ConflictError(_("承办单位没有可以通知的在岗人员，请联系该单位。"))
    title = official(task.flow_task.task_title)
    membership = require_membership(actor)
    text = (
        official(_l("%(office)s催办：“%(duty)s”的“%(title)s”已于 %(due)s 到期，请尽快办理。"))
        % {
            "office": f"{membership.organization.name}（{_name(actor)}）",
            "duty": duty_request.duty_name,
            "title": title,
            "due": f"{deadline.due_date:%Y-%m-%d}",
        }
        + note
    )
    told = tell(
        users=holders,
        organization_ids=[organization_id_from_permission(task.owner_permission) or 0],
        kind=NoticeKind.URGED,
        key=f"urged:{task.pk}:{today:%Y%m%d}",
        text=text,
        link=reverse("workflows:execute", args=[task.pk]),
    )
    if not told:
        raise ConflictError(_("今天已催办过该任务。"))
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.URGE_TASK,
        note=f"{title}（{deadline.due_date:%Y-%m-%d} 到期）" + (f"：{note}" if note else ""),
        data={"task": task.pk, "told": [u.pk for u in holders]},
    )
    return told


def return_to_review(
    *, duty_request: DutyRequest, actor: User, from_node: str, nodes: Sequence[str], reasons: str
) -> CaseReturn:
    """退回 (procedure.RETURNS_TO): the lead unit, consolidating, sends the case back to members of the joint meeting
    to review again. Their opinions are set aside (kept on the return) so that they can give new ones."""
    require_lead_unit(actor, duty_request)
    allowed = RETURNS_TO.get(from_node, ())
    reasons = (reasons or "").strip()
    errors: dict[str, list[str]] = {}
    if not allowed:
        raise ConflictError(_("该环节不能退回。"))
    if not nodes or any(n not in allowed for n in nodes):
        errors["nodes"] = [_("请选择退回的审核环节。")]
    if not reasons:
        errors["reasons"] = [_("请写明退回理由。")]
    if errors:
        raise ValidationError(errors)
    kinds = [OrganizationKind(step(n).acting_body.value) for n in nodes]
    with locked_request(duty_request) as duty_request:
        if duty_request.state != RequestState.UNDER_REVIEW:
            raise ConflictError(_("该申请已不在联席审核阶段，不能退回。"))
        opinions = list(
            duty_request.bureau_opinions.filter(organization__kind__in=kinds).select_related("organization")
        )
        set_aside = [
            {
                "organization": o.organization.name,
                "passes": o.passes,
                "reasoning": o.reasoning,
                "given_by": _name(o.given_by),
                "given_at": o.given_at.isoformat(),
            }
            for o in opinions
        ]
        for o in opinions:
            o.delete()
        returned = CaseReturn.objects.create(
            request=duty_request,
            from_node=from_node,
            to_nodes=list(nodes),
            reasons=reasons,
            set_aside=set_aside,
            returned_by=actor,
        )
        titles = "、".join(official(step(n).title) for n in nodes)
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.RETURN_TO_STEP,
            note=f"{official(step(from_node).title)} → {titles}：{reasons}",
            data={"return": returned.pk, "from": from_node, "to": list(nodes)},
        )
    return returned


def issue_approval_form(*, duty_request: DutyRequest, actor: User) -> OfficialDocument:
    """审批单: the lead unit issues one document with every opinion and decision so far, numbered, sealed and signed
    like the others (a later one supersedes it as the case goes on)."""
    require_lead_unit(actor, duty_request)
    if duty_request.state == RequestState.DRAFT:
        raise ConflictError(_("草稿尚无审批意见，不能生成审批单。"))
    with locked_request(duty_request) as duty_request:
        return issue_document(
            draft=drafts.approval_form(duty_request=duty_request), duty_request=duty_request, actor=actor
        )
