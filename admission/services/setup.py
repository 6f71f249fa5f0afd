"""Onboarding a banner: the jurisdiction, its bodies, townships and departments, and the people."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import Jurisdiction, Membership, Organization, OrganizationKind, Role

# Names follow each banner's own: "{short}委编办" etc. are set by the caller when they differ.
BODY_NAMES = {
    OrganizationKind.ORGANIZATION_OFFICE: "{short}委编办",
    OrganizationKind.JUSTICE_BUREAU: "{short}司法局",
    OrganizationKind.DATA_BUREAU: "{short}政务服务与数据管理局",
    OrganizationKind.BANNER_LEADERSHIP: "{short}委、{short}政府",
}


@transaction.atomic
def create_jurisdiction(
    *,
    name: str,
    short_name: str,
    division_code: str,
    city_name: str,
    city_government_name: str,
    townships: Iterable[tuple[str, str]],
    departments: Iterable[str],
) -> Jurisdiction:
    """Create a banner with its joint-meeting bodies, leadership, city government, townships and departments."""
    jurisdiction = Jurisdiction.objects.create(name=name, division_code=division_code, city_name=city_name)
    Organization.objects.bulk_create(
        [Organization(jurisdiction=jurisdiction, kind=kind, name=pattern.format(short=short_name))
         for kind, pattern in BODY_NAMES.items()]
        + [Organization(jurisdiction=jurisdiction, kind=OrganizationKind.CITY_GOVERNMENT, name=city_government_name)]
        + [Organization(jurisdiction=jurisdiction, kind=OrganizationKind.TOWNSHIP, name=t, division_code=code)
           for t, code in townships]
        + [Organization(jurisdiction=jurisdiction, kind=OrganizationKind.DEPARTMENT, name=d) for d in departments]
    )
    return jurisdiction


def add_member(*, organization: Organization, username: str, password: str, role: Role, full_name: str = ""):
    user = get_user_model().objects.create_user(username=username, password=password, first_name=full_name)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user
