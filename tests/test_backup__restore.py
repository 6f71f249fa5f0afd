"""Backup and restore: the database, the file store and the signing keys, with a manifest of hashes. A backup restored
on a fresh machine (an empty database, an empty store) gives back every audit event and every document, still
verifying; a tampered backup, a non-empty database and overwrites are refused before anything is touched.

Backups read committed data (pg_dump is another process), so these tests commit: django_db(transaction=True).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from admission.backup import database_digests, hash_file
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.models import Attachment, AuditEvent, OfficialDocument, RenderStatus
from tests import support
from workflows import actions
from workflows.driver import CaseDriver

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keys(settings, tmp_path, banner):
    keys = tmp_path / "keys"
    settings.ADMISSION_RENDER_ON_COMMIT = True  # rendered and signed right after each deciding commit
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    return keys


@pytest.fixture
def cases(keys, banner):
    """Three cases through the real services: one admitted by the banner (consultation letters, the review opinion,
    the admission decision), one under review, one returned for supplement; uploads on each."""
    temporary = support.temporary_values()
    admitted = support.to_under_review(
        banner, **{k: temporary[k] for k in ("duty_name", "track", "end_date", "completion_time_limit")}
    )
    support.bureau_opinions(banner, admitted)
    support.conclude(banner, admitted)
    support.banner_decides(banner, admitted)
    under_review = support.to_under_review(banner, townships=("yadong",), duty_name="农村人居环境整治巡查")
    returned = support.draft(banner, townships=("liuhe",), duty_name="耕地保护动态巡查")
    returned = actions.consult_townships(duty_request=returned, actor=banner.users["forestry"])
    support.consult_all(banner, returned)
    support.submit(banner, returned)
    CaseDriver(returned).return_for_supplement(banner.users["office"], items=["补充乡镇人员配备方案。"])
    documents = OfficialDocument.objects.all()
    assert documents.count() >= 5 and all(d.render_status == RenderStatus.RENDERED for d in documents), [
        (d.number, d.render_status, d.render_error) for d in documents
    ]
    assert Attachment.objects.count() >= 3
    return [admitted, under_review, returned]


def manifest_of(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def backup(tmp_path, *args) -> Path:
    out = StringIO()
    call_command("backup", f"--output={tmp_path / 'backups'}", *args, stdout=out)
    assert "backup complete" in out.getvalue()
    line = next(x for x in out.getvalue().splitlines() if x.startswith("backup: "))
    return Path(line.removeprefix("backup: ").split(" (")[0])


def restore(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("restore", *map(str, args), stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def audit_rows() -> list:
    return [
        [e.pk, e.action, e.request_id, e.actor_id, e.note, e.data, e.created_at.isoformat()]
        for e in AuditEvent.objects.order_by("pk")
    ]


# --- what a backup holds -------------------------------------------------------------------------------------------


def test_a_backup_holds_the_database_every_stored_file_and_the_keys_each_with_its_sha256(cases, tmp_path, keys):
    path = backup(tmp_path)
    manifest = manifest_of(path)

    listed = manifest["files"]
    on_disk = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    assert all(hash_file(path / name) == entry for name, entry in listed.items())
    database_file = manifest["database"]["file"]
    assert database_file == {"postgresql": "database.dump", "sqlite": "database.sqlite3"}[connection.vendor]
    stored = {f"files/{d.file.name}" for d in OfficialDocument.objects.all()} | {
        f"files/{a.file.name}" for a in Attachment.objects.all()
    }
    assert stored <= set(listed)
    assert all(listed[f"files/{d.file.name}"]["sha256"] == d.sha256 for d in OfficialDocument.objects.all())
    assert {f"keys/{p.name}" for p in keys.iterdir()} == {n for n in listed if n.startswith("keys/")}
    assert manifest["app"]["version"] and "0011_refuse_stored_file_audit_action" in manifest["migrations"]["admission"]
    assert manifest["contents"] == database_digests()
    assert manifest["contents"]["audit_events"]["count"] == AuditEvent.objects.count() > 20
    assert manifest["problems"] == []
    assert oct(path.stat().st_mode & 0o777) == "0o700"  # keys inside


def test_an_archive_is_one_tar_with_a_sha256sum_line_beside_it_and_keep_prunes_old_backups(cases, tmp_path):
    first = backup(tmp_path, "--archive")
    assert first.name.endswith(".tar") and tarfile.is_tarfile(first)
    sums = Path(f"{first}.sha256").read_text()
    assert sums == f"{hash_file(first)['sha256']}  {first.name}\n"
    (tmp_path / "backups" / "admission-backup-20200101T000000.tar").write_bytes(b"an old one")
    (tmp_path / "backups" / "admission-backup-20200101T000000.tar.sha256").write_text("x")
    (tmp_path / "backups" / "notes.txt").write_text("not a backup: never removed")
    out = StringIO()
    call_command("backup", f"--output={tmp_path / 'backups'}", "--archive", "--keep=2", stdout=out)
    names = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert "admission-backup-20200101T000000.tar" not in names and "notes.txt" in names
    assert first.name in names and len([n for n in names if n.endswith(".tar")]) <= 2


# --- restore refuses before touching anything ----------------------------------------------------------------------


def test_restore_refuses_a_backup_whose_file_was_altered_added_or_removed_and_touches_nothing(cases, tmp_path):
    path = backup(tmp_path)
    document = OfficialDocument.objects.first()
    before = hash_file(Path(django_settings.MEDIA_ROOT) / document.file.name)

    stored = path / "files" / document.file.name
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(CommandError) as refused:
        restore(path)
    assert f"files/{document.file.name}: SHA-256" in str(refused.value) and "nothing was restored" in str(refused.value)
    assert refused.value.returncode == 2

    stored.write_bytes(bytes(data[:-1]))
    (path / "keys" / "org-999.p12").write_bytes(b"a key someone slipped in")
    (path / "database.sqlite3").unlink(missing_ok=True)
    (path / "database.dump").unlink(missing_ok=True)
    out = StringIO()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("restore", "--verify-only", str(path), stdout=out, stderr=err)
    problems = err.getvalue()
    assert f"files/{document.file.name}: size" in problems
    assert "keys/org-999.p12: not in the manifest" in problems
    assert ": missing" in problems
    # Nothing in this installation changed.
    assert hash_file(Path(django_settings.MEDIA_ROOT) / document.file.name) == before


def test_restore_refuses_an_altered_manifest_when_given_the_hash_the_backup_printed(cases, tmp_path):
    out = StringIO()
    call_command("backup", f"--output={tmp_path / 'backups'}", stdout=out)
    printed = next(x for x in out.getvalue().splitlines() if x.startswith("manifest SHA-256: ")).split()[-1]
    path = next((tmp_path / "backups").iterdir())
    assert f"manifest SHA-256 {printed}" in restore("--verify-only", f"--manifest-sha256={printed}", path)

    # Someone alters a stored file and, to cover it, the manifest's entry for it.
    document = OfficialDocument.objects.first()
    stored = path / "files" / document.file.name
    stored.write_bytes(stored.read_bytes() + b"%% appended")
    manifest = manifest_of(path)
    manifest["files"][f"files/{document.file.name}"] = hash_file(stored)
    (path / "manifest.json").write_text(json.dumps(manifest))
    assert "backup intact" in restore("--verify-only", path)  # consistent by itself…
    with pytest.raises(CommandError) as refused:  # …but not the manifest that was written
        restore("--verify-only", f"--manifest-sha256={printed}", path)
    assert "not the one expected" in str(refused.value)


def test_restore_refuses_an_archive_with_a_flipped_byte(cases, tmp_path):
    archive = backup(tmp_path, "--archive")
    document = OfficialDocument.objects.first()
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(document.file.name))
        offset = member.offset_data + member.size // 2
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError) as refused:
        restore(archive)
    assert f"files/{document.file.name}: SHA-256" in str(refused.value)


def test_restore_refuses_a_database_that_is_not_empty(cases, tmp_path):
    path = backup(tmp_path)
    shutil.rmtree(django_settings.MEDIA_ROOT)  # even with the store gone, the database decides
    with pytest.raises(CommandError) as refused:
        restore(path)
    assert "is not empty" in str(refused.value) and "--force" in str(refused.value)
    assert not Path(django_settings.MEDIA_ROOT).exists()


# --- the round trip: a fresh machine -------------------------------------------------------------------------------

CHECK_RESTORED = """
import json
from admission.documents.verification import verify_pdf
from admission.models import AuditEvent, OfficialDocument
documents = {}
for d in OfficialDocument.objects.order_by("pk"):
    v = verify_pdf(d.file.read())
    documents[d.number] = {"valid": v.valid, "registered": v.registered, "intact": v.intact, "trusted": v.trusted,
                           "problem": v.problem, "sha256": d.sha256}
events = [[e.pk, e.action, e.request_id, e.actor_id, e.note, e.data, e.created_at.isoformat()]
          for e in AuditEvent.objects.order_by("pk")]
print(json.dumps({"documents": documents, "events": events}, ensure_ascii=False))
"""


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def machine_env(database_url: str, var_dir: Path) -> dict:
    """Another machine: its own database, its own var directory (store and keys), production settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADMISSION_", "DJANGO_", "DATABASE_URL"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "restore-drill",
        "DATABASE_URL": database_url,
        "ADMISSION_VAR_DIR": str(var_dir),
        "ADMISSION_PUBLIC_URL": "https://admission.example.gov.cn",
        "ALLOWED_HOSTS": "admission.example.gov.cn",
    }


def restore_on_a_fresh_machine(cases, tmp_path, keys, database_url: str):
    original_documents = {d.number: d.sha256 for d in OfficialDocument.objects.all()}
    original_events = audit_rows()
    archive = backup(tmp_path, "--archive")
    # The old machine is gone: its store and its keys with it.
    shutil.rmtree(django_settings.MEDIA_ROOT)
    shutil.rmtree(keys)
    env = machine_env(database_url, tmp_path / "new-machine")

    restored = manage("restore", str(archive), env=env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"audit_events: {len(original_events)} " in restored.stdout
    assert "every stored file as registered" in restored.stdout

    checked = manage("verify_storage", env=env)
    assert checked.returncode == 0 and "as registered" in checked.stdout, checked.stdout + checked.stderr

    report = manage("shell", "-c", CHECK_RESTORED, env=env)
    assert report.returncode == 0, report.stderr
    found = json.loads(report.stdout.strip().splitlines()[-1])
    assert {n: d["sha256"] for n, d in found["documents"].items()} == original_documents
    not_verifying = {n: d for n, d in found["documents"].items() if not d["valid"]}
    assert not_verifying == {}
    assert len(found["events"]) == len(original_events)
    assert found["events"] == json.loads(json.dumps(original_events, ensure_ascii=False))

    again = manage("restore", str(archive), env=env)
    assert again.returncode == 2 and "is not empty" in again.stderr
    forced = manage("restore", "--force", str(archive), env=env)
    assert forced.returncode == 0, forced.stdout + forced.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite round trip; PostgreSQL has its own test")
def test_a_sqlite_backup_restored_on_a_fresh_machine_gives_back_every_audit_event_and_verifying_document(
    cases, tmp_path, keys
):
    restore_on_a_fresh_machine(cases, tmp_path, keys, f"sqlite:///{tmp_path / 'new-machine' / 'db.sqlite3'}")


@pytest.fixture
def empty_postgres_database():
    import psycopg

    params = connection.settings_dict
    conninfo = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"] or "postgres",
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
    }
    name = f"admission_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgres://{conninfo['user']}{password}@{conninfo['host']}:{conninfo['port']}/{name}"
    with psycopg.connect(**conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore into a fresh PostgreSQL database needs PostgreSQL (set DATABASE_URL)",
)
def test_a_postgresql_backup_restored_into_an_empty_database_gives_back_every_audit_event_and_verifying_document(
    cases, tmp_path, keys, empty_postgres_database
):
    restore_on_a_fresh_machine(cases, tmp_path, keys, empty_postgres_database)
