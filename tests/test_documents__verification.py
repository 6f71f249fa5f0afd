"""Issued documents: numbered in order, rendered and signed after commit, verifiable, alteration caught."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from admission.documents import jobs
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.verification import verify_pdf
from admission.models import AuditAction, DocumentKind, OfficialDocument, RenderStatus
from tests import support


@pytest.fixture
def signed(settings, tmp_path, banner):
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.ADMISSION_TRUST_ROOTS = [str(tmp_path / "keys" / "demo-root.pem")]
    issue_demo_certificates(keys_dir=tmp_path / "keys", organizations=issuing_organizations(), passphrase="")
    return banner


def walked(banner):
    """To review; the test transaction never commits, so the worker's pass renders what was issued."""
    request = support.to_under_review(banner)
    jobs.render_due()
    return request


def test_consultation_letters_are_numbered_per_issuer_and_year_from_one(signed):
    request = walked(signed)
    letters = OfficialDocument.objects.filter(request=request, kind=DocumentKind.CONSULTATION_LETTER).order_by("serial")
    assert [d.serial for d in letters] == [1, 2]
    assert letters[0].number.endswith("函〔%d〕1号" % letters[0].year)
    assert all(d.render_status == RenderStatus.RENDERED for d in letters)


def test_a_rendered_document_verifies_and_one_changed_byte_is_caught(signed, tmp_path, client):
    request = walked(signed)
    document = OfficialDocument.objects.filter(request=request).first()
    data = document.file.read()
    verdict = verify_pdf(data)
    assert verdict.valid and verdict.intact and verdict.trusted and verdict.document == document
    assert request.audit_events.filter(action=AuditAction.RENDER_DOCUMENT, note__contains=document.sha256).exists()

    altered = bytearray(data)
    altered[len(altered) // 3] ^= 0x01
    bad = verify_pdf(bytes(altered))
    assert not bad.valid and not bad.registered
    good_file, bad_file = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good_file.write_bytes(data)
    bad_file.write_bytes(bytes(altered))
    call_command("verify_document", str(good_file))
    with pytest.raises(CommandError):
        call_command("verify_document", str(bad_file))

    # The public page needs no login.
    page = client.get(reverse("verify_document", args=[document.verification_code]))
    assert page.status_code == 200 and document.number in page.content.decode()
    good_file_handle = good_file.open("rb")
    assert "查验通过" in client.post(reverse("verify_upload"), {"file": good_file_handle}).content.decode()


def test_rendering_twice_changes_nothing(signed):
    request = walked(signed)
    document = OfficialDocument.objects.filter(request=request).first()
    sha = document.sha256
    jobs.render_document(document.pk)
    document.refresh_from_db()
    assert document.sha256 == sha
    assert request.audit_events.filter(action=AuditAction.RENDER_DOCUMENT).count() == 2  # two letters, once each


def test_a_failed_render_keeps_the_decision_and_number_and_is_retried(signed, settings, tmp_path):
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "no-keys"
    request = walked(signed)
    document = OfficialDocument.objects.filter(request=request).order_by("serial").first()
    assert document.render_status == RenderStatus.FAILED and document.render_attempts == 1
    assert document.serial == 1 and request.state == "under_review"
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    OfficialDocument.objects.filter(pk=document.pk).update(next_attempt_at=document.issued_at)
    assert jobs.render_due() >= 1
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED and document.number.endswith("1号")
