"""Uploaded files (admission/services/uploads.py): judged by content, size-limited, stored under MEDIA_ROOT with a
generated name, and a refused file rolls back the step it came with.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from admission.models import Attachment, AttachmentKind, AuditAction, AuditEvent, RequestState
from admission.services import requests as request_services
from admission.services.uploads import check_upload
from tests import files, support
from tests.support import consulted_case, do, open_task, pdf, snapshot, submit

# --- helpers ----------------------------------------------------------------------------------------


MB = 1024 * 1024


def _ofd_bytes(*, with_root: bool = True) -> bytes:
    return files.ofd(without=() if with_root else ("OFD.xml",))


# --- uploads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("申请.pdf", files.pdf(), "application/pdf"),
        ("扫描.pdf", files.pdf_with_sloppy_xref(), "application/pdf"),  # a reader copes with it, so do we
        ("scan.jpg", files.jpeg(), "image/jpeg"),
        ("scan.png", files.png(), "image/png"),
        ("申请.ofd", _ofd_bytes(), "application/ofd"),
        ("misnamed.png", files.pdf(), "application/pdf"),  # judged by content, not by name
        ("noext", files.png(), "image/png"),
    ],
    ids=["pdf", "pdf_with_sloppy_xref", "jpeg", "png", "ofd", "pdf_named_png", "png_without_extension"],
)
def test_uploads_accepted_by_content(name, content, content_type):
    uploaded = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    assert check_upload(uploaded).content_type == content_type
    assert uploaded.tell() == 0  # rewound for storage


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("申请.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64),
        ("申请.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
        ("申请.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("申请.pdf", "这是一段文字，不是扫描件。".encode()),
        ("申请.pdf", b"<html><body>PDF-1.7</body></html>"),
        ("申请.ofd", _ofd_bytes(with_root=False)),
        ("申请.ofd", b"PK\x03\x04 not really a zip"),
        ("申请.jpg", b"GIF89a" + b"\x00" * 64),
    ],
    ids=["windows_exe", "elf", "shell_script", "text", "html", "zip_without_ofd_root", "broken_zip", "gif"],
)
def test_uploads_refused_by_content(name, content):
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"), field_label="书面申请")
    message = error.value.messages[0]
    assert f"书面申请「{name}」" in message and "PDF、JPEG、PNG、OFD" in message and "按文件内容判断" in message


def test_uploads_empty_file_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("申请.pdf", b""))
    assert "空文件" in error.value.messages[0]


def test_uploads_over_20_mb_refused_at_the_real_limit():
    assert django_settings.ADMISSION_MAX_UPLOAD_BYTES == 20 * MB
    too_big = SimpleUploadedFile("大文件.pdf", support.PDF_BYTES)
    too_big.size = 20 * MB + 1  # the check reads .size; no need to allocate 20 MB
    with pytest.raises(ValidationError) as error:
        check_upload(too_big)
    assert "超过 20 MB 上限" in error.value.messages[0] and "大文件.pdf" in error.value.messages[0]
    at_limit = SimpleUploadedFile("刚好.pdf", support.PDF_BYTES)
    at_limit.size = 20 * MB
    assert check_upload(at_limit).content_type == "application/pdf"


def test_uploads_a_refused_letter_rolls_back_the_submission(banner):
    request = consulted_case(banner)
    before = snapshot(request)
    fake = SimpleUploadedFile("申请.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")
    with pytest.raises(ValidationError):
        do(
            request,
            "submit",
            banner.users["forestry"],
            lambda: request_services.submit_request(
                duty_request=request, actor=banner.users["forestry"], application_letter=fake
            ),
        )
    too_big = pdf()
    too_big.size = 20 * MB + 1
    with pytest.raises(ValidationError):
        do(
            request,
            "submit",
            banner.users["forestry"],
            lambda: request_services.submit_request(
                duty_request=request, actor=banner.users["forestry"], application_letter=too_big
            ),
        )
    with pytest.raises(ValidationError) as error:
        request_services.submit_request(duty_request=request, actor=banner.users["forestry"], application_letter=None)
    assert set(error.value.message_dict) == {"application_letter"}
    assert snapshot(request) == before
    assert not Attachment.objects.filter(request=request).exists()
    open_task(request, "submit")
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED


def test_uploads_are_stored_under_media_root_with_a_generated_name(banner, settings):
    request = consulted_case(banner)
    content = files.pdf(pages=2)
    letter = SimpleUploadedFile("../../../static/申请.pdf", content, content_type="text/html")
    do(
        request,
        "submit",
        banner.users["forestry"],
        lambda: request_services.submit_request(
            duty_request=request,
            actor=banner.users["forestry"],
            application_letter=letter,
            supporting_files=[SimpleUploadedFile("照片.png", files.png())],
        ),
    )
    stored = Attachment.objects.get(request=request, kind=AttachmentKind.APPLICATION_LETTER)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(media_root) and path.is_file()
    assert not path.is_relative_to(Path(django_settings.STATIC_ROOT).resolve())
    assert (
        stored.file.name.startswith("attachments/") and "申请" not in stored.file.name and ".." not in stored.file.name
    )
    assert stored.file.name.endswith(".pdf")  # the extension chosen from the content
    assert path.read_bytes() == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.size == len(content)
    assert stored.content_type == "application/pdf"  # sniffed, not the client's claim
    assert stored.uploaded_by == banner.users["forestry"] and stored.organization == banner.org("forestry")
    photo = Attachment.objects.get(request=request, kind=AttachmentKind.SUPPORTING)
    assert photo.content_type == "image/png" and Path(photo.file.path).resolve().is_relative_to(media_root)
    attach_events = AuditEvent.objects.filter(request=request, action=AuditAction.ATTACH_FILE)
    assert {e.data["sha256"] for e in attach_events} == {stored.sha256, photo.sha256}


def test_uploads_media_root_is_outside_the_static_web_root():
    from config import settings as configured

    media = Path(configured.MEDIA_ROOT).resolve()
    static_dirs = [
        Path(configured.STATIC_ROOT).resolve(),
        *(Path(d).resolve() for d in getattr(configured, "STATICFILES_DIRS", [])),
    ]
    for static in static_dirs:
        assert not media.is_relative_to(static) and not static.is_relative_to(media)
