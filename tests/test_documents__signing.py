"""Signed documents: intact and trusted under the demo root, alteration caught offline and on the public page,
permission-checked download, and rendering as an idempotent job that survives failures without losing anything."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from io import StringIO

import pdfplumber
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from admission.documents import pki
from admission.documents.numbering import format_number
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.render import verify_url
from admission.documents.signing import get_signer, key_path
from admission.documents.verification import verify_pdf
from admission.models import (
    ApprovalDecision,
    AuditAction,
    DocumentCounter,
    DocumentKind,
    OfficialDocument,
    RenderStatus,
    RequestState,
)
from admission.services import rendering
from tests import support
from workflows import actions


@pytest.fixture
def keys(settings, tmp_path, banner):
    """Demo PKI for every issuing body; documents render inline right after the issuing transaction commits."""
    keys = tmp_path / "keys"
    settings.ADMISSION_RENDER_ON_COMMIT = True
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    return keys


@pytest.fixture
def letter(keys, banner, django_capture_on_commit_callbacks) -> OfficialDocument:
    """One consultation letter of 阿荣旗林业和草原局 to 那吉镇, rendered inline on commit."""
    request = support.draft(banner, townships=("naji",))
    with django_capture_on_commit_callbacks(execute=True):
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    document = OfficialDocument.objects.get(request=request, kind=DocumentKind.CONSULTATION_LETTER)
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    return document


def test_create_demo_pki_issues_a_key_for_every_body_even_with_a_long_official_name(settings, tmp_path, other_banner):
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    call_command("create_demo_pki", stdout=StringIO())
    assert all(key_path(org).exists() for org in issuing_organizations())


def altered(data: bytes, at: int | None = None) -> bytes:
    changed = bytearray(data)
    changed[len(data) // 2 if at is None else at] ^= 0x01
    return bytes(changed)


def test_a_rendered_document_is_signed_intact_and_trusted_under_the_demo_root(letter):
    data = letter.file.read()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == letter.sha256 and len(data) == letter.size

    verdict = verify_pdf(data)
    assert verdict.document == letter
    assert verdict.registered and verdict.signed and verdict.intact and verdict.trusted
    assert verdict.valid and verdict.problem == ""
    assert letter.issuer.official_name in verdict.signer
    assert verdict.signer == letter.signer_subject


def test_the_same_signature_is_not_trusted_without_the_demo_root(letter, settings):
    settings.ADMISSION_TRUST_ROOTS = []
    verdict = verify_pdf(letter.file.read())
    assert verdict.registered and verdict.intact
    assert not verdict.trusted and not verdict.valid
    assert verdict.problem == "签章证书不受信任。"


def test_one_flipped_byte_is_reported_as_an_alteration(letter):
    data = letter.file.read()
    for at in (len(data) // 2, len(data) // 3, 2 * len(data) // 3):
        verdict = verify_pdf(altered(data, at))
        assert not verdict.registered, at
        assert not verdict.valid, at
        assert not verdict.intact or "改动" in verdict.problem, (at, verdict)

    middle = verify_pdf(altered(data))
    assert not middle.intact
    # The altered file still names the document it claims to be (its keywords carry the verification code).
    assert middle.document == letter
    assert middle.problem == f"文件内容与登记的公文（{letter.number}）不一致，可能已被改动。"


def test_verify_document_command_passes_the_real_file_and_fails_the_altered_one(letter, tmp_path):
    data = letter.file.read()
    real, changed = tmp_path / "real.pdf", tmp_path / "changed.pdf"
    real.write_bytes(data)
    changed.write_bytes(altered(data))

    out = StringIO()
    call_command("verify_document", str(real), stdout=out)
    assert letter.number in out.getvalue()
    assert "registered=True signed=True intact=True trusted=True" in out.getvalue()
    assert out.getvalue().rstrip().endswith("VALID")

    with pytest.raises(CommandError) as failure:
        call_command("verify_document", str(changed), stdout=StringIO())
    assert failure.value.returncode == 1  # manage.py exits with this status
    assert "改动" in str(failure.value)

    with pytest.raises(CommandError):
        call_command("verify_document", str(tmp_path / "missing.pdf"), stdout=StringIO())


def test_public_verification_page_needs_no_login_and_shows_the_register_entry(letter, client):
    url = reverse("verify_document", args=[letter.verification_code])
    assert verify_url(letter).endswith(url)  # where the QR code points
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for shown in (letter.number, letter.title, letter.issuer.official_name, letter.sha256, letter.content["date"]):
        assert shown in html, shown
    assert "有效" in html
    assert client.get(reverse("verify_document", args=["ZZZZZZZZZZ"])).status_code == 404


def test_public_upload_says_passed_for_the_real_pdf_and_failed_for_the_altered_one(letter, client):
    data = letter.file.read()
    url = reverse("verify_document", args=[letter.verification_code])

    good = client.post(url, {"file": SimpleUploadedFile("公文.pdf", data, content_type="application/pdf")})
    assert good.status_code == 200
    assert "查验通过" in good.content.decode() and "查验未通过" not in good.content.decode()

    bad = client.post(
        reverse("verify_upload"),
        {"file": SimpleUploadedFile("公文.pdf", altered(data), content_type="application/pdf")},
    )
    assert bad.status_code == 200
    assert "查验未通过" in bad.content.decode() and "查验通过" not in bad.content.decode()
    assert "可能已被改动" in bad.content.decode()


def test_documents_signed_under_the_demo_root_carry_the_visible_demo_mark(letter):
    assert get_signer().is_demo(letter.issuer) is True
    with pdfplumber.open(io.BytesIO(letter.file.read())) as pdf:
        for page in pdf.pages:
            assert set("演示文件") <= set(page.extract_text()), page.page_number
            watermark = sorted((c for c in page.chars if c["size"] > 40), key=lambda c: c["x0"])
            assert "".join(c["text"] for c in watermark) == "演示文件", page.page_number


def test_documents_signed_under_another_root_carry_no_demo_mark(
    settings, tmp_path, banner, monkeypatch, django_capture_on_commit_callbacks
):
    production = tmp_path / "production-keys"
    monkeypatch.setattr(pki, "DEMO_ROOT_NAME", "呼伦贝尔市电子政务根证书")  # a root that is not the demo root
    settings.ADMISSION_RENDER_ON_COMMIT = True
    settings.ADMISSION_SIGNING_KEYS_DIR = production
    settings.ADMISSION_TRUST_ROOTS = [str(production / pki.ROOT_FILE)]
    issue_demo_certificates(keys_dir=production, organizations=issuing_organizations(), passphrase="")

    request = support.draft(banner, townships=("naji",))
    with django_capture_on_commit_callbacks(execute=True):
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    document = OfficialDocument.objects.get(request=request)
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    data = document.file.read()
    assert get_signer().is_demo(document.issuer) is False
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert not any(c["size"] > 40 for page in pdf.pages for c in page.chars)
        assert not any(set("演示文件") <= set(page.extract_text()) for page in pdf.pages)
    assert verify_pdf(data).valid


def test_download_is_permission_checked(letter, client, banner, other_banner):
    url = reverse("admission:document_download", args=[letter.pk])
    for user, status in (
        (banner.users["forestry"], 200),  # the department that issued it
        (banner.users["naji"], 200),  # the township it is addressed to
        (banner.users["office"], 200),  # the joint meeting's lead unit
        (other_banner.users["forestry"], 404),  # a department of another banner
        (other_banner.users["office"], 404),
        (banner.users["yadong"], 404),  # a township the case does not name
        (banner.users["liuhe"], 404),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, (user.username, response.status_code)
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content) == letter.file.open("rb").read()
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: to the login page


def test_download_of_a_document_not_yet_rendered_is_404(keys, banner, client):
    request = support.draft(banner, townships=("naji",))
    actions.consult_townships(duty_request=request, actor=banner.users["forestry"])  # never commits: stays pending
    document = OfficialDocument.objects.get(request=request)
    assert document.render_status == RenderStatus.PENDING
    client.force_login(banner.users["forestry"])
    assert client.get(reverse("admission:document_download", args=[document.pk])).status_code == 404


def test_rendering_is_idempotent(letter, settings):
    first = letter.file.read()
    name, sha, rendered_at = letter.file.name, letter.sha256, letter.rendered_at

    rendering.render_document(letter.pk)
    rendering.render_document(letter.pk)

    letter.refresh_from_db()
    assert (letter.file.name, letter.sha256, letter.rendered_at) == (name, sha, rendered_at)
    assert letter.render_attempts == 1
    assert letter.file.open("rb").read() == first
    stored = [p for p in (settings.MEDIA_ROOT / "documents").rglob("*") if p.is_file()]
    # Stored once, as PDF and as OFD (issue 14).
    assert sorted(p.name for p in stored) == [f"{letter.verification_code}.ofd", f"{letter.verification_code}.pdf"]
    events = letter.request.audit_events.filter(action=AuditAction.RENDER_DOCUMENT)
    assert events.count() == 1


def test_the_documents_sha256_is_in_an_audit_event(letter):
    digest = hashlib.sha256(letter.file.read()).hexdigest()
    event = letter.request.audit_events.get(action=AuditAction.RENDER_DOCUMENT)
    assert event.data["sha256"] == digest == letter.sha256
    assert event.data["document"] == letter.pk
    assert digest in event.note and letter.number in event.note
    issued = letter.request.audit_events.get(action=AuditAction.ISSUE_DOCUMENT)
    assert issued.data["number"] == letter.number


def test_a_failed_render_keeps_decision_and_number_and_a_later_pass_renders_it(
    keys, banner, django_capture_on_commit_callbacks
):
    request = support.to_under_review(banner, townships=("naji",))  # its documents stay pending (never committed)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    leadership = banner.org("leadership")
    key = key_path(leadership)
    aside = key.with_suffix(".away")
    key.rename(aside)  # the leadership's signing key is missing

    with django_capture_on_commit_callbacks(execute=True):
        support.banner_decides(banner, request, approves=False)

    request.refresh_from_db()
    assert request.state == RequestState.REFUSED
    decision = ApprovalDecision.objects.get(request=request)
    assert not decision.approves
    document = OfficialDocument.objects.get(request=request, kind=DocumentKind.REFUSAL_NOTICE)
    year = timezone.localtime(document.issued_at).year
    assert document.number == format_number(issuer=leadership, kind=DocumentKind.REFUSAL_NOTICE, year=year, serial=1)
    assert document.render_status == RenderStatus.FAILED
    assert document.render_attempts == 1
    assert document.render_error.startswith("MissingSigningKey")
    assert not document.file and document.sha256 == ""
    assert document.next_attempt_at > timezone.now()
    assert request.audit_events.filter(action=AuditAction.ISSUE_DOCUMENT, data__number=document.number).exists()

    # Before its back-off has passed the worker leaves it alone (and renders what else is pending).
    rendering.render_due()
    document.refresh_from_db()
    assert document.render_status == RenderStatus.FAILED and document.render_attempts == 1

    aside.rename(key)  # fixed
    OfficialDocument.objects.filter(pk=document.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert rendering.render_due() == 1

    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED
    assert document.render_attempts == 2 and document.render_error == ""
    assert document.number == format_number(issuer=leadership, kind=DocumentKind.REFUSAL_NOTICE, year=year, serial=1)
    assert DocumentCounter.objects.get(issuer=leadership, kind=DocumentKind.REFUSAL_NOTICE, year=year).last_serial == 1
    assert verify_pdf(document.file.read()).valid
    assert ApprovalDecision.objects.get(request=request) == decision


class ExplodingSigner:
    """A signer whose token is unplugged."""

    def is_demo(self, issuer):
        return True

    def sign(self, pdf, *, issuer):
        raise RuntimeError("签章设备未连接")


def test_a_signer_that_raises_leaves_the_document_failed_with_its_error(
    keys, banner, settings, django_capture_on_commit_callbacks
):
    settings.ADMISSION_SIGNER = f"{__name__}.ExplodingSigner"
    request = support.draft(banner, townships=("naji",))
    with django_capture_on_commit_callbacks(execute=True):
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    request.refresh_from_db()
    assert request.state == RequestState.CONSULTING
    document = OfficialDocument.objects.get(request=request)
    assert document.render_status == RenderStatus.FAILED and document.render_attempts == 1
    assert document.render_error == "RuntimeError: 签章设备未连接"
    assert document.serial == 1 and not document.file
    assert not request.audit_events.filter(action=AuditAction.RENDER_DOCUMENT).exists()
