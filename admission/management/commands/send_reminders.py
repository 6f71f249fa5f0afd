"""Reminders and escalations for open tasks, now, by hand. Idempotent.

The scheduler (`make scheduler`, Celery beat) runs the same job each working morning at ADMISSION_REMINDERS_AT; this
command is for a run outside that (or for cron where no scheduler runs)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from admission.services.reminders import send_reminders


class Command(BaseCommand):
    help = "Remind holders of tasks due soon and escalate overdue tasks to the head of the organization holding them."

    def handle(self, *args, **options):
        run = send_reminders(today=timezone.localdate())
        self.stdout.write(
            f"reminders sent: {run.reminders}; escalations sent: {run.escalations}; "
            f"expired temporary duties notified: {run.expiries}"
        )
        for problem in run.problems:
            self.stderr.write(self.style.ERROR(problem))
        if run.problems:
            raise SystemExit(3)  # cron mails a failing job's output: the administrator learns which year to enter
