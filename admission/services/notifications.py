"""In-app notices to people, e-mailed once they are committed. The one way a service tells someone something."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from viewflow.workflow.models import Task

from ..models import Membership, NoticeKind, Notification
from ..models.organizations import DECIDING_ROLES
from ..notices import email_later
from ..permissions import organization_id_from_permission

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notify(*, user: User, kind: NoticeKind, key: str, text: str, link: str) -> bool:
    """Create the notice once per `key`; e-mail it when the person has an address. Returns whether it is new."""
    with transaction.atomic():
        notice, created = Notification.objects.get_or_create(
            key=key[:120], defaults={"user": user, "kind": kind, "text": text[:300], "link": link}
        )
        if created and user.email:
            email_later(notice.pk)
    return created


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
