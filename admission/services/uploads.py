"""Uploaded files: checked by content, size-limited, stored outside the web root."""

from __future__ import annotations

import hashlib
import zipfile
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ..language import official
from ..models import Attachment, AttachmentKind, AuditAction, DutyRequest, UnadmittedDutyReport
from ..permissions import require_membership
from .audit import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ACCEPTED_FORMATS_LABEL = "PDF、JPEG、PNG、OFD"


def _sniff_content_type(head: bytes, uploaded: UploadedFile) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        # OFD (GB/T 33190) is a ZIP package whose root holds OFD.xml.
        uploaded.seek(0)
        try:
            with zipfile.ZipFile(uploaded) as package:
                if "OFD.xml" in package.namelist():
                    return "application/ofd"
        except zipfile.BadZipFile:
            return None
    return None


def check_upload(uploaded: UploadedFile, *, field_label: str | Promise | None = None) -> str:
    """Return the file's real content type, or raise a ValidationError saying what to fix."""
    limit = settings.ADMISSION_MAX_UPLOAD_BYTES
    named = {"field": field_label or _("附件"), "name": uploaded.name}
    size = uploaded.size or 0  # an upload always knows its size; the type allows None
    if size > limit:
        raise ValidationError(
            _("%(field)s「%(name)s」大小为 %(size).1f MB，超过 %(limit)d MB 上限，请压缩或拆分后重新上传。")
            % {**named, "size": size / 1048576, "limit": limit // 1048576}
        )
    if size == 0:
        raise ValidationError(_("%(field)s「%(name)s」是空文件，请重新选择。") % named)
    uploaded.seek(0)
    head = uploaded.read(16)
    content_type = _sniff_content_type(head, uploaded)
    uploaded.seek(0)
    if content_type is None:
        raise ValidationError(
            _("%(field)s「%(name)s」不是 %(formats)s 文件（按文件内容判断，而非扩展名），请转换格式后重新上传。")
            % {**named, "formats": ACCEPTED_FORMATS_LABEL}
        )
    return content_type


def store_attachment(
    *,
    duty_request: DutyRequest | None,
    kind: AttachmentKind,
    uploaded: UploadedFile,
    actor: User,
    report: UnadmittedDutyReport | None = None,
) -> Attachment:
    """Check and store one file on the case (or the report); call inside the transaction of its action."""
    content_type = check_upload(uploaded, field_label=AttachmentKind(kind).label)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = uploaded.name or ""  # an upload always has a name; the type allows None
    attachment = Attachment(
        request=duty_request,
        report=report,
        kind=kind,
        original_name=name[:200],
        content_type=content_type,
        size=uploaded.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        organization=require_membership(actor).organization,
    )
    attachment.file.save(name, uploaded, save=False)
    attachment.save()
    record_event(
        duty_request=duty_request, actor=actor, action=AuditAction.ATTACH_FILE,
        note=f"{official(AttachmentKind(attachment.kind).label)}：{attachment.original_name}",
        data={"attachment": attachment.pk, "sha256": attachment.sha256, "size": attachment.size,
              **({"report": report.pk} if report is not None else {})},
        jurisdiction_id=report.jurisdiction_id if report is not None else None,
    )
    return attachment
