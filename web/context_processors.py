from admission.models import Notification
from admission.permissions import can_see_dashboard, membership_of


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
    }
