from .permissions import membership_of


def acting_organization(request):
    membership = membership_of(getattr(request, "user", None))
    return {"membership": membership, "acting_organization": membership.organization if membership else None}
