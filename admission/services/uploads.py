"""Uploaded files: parsed by content (admission.file_content), size-limited, stored outside the web root under a name
and extension the server chooses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ..file_content import CheckedContent, ContentRefused, check_content
from ..language import official
from ..models import Attachment, AttachmentKind, AuditAction, DutyRequest, KeptUpload, UnadmittedDutyReport
from ..permissions import require_membership
from .audit import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ACCEPTED_FORMATS_LABEL = "PDF、JPEG、PNG、OFD"


class OversizedUpload(UploadedFile):
    """Stands for a file the upload handler stopped keeping once it passed its limit: nothing of it was kept.

    `size` is what came in: all of it when `size_known` (the rest of the request was still read), else only what
    came before reading stopped. `request_limit` is set when the whole request passed its limit."""

    def __init__(self, *, name: str, size: int, limit: int, size_known: bool, request_limit: int | None = None) -> None:
        super().__init__(file=None, name=name, content_type="application/octet-stream", size=size)
        self.limit = limit
        self.size_known = size_known
        self.request_limit = request_limit

    def open(self, *args: Any, **kwargs: Any) -> OversizedUpload:
        raise ValueError("An oversized upload has no content.")


def _size_refusal(uploaded: UploadedFile, named: dict[str, object]) -> ValidationError:
    limit = settings.ADMISSION_MAX_UPLOAD_BYTES
    size = uploaded.size or 0  # an upload always knows its size; the type allows None
    if isinstance(uploaded, OversizedUpload):
        if uploaded.request_limit is not None:
            return ValidationError(
                _(
                    "本次提交的内容超过 %(limit)d MB，系统在接收%(field)s「%(name)s」时已停止接收，"
                    "请压缩或拆分文件后分次上传。"
                )
                % {**named, "limit": uploaded.request_limit // 1048576}
            )
        if not uploaded.size_known:
            return ValidationError(
                _("%(field)s「%(name)s」超过 %(limit)d MB 上限，系统已停止接收，请压缩或拆分后重新上传。")
                % {**named, "limit": uploaded.limit // 1048576}
            )
        limit = uploaded.limit
    return ValidationError(
        _("%(field)s「%(name)s」大小为 %(size).1f MB，超过 %(limit)d MB 上限，请压缩或拆分后重新上传。")
        % {**named, "size": size / 1048576, "limit": limit // 1048576}
    )


def check_upload(uploaded: UploadedFile, *, field_label: str | Promise | None = None) -> CheckedContent:
    """Parse the file: return its real type and the bytes to store, or raise a ValidationError saying what to fix.

    The result is kept on the file, so that the form's check and the service's store parse it once."""
    named: dict[str, object] = {"field": field_label or _("附件"), "name": uploaded.name}
    size = uploaded.size or 0
    if isinstance(uploaded, OversizedUpload) or size > settings.ADMISSION_MAX_UPLOAD_BYTES:
        raise _size_refusal(uploaded, named)
    if size == 0:
        raise ValidationError(_("%(field)s「%(name)s」是空文件，请重新选择。") % named)
    checked = getattr(uploaded, "_admission_checked", None)
    if not isinstance(checked, CheckedContent):
        uploaded.seek(0)
        data = uploaded.read()
        uploaded.seek(0)
        try:
            checked = check_content(data)
        except ContentRefused as refused:
            raise ValidationError(
                refused.message % {**named, "formats": ACCEPTED_FORMATS_LABEL, **refused.params}
            ) from None
        uploaded._admission_checked = checked  # type: ignore[attr-defined]
    return checked


def store_attachment(
    *,
    duty_request: DutyRequest | None,
    kind: AttachmentKind,
    uploaded: UploadedFile,
    actor: User,
    report: UnadmittedDutyReport | None = None,
) -> Attachment:
    """Check and store one file on the case (or the report); call inside the transaction of its action."""
    checked = check_upload(uploaded, field_label=AttachmentKind(kind).label)
    name = uploaded.name or ""  # an upload always has a name; the type allows None
    attachment = Attachment(
        request=duty_request,
        report=report,
        kind=kind,
        original_name=name[:200],
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        uploaded_by=actor,
        organization=require_membership(actor).organization,
    )
    # The stored name and extension come from the content (Attachment's upload_to), never from the upload's name.
    attachment.file.save(f"upload{checked.extension}", ContentFile(checked.data), save=False)
    attachment.save()
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.ATTACH_FILE,
        note=f"{official(AttachmentKind(attachment.kind).label)}：{attachment.original_name}",
        data={
            "attachment": attachment.pk,
            "sha256": attachment.sha256,
            "size": attachment.size,
            **({"report": report.pk} if report is not None else {}),
        },
        jurisdiction_id=report.jurisdiction_id if report is not None else None,
    )
    return attachment


# --- files kept across a form that came back with an error ------------------------------------------------------------

KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class KeptFile:
    pk: int
    name: str
    size: int


def keep_upload(*, user: User, uploaded: UploadedFile) -> KeptFile:
    """Keep a file that passed its checks for the same person's next submit (the form failed on something else)."""
    kept_pk = getattr(uploaded, "kept_pk", None)
    if isinstance(kept_pk, int):  # kept before and handed back: still the same row
        return KeptFile(pk=kept_pk, name=uploaded.name or "", size=uploaded.size or 0)
    check_upload(uploaded)
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    row = KeptUpload.objects.create(
        user=user,
        name=(uploaded.name or "")[:255],
        content_type=(uploaded.content_type or "application/octet-stream")[:100],
        data=data,
    )
    return KeptFile(pk=row.pk, name=row.name, size=len(data))


def kept_upload(*, user: User, pk: str | int) -> UploadedFile | None:
    """The person's own kept file `pk` as an upload again, or None (not theirs, used, expired or not a number)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    row = KeptUpload.objects.filter(user=user, pk=number, created_at__gte=timezone.now() - KEPT_FOR).first()
    if row is None:
        return None
    uploaded = SimpleUploadedFile(row.name, bytes(row.data), content_type=row.content_type)
    uploaded.kept_pk = row.pk  # type: ignore[attr-defined]
    return uploaded


def drop_kept_uploads(*, user: User, pks: list[int]) -> None:
    """The form went through: the kept files it used are not needed any more."""
    if pks:
        KeptUpload.objects.filter(user=user, pk__in=pks).delete()


def drop_stale_kept_uploads() -> int:
    """Kept files nobody came back for within KEPT_FOR (the periodic sweep)."""
    deleted, _by_model = KeptUpload.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted
