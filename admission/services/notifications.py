"""In-app notices to people, e-mailed (as each person chooses) and posted to their unit's group robot once they are
committed. The one way the domain tells someone something.

Notices are written in the official language, like every record. Work arriving is announced after the transaction
that made it commits (admission/tasks.py:announce_later, on the task engine): a new task to whoever may do it (a
returned one as 退回), a decision and an issued document to the bodies concerned."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from ..language import in_official_language, official
from ..models import (
    ApprovalDecision,
    AuditAction,
    DutyRequest,
    GroupRobot,
    Membership,
    NoticeKind,
    NoticePreference,
    Notification,
    OfficialDocument,
    ReviewConclusion,
    RobotDelivery,
    TaskDeadline,
)
from ..models.organizations import DECIDING_ROLES
from ..notices import email_later, post_later, public_address
from ..permissions import organization_id_from_permission
from .audit import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notify(*, user: User, kind: NoticeKind, key: str, text: str, link: str) -> bool:
    """Create the notice once per `key`; e-mail it when the person has an address. Returns whether it is new."""
    with transaction.atomic():
        notice, created = Notification.objects.get_or_create(
            key=key[:120], defaults={"user": user, "kind": kind, "text": text[:300], "link": link}
        )
        if created and user.email and wants_email(user, kind):
            email_later(notice.pk)
    return created


def wants_email(user: User, kind: str) -> bool:
    preference = NoticePreference.objects.filter(user=user).first()
    return preference is None or kind in preference.email_kinds


def set_preferences(*, user: User, email_kinds: Iterable[str]) -> NoticePreference:
    """Which notices the person wants e-mailed; every notice stays in the app."""
    kinds = sorted({NoticeKind(k).value for k in email_kinds})
    with transaction.atomic():
        preference, _created = NoticePreference.objects.update_or_create(user=user, defaults={"email_kinds": kinds})
        record_event(
            duty_request=None,
            actor=user,
            action=AuditAction.SET_NOTICE_PREFERENCE,
            note="、".join(official(NoticeKind(k).label) for k in kinds) or "不接收邮件",
            data={"email_kinds": kinds},
        )
    return preference


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the person's notices read (all unread ones when `ids` is None); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def post_to_robots(*, organization_ids: Iterable[int], key: str, text: str, link: str) -> int:
    """The message once per robot of each unit (`key` names the event); returns how many are new."""
    new = 0
    message = f"{text}\n{public_address(link)}"[:600]
    for robot in GroupRobot.objects.filter(organization_id__in=set(organization_ids), active=True):
        with transaction.atomic():
            delivery, created = RobotDelivery.objects.get_or_create(
                key=f"{key}:{robot.pk}"[:160], defaults={"robot": robot, "text": message}
            )
            if created:
                post_later(delivery.pk)
        new += created
    return new


def tell(
    *, users: Iterable[User], organization_ids: Iterable[int], kind: NoticeKind, key: str, text: str, link: str
) -> int:
    """Tell each person (once per `key`) and post to the units' group robots (once per `key` and robot), in one
    transaction: the whole announcement or none of it, one commit (each notice's own was a disk sync apiece)."""
    with transaction.atomic():
        told = sum(notify(user=u, kind=kind, key=f"{key}:{u.pk}", text=text, link=link) for u in users)
        post_to_robots(organization_ids=organization_ids, key=key, text=text, link=link)
    return told


@in_official_language
def announce_task(*, task_id: int) -> int:
    """A new task: whoever may do it is told; a task sent back (补正, 退回重审) is told as 退回."""
    task = Task.objects.select_related("owner", "process").filter(pk=task_id, status__in=OPEN).first()
    if task is None:
        return 0
    duty_request = DutyRequest.objects.get(pk=task.process.artifact_object_id)
    returned = task.flow_task.name == "supplement" or task.previous.filter(status="REVIVED").exists()
    kind = NoticeKind.RETURNED if returned else NoticeKind.TASK_ARRIVED
    deadline = TaskDeadline.objects.filter(task=task).first()
    values = {
        "duty": duty_request.duty_name,
        "title": task.flow_task.task_title,
        "due": f"{deadline.due_date:%Y-%m-%d}" if deadline and deadline.due_date else "—",
    }
    text = (
        _("退回：“%(duty)s”退回你单位重新办理“%(title)s”，请于 %(due)s 前办结。")
        if returned
        else _("新任务：“%(duty)s”待你单位办理“%(title)s”，请于 %(due)s 前办结。")
    ) % values
    org_id = organization_id_from_permission(task.owner_permission)
    return tell(
        users=people_holding(task),
        organization_ids=[org_id] if org_id else [],
        kind=kind,
        key=f"{kind}:{task.pk}",
        text=text,
        link=reverse("workflows:execute", args=[task.pk]),
    )


def _parties(duty_request: DutyRequest) -> list[int]:
    """The bodies a decision concerns: the applicant, the department and the townships."""
    ids = [duty_request.applicant_id, duty_request.department_id, *duty_request.townships.values_list("pk", flat=True)]
    return list(dict.fromkeys(ids))


@in_official_language
def announce_decision(*, decision_id: int) -> int:
    """Art. 4(3): the approving body's decision, to the bodies of the case."""
    decision = ApprovalDecision.objects.select_related("request", "body").filter(pk=decision_id).first()
    if decision is None:
        return 0
    duty_request = decision.request
    values = {"body": decision.body.name, "duty": duty_request.duty_name}
    text = (
        _("审批决定：%(body)s同意“%(duty)s”。") if decision.approves else _("审批决定：%(body)s不同意“%(duty)s”。")
    ) % values
    return _announce_to_parties(duty_request, key=f"decided:{decision.pk}", text=text)


@in_official_language
def announce_conclusion(*, conclusion_id: int) -> int:
    """Art. 4(2): a review that does not pass ends the case: the bodies of the case are told."""
    conclusion = ReviewConclusion.objects.select_related("request").filter(pk=conclusion_id, passes=False).first()
    if conclusion is None:
        return 0
    text = _("审核结论：“%(duty)s”未通过联席审核，理由见书面告知。") % {"duty": conclusion.request.duty_name}
    return _announce_to_parties(conclusion.request, key=f"concluded:{conclusion.pk}", text=text)


def _announce_to_parties(duty_request: DutyRequest, *, key: str, text: str) -> int:
    parties = _parties(duty_request)
    users = [u for org_id in parties for u in members_of(org_id)]
    link = reverse("admission:request_detail", args=[duty_request.pk])
    return tell(users=users, organization_ids=parties, kind=NoticeKind.DECIDED, key=key, text=text, link=link)


@in_official_language
def announce_document(*, document_id: int) -> int:
    """An issued document, to the members of every body it is addressed or copied to."""
    document = OfficialDocument.objects.filter(pk=document_id).first()
    if document is None:
        return 0
    recipients = list(document.recipients.values_list("pk", flat=True))
    users = [u for org_id in recipients for u in members_of(org_id)]
    text = _("公文印发：%(number)s《%(title)s》。") % {"number": document.number, "title": document.title}
    link = reverse("admission:document_list")
    return tell(
        users=users,
        organization_ids=recipients,
        kind=NoticeKind.DOCUMENT_ISSUED,
        key=f"document:{document.pk}",
        text=text,
        link=link,
    )


OPEN = ("NEW", "ASSIGNED", "STARTED")


def people_holding(task: Task) -> list[User]:
    """Who should act on a task: the person who claimed it, or everyone of the organization who may claim it."""
    if task.owner_id:
        owner: User = task.owner
        return [owner]
    org_id = organization_id_from_permission(task.owner_permission)
    if org_id is None:
        return []
    members = Membership.objects.filter(organization_id=org_id).select_related("user")
    if task.owner_permission.endswith("_decide"):
        members = members.filter(role__in=DECIDING_ROLES)
    return [m.user for m in members if m.user.is_active]


def members_of(organization_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(organization_id=organization_id).select_related("user")
        if m.user.is_active
    ]
