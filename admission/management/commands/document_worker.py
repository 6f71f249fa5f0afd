"""Render documents that are pending or due for a retry; run it beside the web processes in production."""

import time

from django.core.management.base import BaseCommand

from admission.documents.jobs import render_due


class Command(BaseCommand):
    help = "Render, seal and sign pending documents, retrying failures with back-off."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="render what is due now and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")

    def handle(self, *args, once: bool, interval: float, **options):
        while True:
            done = render_due()
            if once:
                self.stdout.write(f"rendered {done}")
                return
            if not done:
                time.sleep(interval)
