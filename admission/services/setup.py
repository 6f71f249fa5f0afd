"""Onboarding a banner: the jurisdiction, its bodies, townships and departments, and the people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import Jurisdiction, Membership, Organization, OrganizationKind, Role
from .deadlines import create_default_time_limits

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Names follow each banner's own: "{short}委编办" etc. are set by the caller when they differ.
# Per kind: the working name, the full name for headers and seals, and the issuing-body code of document numbers.
BODY_NAMES = {
    OrganizationKind.ORGANIZATION_OFFICE: ("{short}委编办", "中共{name}委员会机构编制委员会办公室", "{abbr}编"),
    OrganizationKind.JUSTICE_BUREAU: ("{short}司法局", "{name}司法局", "{abbr}司"),
    OrganizationKind.DATA_BUREAU: ("{short}政务服务与数据管理局", "{name}政务服务与数据管理局", "{abbr}政数"),
    OrganizationKind.BANNER_LEADERSHIP: ("{short}委、{short}政府", "中共{name}委员会 {name}人民政府", "{abbr}党政"),
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
        mongolian_name=mongolian.get(name, ""),
    )
    fill = {"short": short_name, "name": name, "abbr": abbr}
    department_codes = [(d, "") if isinstance(d, str) else d for d in departments]
    Organization.objects.bulk_create(
        [
            Organization(
                jurisdiction=jurisdiction,
                kind=kind,
                name=working.format(**fill),
                official_name=official.format(**fill),
                document_prefix=code.format(**fill),
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
        + [
            Organization(
                jurisdiction=jurisdiction,
                kind=OrganizationKind.TOWNSHIP,
                name=t,
                division_code=code,
                official_name=f"{name}{t}人民政府",
                document_prefix=f"{t[:2]}政",
            )
            for t, code in townships
        ]
        + [
            Organization(
                jurisdiction=jurisdiction,
                kind=OrganizationKind.DEPARTMENT,
                name=d,
                official_name=f"{name}{_local_name(d, short_name)}",
                document_prefix=abbr + (code or _local_name(d, short_name)[:2]),
            )
            for d, code in department_codes
        ]
    )
    bodies = list(jurisdiction.organizations.all())
    for body in bodies:
        parts = (body.official_name or body.name).split()
        if all(part in mongolian for part in parts):
            body.mongolian_name = "\n".join(mongolian[part] for part in parts)
    Organization.objects.bulk_update(bodies, ["mongolian_name"])
    create_default_time_limits(jurisdiction=jurisdiction)
    return jurisdiction


def add_member(*, organization: Organization, username: str, password: str, role: Role, full_name: str = "") -> User:
    user = get_user_model().objects.create_user(username=username, password=password, first_name=full_name)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user
