from admission.models import JurisdictionLevel, Notification, OrganizationKind
from admission.permissions import can_see_dashboard, membership_of


def _links(membership) -> dict[str, bool]:
    """Which of the header's links lead somewhere for the user's organization (issue 15): a banner's bodies have
    tasks, lists and documents; above the banners, the organization office reads its banners (所辖旗县 and their
    cases) and a city government that approves on the platform has its approval tasks, cases and replies."""
    if membership is None:
        return {}
    organization = membership.organization
    jurisdiction = organization.jurisdiction
    if jurisdiction.level == JurisdictionLevel.BANNER:
        return {"tasks": True, "cases": True, "duties": True, "documents": True, "reports": True}
    if organization.kind == OrganizationKind.ORGANIZATION_OFFICE:
        return {"region": True, "cases": True}
    approves = organization.kind == OrganizationKind.CITY_GOVERNMENT and jurisdiction.approves_in_system
    return {"tasks": approves, "cases": approves, "documents": approves}


def acting_organization(request):
    membership = membership_of(getattr(request, "user", None))
    unread = 0
    if membership is not None:
        unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return {
        "membership": membership,
        "acting_organization": membership.organization if membership else None,
        "unread_notifications": unread,
        "can_see_dashboard": can_see_dashboard(request.user),
        "links": _links(membership),
    }
