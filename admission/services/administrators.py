"""Separation of duties among administrators (三员分立, 等保2.0 level 3): the system administrator keeps bodies, people
and calendars; the security administrator roles, lockouts and second factors; the audit administrator reads the audit
trail and nothing else. Each is a group holding exactly its permissions; none of them acts in the procedure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from ..language import official
from ..models import AdministratorRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# app_label.codename; a permission of an app that is not installed (yet) is skipped.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    AdministratorRole.SYSTEM: (
        *(
            f"admission.{verb}_{model}"
            for model in ("jurisdiction", "organization", "calendarday", "calendaryear", "timelimit")
            for verb in ("add", "change", "view")
        ),
        # Settings inherited from the level above (issue 15): removing a jurisdiction's own time limit or document
        # setting makes it inherit again.
        "admission.delete_timelimit",
        *(f"admission.{verb}_documentsetting" for verb in ("add", "change", "view", "delete")),
        "admission.add_membership",
        "admission.view_membership",
        "admission.delete_membership",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        # 统一身份认证: which platform account is which member (issue 12, single sign-on).
        *(f"admission.{verb}_externalidentity" for verb in ("add", "change", "view", "delete")),
        # 政务消息: the units' group robots (issue 13).
        *(f"admission.{verb}_grouprobot" for verb in ("add", "change", "view", "delete")),
        "admission.view_robotdelivery",
        # Signed webhooks of the API's clients (issue 15): subscriptions, and re-sending a failed delivery.
        *(f"admission.{verb}_webhooksubscription" for verb in ("add", "change", "view", "delete")),
        "admission.view_webhookdelivery",
        "admission.change_webhookdelivery",
    ),
    AdministratorRole.SECURITY: (
        "auth.view_user",
        "admission.view_membership",
        "admission.change_membership",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ),
    AdministratorRole.AUDIT: ("admission.view_auditevent",),
}


def group_name(role: AdministratorRole) -> str:
    return official(role.label)


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


@transaction.atomic
def ensure_administrator_groups() -> dict[str, Group]:
    """Create or correct the three groups so that each holds exactly its permissions (run after every migrate)."""
    groups = {}
    for role in AdministratorRole:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set(_permissions(PERMISSIONS[role]))
        groups[role.value] = group
    return groups


def administrator_role(user: User | AnonymousUser) -> AdministratorRole | None:
    names = {g.name for g in user.groups.all()} if user.is_authenticated else set()
    return next((role for role in AdministratorRole if group_name(role) in names), None)


def is_administrator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_staff))


@transaction.atomic
def create_administrator(*, username: str, password: str, role: AdministratorRole, full_name: str = "") -> User:
    """A staff account in exactly one administrator group; it can sign in to /admin/ and nowhere acts for a body."""
    from django.contrib.auth import get_user_model

    groups = ensure_administrator_groups()
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        is_staff=True,
        first_name=full_name,
    )
    user.groups.set([groups[role.value]])
    return user
