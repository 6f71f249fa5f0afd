"""Check a PDF offline: exit 0 only for an intact, trusted, registered document."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.documents.verification import verify_pdf


class Command(BaseCommand):
    help = "Verify an official document PDF against the register and its signature; exit 0 only if valid."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        verdict = verify_pdf(file.read_bytes())
        if verdict.document:
            self.stdout.write(f"{verdict.document.number} {verdict.document.title}")
        self.stdout.write(
            f"registered={verdict.registered} signed={verdict.signed} intact={verdict.intact} "
            f"trusted={verdict.trusted} signer={verdict.signer or '-'}"
        )
        if not verdict.valid:
            raise CommandError(verdict.problem, returncode=1)
        self.stdout.write(self.style.SUCCESS("VALID"))
