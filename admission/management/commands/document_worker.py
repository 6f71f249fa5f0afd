"""The background worker: renders pending documents (retrying failures with back-off) and, once each working
day at --reminders-at, runs the reminder job. Run one or more beside the web processes in production."""

import time
from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from admission.calendar import UnknownCalendarYear, WorkingCalendar
from admission.documents.jobs import render_due
from admission.services.reminders import send_reminders


class Command(BaseCommand):
    help = "Render, seal and sign pending documents; send reminders once each working day."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do what is due now and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
        parser.add_argument("--reminders-at", default="08:30", help="local time of the daily reminder run; '' for none")

    def handle(self, *args, once: bool, interval: float, reminders_at: str, **options):
        last_reminder_day = None
        while True:
            done = render_due()
            now = timezone.localtime()
            if reminders_at and last_reminder_day != now.date() and now.time() >= _at(reminders_at) \
                    and _working_day(now.date()):
                run = send_reminders(today=now.date())  # idempotent: a restart on the same day sends nothing twice
                last_reminder_day = now.date()
                self.stdout.write(f"reminders {run.reminders}, escalations {run.escalations}")
                for problem in run.problems:
                    self.stderr.write(problem)
            if once:
                self.stdout.write(f"rendered {done}")
                return
            if not done:
                time.sleep(interval)


def _at(text: str):
    return datetime.strptime(text, "%H:%M").time()


def _working_day(day) -> bool:
    try:
        return WorkingCalendar(None).is_working_day(day)
    except UnknownCalendarYear:
        return True  # better a reminder on a holiday than none; send_reminders reports the calendar gap
