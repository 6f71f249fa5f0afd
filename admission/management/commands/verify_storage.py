"""Check every stored file against the database: there, of its registered size, with its registered SHA-256.

Exit 0 when all are; 1 (with one line per problem on stderr) otherwise, so cron or a systemd timer reports it.
"""

import logging
import time

from django.core.management.base import BaseCommand, CommandError

from admission.storage import check, count_stored_files, stored_files

log = logging.getLogger("admission.storage")


class Command(BaseCommand):
    help = "Check every stored document and upload (missing, size, SHA-256); exit 1 if any is not as registered."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-hash", action="store_true", help="check presence and size only (quick; does not read the files)"
        )
        parser.add_argument(
            "--progress-every",
            type=float,
            default=5.0,
            metavar="SECONDS",
            help="print progress at most this often (default 5; 0 prints every file)",
        )

    def handle(self, *args, no_hash: bool, progress_every: float, **options):
        total = count_stored_files()
        self.stdout.write(f"checking {total} stored files ({'presence and size' if no_hash else 'SHA-256'})")
        started = last = time.monotonic()
        checked = 0
        findings = []
        for stored in stored_files():
            finding = check(stored, hash_content=not no_hash)
            checked += 1
            if finding is not None:
                findings.append(finding)
                log.error(
                    "stored file problem: %s",
                    finding.describe(),
                    extra={"stored_file": stored.name, "problem": finding.problem.value},
                )
                self.stderr.write(f"{finding.problem.value.upper()} {finding.describe()}")
            now = time.monotonic()
            if now - last >= progress_every or checked == total:
                last = now
                self.stdout.write(
                    f"[{checked}/{total}] {100 * checked // max(total, 1)}% "
                    f"{len(findings)} problem(s), {now - started:.0f} s"
                )
        if findings:
            raise CommandError(f"{len(findings)} of {checked} stored files are not as registered", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"all {checked} stored files as registered"))
