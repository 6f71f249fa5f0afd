"""Files that survive a second machine: every stored file goes through Django's storage API, is served only while its
bytes are the registered ones (SHA-256), and `manage.py verify_storage` checks the whole store."""

from __future__ import annotations

import hashlib
import logging
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.verification import verify_pdf
from admission.models import AttachmentKind, AuditAction, AuditEvent, DocumentKind, OfficialDocument, RenderStatus
from admission.services.uploads import store_attachment
from tests import support
from workflows import actions


@pytest.fixture
def keys(settings, tmp_path, banner):
    keys = tmp_path / "keys"
    settings.ADMISSION_RENDER_ON_COMMIT = True  # the test settings leave documents pending
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    return keys


def consult(banner, django_capture_on_commit_callbacks) -> OfficialDocument:
    """A draft sent out for consultation: its consultation letter is numbered, rendered and signed on commit."""
    request = support.draft(banner, townships=("naji",))
    with django_capture_on_commit_callbacks(execute=True):
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    document = OfficialDocument.objects.get(request=request, kind=DocumentKind.CONSULTATION_LETTER)
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    return document


@pytest.fixture
def letter(keys, banner, django_capture_on_commit_callbacks) -> OfficialDocument:
    return consult(banner, django_capture_on_commit_callbacks)


def attach(banner, request, name="佐证材料.pdf", body=support.PDF_BYTES):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return store_attachment(
        duty_request=request,
        kind=AttachmentKind.SUPPORTING,
        actor=banner.users["forestry"],
        uploaded=SimpleUploadedFile(name, body, content_type="application/pdf"),
    )


def on_disk(settings, field_file):
    return settings.MEDIA_ROOT / field_file.name


def tamper(path, at=None):
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0x01
    path.write_bytes(bytes(data))
    return hashlib.sha256(bytes(data)).hexdigest()


def test_an_intact_document_is_served_byte_for_byte(letter, client, banner):
    client.force_login(banner.users["forestry"])
    response = client.get(reverse("admission:document_download", args=[letter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == letter.sha256 and int(response["Content-Length"]) == letter.size


def test_a_tampered_document_is_refused_with_a_chinese_page_and_the_refusal_is_logged_and_audited(
    letter, client, banner, settings, caplog
):
    path = on_disk(settings, letter.file)
    tampered_sha256 = tamper(path)  # one flipped bit, same size: only the hash can tell
    user = banner.users["naji"]
    client.force_login(user)

    with caplog.at_level(logging.ERROR, logger="admission.services.files"):
        response = client.get(reverse("admission:document_download", args=[letter.pk]))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "文件校验未通过，已拒绝提供" in page and letter.number in page and letter.sha256 in page
    assert b"%PDF" not in response.content
    event = AuditEvent.objects.get(action=AuditAction.REFUSE_STORED_FILE)
    assert (event.request, event.actor, event.jurisdiction_id) == (letter.request, user, letter.jurisdiction_id)
    assert event.data["document"] == letter.pk and event.data["problem"] == "hash"
    assert (event.data["registered_sha256"], event.data["actual_sha256"]) == (letter.sha256, tampered_sha256)
    assert letter.number in event.note and "SHA-256 与登记不符" in event.note
    assert any(letter.file.name in r.getMessage() and tampered_sha256 in r.getMessage() for r in caplog.records)


def test_a_deleted_document_is_refused_as_missing_not_a_bare_server_error(letter, client, banner, settings):
    on_disk(settings, letter.file).unlink()
    client.force_login(banner.users["forestry"])
    response = client.get(reverse("admission:document_download", args=[letter.pk]))
    assert response.status_code == 500 and "存储文件已缺失" in response.content.decode()
    assert AuditEvent.objects.get(action=AuditAction.REFUSE_STORED_FILE).data["problem"] == "missing"


def test_a_tampered_or_deleted_attachment_is_refused_and_an_intact_one_is_served(banner, client, settings):
    request = support.draft(banner)
    intact, altered, deleted = (attach(banner, request, name) for name in ("甲.pdf", "乙.pdf", "丙.pdf"))
    tamper(on_disk(settings, altered.file), at=10)
    on_disk(settings, deleted.file).unlink()
    client.force_login(banner.users["forestry"])

    def get(attachment):
        return client.get(reverse("admission:attachment_download", args=[attachment.pk]))

    served = get(intact)
    assert served.status_code == 200 and b"".join(served.streaming_content) == support.PDF_BYTES
    for attachment, problem, words in ((altered, "hash", "SHA-256 校验值不一致"), (deleted, "missing", "已缺失")):
        response = get(attachment)
        assert response.status_code == 500, attachment.original_name
        page = response.content.decode()
        assert words in page and attachment.original_name in page and b"%PDF" not in response.content
        event = AuditEvent.objects.filter(action=AuditAction.REFUSE_STORED_FILE).get(data__attachment=attachment.pk)
        assert (event.data["problem"], event.request, event.actor) == (problem, request, banner.users["forestry"])


def test_verify_storage_passes_an_intact_store_and_names_every_missing_truncated_or_altered_file(
    letter, banner, settings
):
    request = letter.request
    kept, truncated, altered, deleted = (attach(banner, request, f"{n}.pdf") for n in ("甲", "乙", "丙", "丁"))
    out = StringIO()
    call_command("verify_storage", "--progress-every=0", stdout=out, stderr=StringIO())
    # The letter's PDF and its OFD (issue 14), and the four attachments.
    assert "[6/6] 100%" in out.getvalue() and "all 6 stored files as registered" in out.getvalue()

    path = on_disk(settings, truncated.file)
    path.write_bytes(path.read_bytes()[:-3])
    tamper(on_disk(settings, altered.file))
    on_disk(settings, deleted.file).unlink()
    tamper(on_disk(settings, letter.file))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_storage", stdout=out, stderr=err)

    assert failed.value.returncode == 1 and "4 of 6 stored files" in str(failed.value)
    lines = err.getvalue().splitlines()
    assert len(lines) == 4
    assert any(line.startswith("SIZE") and truncated.file.name in line for line in lines)
    assert any(line.startswith("HASH") and altered.file.name in line for line in lines)
    assert any(line.startswith("MISSING") and deleted.file.name in line for line in lines)
    assert any(line.startswith("HASH") and letter.number in line for line in lines)
    assert kept.file.name not in err.getvalue()
    assert "[6/6] 100% 4 problem(s)" in out.getvalue()


def test_verify_storage_without_hashing_still_catches_missing_and_truncated_files(banner, settings):
    request = support.draft(banner)
    truncated, altered = attach(banner, request, "甲.pdf"), attach(banner, request, "乙.pdf")
    path = on_disk(settings, truncated.file)
    path.write_bytes(path.read_bytes()[:-1])
    tamper(on_disk(settings, altered.file))  # same size: only a full check sees it
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_storage", "--no-hash", stdout=StringIO(), stderr=err)
    assert truncated.file.name in err.getvalue() and altered.file.name not in err.getvalue()


def test_nothing_assumes_a_local_directory_the_whole_file_life_runs_on_another_storage_backend(
    keys, banner, settings, client, django_capture_on_commit_callbacks
):
    # A store that is not a directory (as an S3 bucket is not): uploads, rendering, serving, checking still work.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    letter = consult(banner, django_capture_on_commit_callbacks)
    upload = attach(banner, letter.request)
    assert default_storage.exists(letter.file.name) and default_storage.exists(upload.file.name)
    assert not settings.MEDIA_ROOT.exists()  # not a byte went to the local directory

    client.force_login(banner.users["forestry"])
    document = client.get(reverse("admission:document_download", args=[letter.pk]))
    body = b"".join(document.streaming_content)
    assert document.status_code == 200 and verify_pdf(body).valid
    attachment = client.get(reverse("admission:attachment_download", args=[upload.pk]))
    assert b"".join(attachment.streaming_content) == support.PDF_BYTES
    out = StringIO()
    call_command("verify_storage", stdout=out)
    assert "all 3 stored files as registered" in out.getvalue()  # the document's PDF and OFD, the attachment

    default_storage.delete(upload.file.name)
    default_storage.save(upload.file.name, StringIO("not the uploaded file"))
    assert client.get(reverse("admission:attachment_download", args=[upload.pk])).status_code == 500
