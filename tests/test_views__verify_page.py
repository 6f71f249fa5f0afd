"""/verify/ (issue 13 part 8): pass and fail told apart by colour, icon and words, the signer in Chinese, and a
mistyped code answered on the verification page itself."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.test_documents__signing import altered, keys, letter  # noqa: F401  (fixtures)
from web.templatetags.signers import signer_in_words


def upload(client, data: bytes) -> str:
    file = SimpleUploadedFile("公文.pdf", data, content_type="application/pdf")
    response = client.post(reverse("verify_upload"), {"file": file})
    assert response.status_code == 200
    return response.content.decode()


def test_a_passing_and_a_failing_document_look_different_and_the_signer_is_named_in_chinese(letter, client):  # noqa: F811
    data = letter.file.read()
    passed = upload(client, data)
    assert 'class="card verdict ok"' in passed and "✓" in passed and "查验通过" in passed
    assert letter.issuer.official_name in passed
    assert "Common Name" not in passed and "Country" not in passed and "国家或地区：CN" in passed
    failed = upload(client, altered(data))
    assert 'class="card verdict bad"' in failed and "✗" in failed and "查验未通过" in failed
    assert 'class="check no"' in failed


def test_a_mistyped_code_is_answered_on_the_verification_page_with_the_upload_at_hand(client, db):
    response = client.get(reverse("verify_document", args=["ZZ<b>ZZ"]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "查验码“ZZ&lt;b&gt;ZZ”没有对应的公文" in body
    assert 'type="file"' in body and "公文查验" in body


def test_a_certificate_subject_reads_as_a_name_with_its_details():
    subject = "Common Name: 阿荣旗林业和草原局, Organization: 阿荣旗人民政府, Country: CN"
    assert signer_in_words(subject) == "阿荣旗林业和草原局（单位：阿荣旗人民政府；国家或地区：CN）"
    assert signer_in_words("Common Name: 阿荣旗人民政府") == "阿荣旗人民政府"
    assert signer_in_words("whatever the library said") == "whatever the library said"
