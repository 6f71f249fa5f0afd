"""manage.py backup --output DIR [--archive] [--keep N]: the database, the file store and the signing keys, with a
manifest of SHA-256s (admission/backup.py). Exit 0 for a clean backup, 1 when it was written but found problems
(a stored file missing or not as registered), 2 when no backup was written."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database, the file store and the signing keys into one directory or tar archive."
    requires_system_checks = []  # a backup must run even while a configuration check fails

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="directory that receives the backup")
        parser.add_argument("--archive", action="store_true", help="write one .tar (and its .sha256) instead")
        parser.add_argument(
            "--keep", type=int, default=None, metavar="N", help="then remove all but the newest N backups in --output"
        )

    def handle(self, *args, output: Path, archive: bool, keep: int | None, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1", returncode=2)
        try:
            result = create_backup(destination=output, archive=archive, keep=keep, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(f"no backup written: {error}", returncode=2) from error
        for path in result.removed:
            self.stdout.write(f"removed old backup {path.name}")
        self.stdout.write(f"backup: {result.path} ({result.files} files)")
        self.stdout.write(f"manifest SHA-256: {result.manifest_sha256}")
        if result.problems:
            for problem in result.problems:
                self.stderr.write(f"PROBLEM {problem}")
            raise CommandError(f"backup written with {len(result.problems)} problem(s); see above", returncode=1)
        self.stdout.write(self.style.SUCCESS("backup complete"))
