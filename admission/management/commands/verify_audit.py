"""Walk the audit hash chain; exit 0 only when no event was altered, removed or inserted (等保2.0 安全审计)."""

from django.core.management.base import BaseCommand, CommandError

from admission.models import AuditEvent
from admission.services.audit import seal_pending_events, verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and name the first broken event."

    def handle(self, *args, **options):
        sealed = seal_pending_events()
        if sealed:
            self.stdout.write(f"sealed {sealed} event(s) committed since the last seal")
        checked, broken = verify_chain()
        total = AuditEvent.objects.count()
        if broken is not None:
            where = f"event id {broken.event_id}" if broken.event_id else "no event"
            raise CommandError(
                f"audit chain broken at #{broken.sequence} ({where}): {broken.problem}; {checked} event(s) before it verified",
                returncode=1,
            )
        if checked != total:
            raise CommandError(f"{total - checked} event(s) are outside the chain", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} event(s)"))
