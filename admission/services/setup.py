"""Onboarding a banner: the jurisdiction, its bodies, townships and departments, and the people."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    AuditAction,
    Jurisdiction,
    JurisdictionLevel,
    Membership,
    Organization,
    OrganizationKind,
    PasswordHistory,
    Role,
)
from ..onboarding import BODY_KINDS, BannerFile, at_line
from ..permissions import forget_banner_bodies
from .audit import record_event
from .deadlines import create_default_time_limits, forget_time_limits

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Names follow each banner's own: "{short}委编办" etc. are set by the caller when they differ.
# Per kind: the working name, the full name for headers and seals, and the body's code in document numbers (after
# the jurisdiction's abbreviation, which may be inherited: admission/inheritance.py:document_prefix).
BODY_NAMES = {
    OrganizationKind.ORGANIZATION_OFFICE: ("{short}委编办", "中共{name}委员会机构编制委员会办公室", "编"),
    OrganizationKind.JUSTICE_BUREAU: ("{short}司法局", "{name}司法局", "司"),
    OrganizationKind.DATA_BUREAU: ("{short}政务服务与数据管理局", "{name}政务服务与数据管理局", "政数"),
    OrganizationKind.BANNER_LEADERSHIP: ("{short}委、{short}政府", "中共{name}委员会 {name}人民政府", "党政"),
}


def _local_name(name: str, short: str) -> str:
    """旗林业和草原局 → 林业和草原局: the part after the banner's short name."""
    return name.removeprefix(short)


@transaction.atomic
def create_jurisdiction(
    *,
    name: str,
    short_name: str,
    division_code: str,
    city_name: str,
    city_government_name: str,
    townships: Iterable[tuple[str, str]],
    departments: Iterable[str | tuple[str, str]],
    abbreviation: str = "",
    measure: str = "",
    mongolian_names: Mapping[str, str] | None = None,
) -> Jurisdiction:
    """Create a banner with its joint-meeting bodies, leadership, city government, townships and departments.

    A department is a name, or (name, issuing-body code) where the code is not the first two characters.
    `mongolian_names` gives names in traditional Mongolian by Chinese full name (of the banner, and of each body, a
    joint body's by each of its bodies'); a body whose names are not all there has none.
    """
    mongolian = mongolian_names or {}
    abbr = abbreviation or name[0]
    jurisdiction = Jurisdiction.objects.create(
        name=name,
        division_code=division_code,
        city_name=city_name,
        abbreviation=abbr,
        measure=measure,
        mongolian_name=mongolian.get(name, ""),
    )
    fill = {"short": short_name, "name": name}
    department_codes = [(d, "") if isinstance(d, str) else d for d in departments]
    Organization.objects.bulk_create(
        [
            Organization(
                jurisdiction=jurisdiction,
                kind=kind,
                name=working.format(**fill),
                official_name=official.format(**fill),
                document_code=code,
            )
            for kind, (working, official, code) in BODY_NAMES.items()
        ]
        + [
            Organization(
                jurisdiction=jurisdiction,
                kind=OrganizationKind.CITY_GOVERNMENT,
                name=city_government_name,
                official_name=city_government_name,
            )
        ]
        + [_township(jurisdiction, t, code) for t, code in townships]
        + [_department(jurisdiction, d, code, short_name) for d, code in department_codes]
    )
    forget_banner_bodies()  # a bulk insert sends no signal
    _name_bodies_in_mongolian(jurisdiction=jurisdiction, mongolian=mongolian)
    create_default_time_limits(jurisdiction=jurisdiction)
    return jurisdiction


def _name_bodies_in_mongolian(*, jurisdiction: Jurisdiction, mongolian: Mapping[str, str]) -> None:
    """Each body of `jurisdiction` whose Chinese full name (a joint body's, each of its bodies') is in `mongolian`."""
    bodies = list(jurisdiction.organizations.all())
    for body in bodies:
        parts = (body.official_name or body.name).split()
        if all(part in mongolian for part in parts):
            body.mongolian_name = "\n".join(mongolian[part] for part in parts)
    Organization.objects.bulk_update(bodies, ["mongolian_name"])


@transaction.atomic
def create_upper_jurisdiction(
    *,
    name: str,
    division_code: str,
    level: JurisdictionLevel,
    abbreviation: str,
    parent: Jurisdiction | None = None,
    approves_in_system: bool = False,
    children: Iterable[Jurisdiction] = (),
    mongolian_names: Mapping[str, str] | None = None,
) -> Jurisdiction:
    """The region, or a league or city, with its own bodies (issue 15): its organization office, which oversees the
    banners below read-only, and its government, which approves the regular track when `approves_in_system`.
    `mongolian_names` as for create_jurisdiction: its government's seal and mark carry both scripts too."""
    mongolian = mongolian_names or {}
    jurisdiction = Jurisdiction.objects.create(
        name=name,
        division_code=division_code,
        level=level,
        parent=parent,
        abbreviation=abbreviation,
        city_name=name,
        approves_in_system=approves_in_system,
        mongolian_name=mongolian.get(name, ""),
    )
    short = name.removesuffix("自治区").removesuffix("市").removesuffix("盟")
    party = "党委" if level == JurisdictionLevel.REGION else "委"
    Organization.objects.bulk_create(
        [
            Organization(
                jurisdiction=jurisdiction,
                kind=OrganizationKind.ORGANIZATION_OFFICE,
                name=f"{short}{party}编办",
                official_name=f"中共{name}委员会机构编制委员会办公室",
                document_code="编",
            ),
            Organization(
                jurisdiction=jurisdiction,
                kind=OrganizationKind.CITY_GOVERNMENT,
                name=f"{name}人民政府",
                official_name=f"{name}人民政府",
                document_code="政",
            ),
        ]
    )
    forget_banner_bodies()  # a bulk insert sends no signal
    _name_bodies_in_mongolian(jurisdiction=jurisdiction, mongolian=mongolian)
    if level == JurisdictionLevel.CITY:
        create_default_time_limits(jurisdiction=jurisdiction)
    attach_banners(upper=jurisdiction, banners=list(children), approves_in_system=approves_in_system)
    return jurisdiction


@transaction.atomic
def attach_banners(*, upper: Jurisdiction, banners: list[Jurisdiction], approves_in_system: bool) -> None:
    """Hang banners under a league or city (or a city under the region); set whether the city approves in-system."""
    Jurisdiction.objects.filter(pk__in=[b.pk for b in banners]).update(parent=upper)
    forget_time_limits()  # the banners now inherit the upper level's; an update sends no signal
    if upper.level == JurisdictionLevel.CITY and upper.approves_in_system != approves_in_system:
        upper.approves_in_system = approves_in_system
        upper.save(update_fields=["approves_in_system"])
    if banners or upper.level == JurisdictionLevel.CITY:
        record_event(
            duty_request=None,
            actor=None,
            action=AuditAction.ONBOARDING,
            note=f"{upper.name}：所辖旗县 {'、'.join(b.name for b in banners) or '无变化'}；"
            f"平台内审批：{'是' if upper.approves_in_system else '否'}",
            data={"division_code": upper.division_code, "banners": [b.division_code for b in banners]},
            jurisdiction_id=upper.pk,
        )


def _township(jurisdiction: Jurisdiction, name: str, division_code: str) -> Organization:
    return Organization(
        jurisdiction=jurisdiction,
        kind=OrganizationKind.TOWNSHIP,
        name=name,
        division_code=division_code,
        official_name=f"{jurisdiction.name}{name}人民政府",
        document_code=f"{name[:2]}政",
    )


def _department(jurisdiction: Jurisdiction, name: str, code: str, short_name: str) -> Organization:
    return Organization(
        jurisdiction=jurisdiction,
        kind=OrganizationKind.DEPARTMENT,
        name=name,
        official_name=f"{jurisdiction.name}{_local_name(name, short_name)}",
        document_code=code or _local_name(name, short_name)[:2],
    )


@dataclass
class OnboardingResult:
    jurisdiction: Jurisdiction
    created: list[str] = field(default_factory=list)  # what this run added, in words
    passwords: dict[str, str] = field(default_factory=dict)  # the first users' initial passwords, shown once


class OnboardingConflict(Exception):
    """The file disagrees with what is already on the platform (it would change, not add)."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@transaction.atomic
def onboard_jurisdiction(*, banner: BannerFile) -> OnboardingResult:
    """Put a banner on the platform from its checked file, adding only what is missing: run it again and nothing
    changes. Existing rows are never altered; a file that contradicts them is refused with the lines concerned.
    First users get a random initial password that has expired already, so they choose their own at first sign-in."""
    jurisdiction = Jurisdiction.objects.filter(division_code=banner.division_code).first()
    result = OnboardingResult(jurisdiction=jurisdiction) if jurisdiction else None
    if jurisdiction is None:
        jurisdiction = create_jurisdiction(
            name=banner.name,
            short_name=banner.short_name,
            division_code=banner.division_code,
            city_name=banner.city_name,
            city_government_name=banner.city_government_name,
            townships=[],
            departments=[],
            abbreviation=banner.abbreviation,
            measure=banner.measure,
        )
        result = OnboardingResult(jurisdiction=jurisdiction, created=[f"旗县 {banner.name}（{banner.division_code}）"])
    elif jurisdiction.name != banner.name:
        message = _("区划代码 %(code)s 已是“%(existing)s”，与文件中的“%(name)s”不符") % {
            "code": banner.division_code,
            "existing": jurisdiction.name,
            "name": banner.name,
        }
        raise OnboardingConflict([at_line(banner.line, message)])
    elif banner.measure and jurisdiction.measure and banner.measure != jurisdiction.measure:
        message = _("“%(name)s”的准入办法已是《%(existing)s》，与文件中的《%(measure)s》不符") % {
            "name": jurisdiction.name,
            "existing": jurisdiction.measure,
            "measure": banner.measure,
        }
        raise OnboardingConflict([at_line(banner.line, message)])
    assert result is not None
    if banner.measure and not jurisdiction.measure:
        jurisdiction.measure = banner.measure
        jurisdiction.save(update_fields=["measure"])
        result.created.append(f"准入办法《{banner.measure}》")
    _add_organizations(banner=banner, jurisdiction=jurisdiction, result=result)
    _add_first_users(banner=banner, jurisdiction=jurisdiction, result=result)
    if result.created:
        record_event(
            duty_request=None,
            actor=None,
            action=AuditAction.ONBOARDING,
            note="；".join(result.created),
            data={"division_code": banner.division_code, "created": result.created},
            jurisdiction_id=jurisdiction.pk,
        )
    return result


def _add_organizations(*, banner: BannerFile, jurisdiction: Jurisdiction, result: OnboardingResult) -> None:
    existing = {o.name: o for o in jurisdiction.organizations.all()}
    conflicts, new = [], []
    for township in banner.townships:
        found = existing.get(township.name)
        if found is None:
            new.append(_township(jurisdiction, township.name, township.division_code))
            result.created.append(f"乡镇 {township.name}（{township.division_code}）")
        elif found.kind != OrganizationKind.TOWNSHIP or found.division_code != township.division_code:
            conflicts.append(
                at_line(
                    township.line,
                    _("“%(name)s”已在平台上（区划代码 %(code)s，%(kind)s），与文件不符")
                    % {"name": township.name, "code": found.division_code or "—", "kind": found.get_kind_display()},
                )
            )
    for department in banner.departments:
        found = existing.get(department.name)
        if found is None:
            new.append(_department(jurisdiction, department.name, department.code, banner.short_name))
            result.created.append(f"部门 {department.name}")
        elif found.kind != OrganizationKind.DEPARTMENT:
            conflicts.append(
                at_line(
                    department.line,
                    _("“%(name)s”已在平台上，但不是部门（%(kind)s）")
                    % {"name": department.name, "kind": found.get_kind_display()},
                )
            )
    if conflicts:
        raise OnboardingConflict(conflicts)
    Organization.objects.bulk_create(new)


def _add_first_users(*, banner: BannerFile, jurisdiction: Jurisdiction, result: OnboardingResult) -> None:
    organizations = {o.name: o for o in jurisdiction.organizations.all()}
    organizations |= {o.kind: o for o in organizations.values() if o.kind in BODY_KINDS}
    users = get_user_model().objects
    conflicts = []
    for first in banner.users:
        organization = organizations[first.organization]
        existing = Membership.objects.filter(user__username=first.username).select_related("organization").first()
        if existing is not None:
            if existing.organization_id != organization.pk or existing.role != first.role:
                conflicts.append(
                    at_line(
                        first.line,
                        _("用户 %(user)s 已在平台上（%(organization)s，%(role)s），与文件不符")
                        % {
                            "user": first.username,
                            "organization": existing.organization.name,
                            "role": existing.get_role_display(),
                        },
                    )
                )
            continue
        if users.filter(username=first.username).exists():
            conflicts.append(at_line(first.line, _("用户名 %(user)s 已被其他账号使用") % {"user": first.username}))
            continue
        password = secrets.token_urlsafe(12)
        user = add_member(
            organization=organization,
            username=first.username,
            password=password,
            role=first.role,
            full_name=first.full_name,
        )
        # Set long ago: the initial password has expired, so the first sign-in asks for a new one (admission.identity).
        PasswordHistory.objects.create(user=user, password=user.password)
        PasswordHistory.objects.filter(user=user).update(created_at=datetime(2000, 1, 1, tzinfo=UTC))
        result.passwords[first.username] = password
        result.created.append(f"用户 {first.username}（{organization.name}，{first.role.label}）")
    if conflicts:
        raise OnboardingConflict(conflicts)


def add_member(*, organization: Organization, username: str, password: str, role: Role, full_name: str = "") -> User:
    user = get_user_model().objects.create_user(username=username, password=password, first_name=full_name)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user
