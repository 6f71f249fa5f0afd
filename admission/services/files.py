"""Serving stored files: only the registered bytes leave the store; a mismatch is refused, logged and audited."""

from __future__ import annotations

import logging
from typing import IO, TYPE_CHECKING

from ..models import Attachment, AuditAction, OfficialDocument
from ..storage import Finding, Problem, StoredFile, StoredFileRefused, verified_copy
from .audit import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from ..models import DutyRequest

log = logging.getLogger(__name__)


def open_document_file(*, document: OfficialDocument, actor: User | AnonymousUser, ofd: bool = False) -> IO[bytes]:
    """The rendered PDF (or, with `ofd`, its OFD), checked against its registered SHA-256; raises StoredFileRefused
    (after auditing) if not."""
    return _open(
        StoredFile.of_document_ofd(document) if ofd else StoredFile.of_document(document),
        actor=actor,
        duty_request=document.request,
        jurisdiction_id=document.jurisdiction_id,
    )


def open_attachment_file(*, attachment: Attachment, actor: User | AnonymousUser) -> IO[bytes]:
    """The uploaded file, checked against its registered SHA-256; raises StoredFileRefused (after auditing) if not."""
    jurisdiction_id = attachment.report.jurisdiction_id if attachment.report is not None else None
    return _open(
        StoredFile.of_attachment(attachment),
        actor=actor,
        duty_request=attachment.request,
        jurisdiction_id=jurisdiction_id,
    )


def _open(
    stored: StoredFile, *, actor: User | AnonymousUser, duty_request: DutyRequest | None, jurisdiction_id: int | None
) -> IO[bytes]:
    try:
        return verified_copy(stored)
    except StoredFileRefused as refused:
        finding = refused.finding
        log.error(
            "refused to serve a stored file: %s",
            finding.describe(),
            extra={"stored_file": stored.name, "problem": finding.problem.value},
        )
        # Pages answer a refusal with a response of their own, not an exception, so this commits with the request.
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.REFUSE_STORED_FILE,
            note=_note(finding),
            data={
                stored.kind: stored.pk,
                "name": stored.name,
                "problem": finding.problem.value,
                "registered_sha256": stored.sha256,
                "registered_size": stored.size,
                "actual_sha256": finding.actual_sha256,
                "actual_size": finding.actual_size,
            },
            jurisdiction_id=jurisdiction_id,
        )
        raise


PROBLEM_IN_RECORDS = {  # audit notes are records, written in the official language
    Problem.MISSING: "文件缺失",
    Problem.SIZE: "大小与登记不符",
    Problem.HASH: "SHA-256 与登记不符",
    Problem.UNREADABLE: "无法读取",
}


def _note(finding: Finding) -> str:
    return f"存储的文件“{finding.stored.label}”{PROBLEM_IN_RECORDS[finding.problem]}，已拒绝提供。"
