"""manage.py restore BACKUP [--force]: verify the backup against its manifest, then restore the database (into an
empty one), the file store and the signing keys (admission/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.backup import BackupError, open_backup, restore_backup, verify_backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database, the file store and the keys directory."
    requires_system_checks = []  # the database is empty until this has run

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="a backup directory or .tar archive")
        parser.add_argument(
            "--force", action="store_true", help="replace a non-empty database and overwrite files and keys that differ"
        )
        parser.add_argument(
            "--verify-only", action="store_true", help="check the backup against its manifest, restore nothing"
        )
        parser.add_argument(
            "--manifest-sha256",
            default="",
            help="refuse unless the manifest's SHA-256 is this one (printed by the backup)",
        )
        parser.add_argument("--workdir", type=Path, default=None, help="where to unpack an archive (default: /tmp)")

    def handle(self, *args, backup: Path, force: bool, verify_only: bool, manifest_sha256: str, workdir, **options):
        try:
            opened = open_backup(backup, workdir=workdir)
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from error
        try:
            manifest = opened.manifest
            app = manifest.get("app") or {}
            made_by = f"{app.get('name')} {app.get('version')}" + (
                f" ({app['commit'][:12]})" if app.get("commit") else ""
            )
            self.stdout.write(
                f"backup of {manifest.get('created_at')} by {made_by}, "
                f"{len(manifest.get('files', {}))} files, manifest SHA-256 {opened.manifest_sha256}"
            )
            if manifest_sha256 and manifest_sha256.lower() != opened.manifest_sha256:
                raise CommandError(
                    "the manifest is not the one expected (--manifest-sha256): refusing this backup", returncode=2
                )
            for problem in manifest.get("problems", []):
                self.stderr.write(f"noted when backed up: {problem}")
            if verify_only:
                problems = verify_backup(opened)
                for problem in problems:
                    self.stderr.write(f"PROBLEM {problem}")
                if problems:
                    raise CommandError(
                        f"the backup does not match its manifest ({len(problems)} problems)", returncode=2
                    )
                self.stdout.write(self.style.SUCCESS("backup intact: every file matches the manifest"))
                return
            try:
                result = restore_backup(opened, force=force, say=self.stdout.write)
            except BackupError as error:
                raise CommandError(str(error), returncode=2) from error
        finally:
            opened.close()
        for key, value in result.contents.items():
            self.stdout.write(f"{key}: {value['count']} (SHA-256 {value['sha256'][:16]}…) as in the manifest")
        for finding in result.findings:
            self.stderr.write(f"PROBLEM {finding}")
        if result.unapplied_migrations:
            self.stdout.write(
                f"this version has {len(result.unapplied_migrations)} migrations the backup did not: "
                "run `manage.py migrate` next"
            )
        if result.findings:
            raise CommandError(f"restored, but {len(result.findings)} stored files are not as registered", returncode=1)
        self.stdout.write(self.style.SUCCESS("restore complete: every stored file as registered"))
