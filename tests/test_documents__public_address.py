"""issue 11 part 2: documents carry the public address of the day they were issued. A signed PDF is never rendered
again, so changing ADMISSION_PUBLIC_URL later changes only documents issued after it; the old ones keep theirs and
still verify (their /verify/<code>/ path is the same under any address)."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from django.urls import reverse

from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.verification import verify_pdf
from admission.models import DocumentKind, OfficialDocument, RenderStatus
from admission.services import rendering
from tests import support
from workflows import actions


def _text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "".join("".join(page.extract_text().split()) for page in pdf.pages)


@pytest.fixture
def inline_documents(settings, tmp_path, banner):
    keys = tmp_path / "keys"
    settings.ADMISSION_RENDER_ON_COMMIT = True
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")


def _consultation_letter(banner, township, django_capture_on_commit_callbacks) -> OfficialDocument:
    request = support.draft(banner, townships=(township,))
    with django_capture_on_commit_callbacks(execute=True):
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    document = OfficialDocument.objects.get(request=request, kind=DocumentKind.CONSULTATION_LETTER)
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    return document


def test_a_document_keeps_the_address_it_was_issued_with_when_the_public_address_changes(
    settings, banner, inline_documents, django_capture_on_commit_callbacks
):
    settings.ADMISSION_PUBLIC_URL = "https://old.admission.example.gov.cn"
    old = _consultation_letter(banner, "naji", django_capture_on_commit_callbacks)
    old_bytes = old.file.read()
    path = reverse("verify_document", args=[old.verification_code])
    assert f"https://old.admission.example.gov.cn{path}" in _text(old_bytes)

    settings.ADMISSION_PUBLIC_URL = "https://admission.example.gov.cn"
    rendering.render_due(limit=100)
    new = _consultation_letter(banner, "liuhe", django_capture_on_commit_callbacks)
    assert "https://admission.example.gov.cn/verify/" in _text(new.file.read())

    old.refresh_from_db()
    assert old.file.read() == old_bytes, "an issued document is never rendered again"
    assert verify_pdf(old_bytes).valid
