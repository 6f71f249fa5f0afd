"""Check a PDF or OFD offline: exit 0 only for a registered document (a PDF also intact and trusted)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.documents.verification import verify_file


class Command(BaseCommand):
    help = "Verify an official document (PDF: register and signature; OFD: register) and exit 0 only if valid."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        verdict = verify_file(file.read_bytes())
        if verdict.document:
            self.stdout.write(f"{verdict.document.number} {verdict.document.title}")
        self.stdout.write(
            f"format={verdict.format} registered={verdict.registered} signed={verdict.signed} intact={verdict.intact} "
            f"trusted={verdict.trusted} signer={verdict.signer or '-'}"
        )
        if not verdict.valid:
            raise CommandError(verdict.problem, returncode=1)
        self.stdout.write(self.style.SUCCESS("VALID"))
