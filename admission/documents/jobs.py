"""Rendering as an idempotent job: after the issuing transaction commits, render, seal, sign and store once.

settings.ADMISSION_DOCUMENT_JOBS = "inline" runs the job right after commit in the same process (the embedded
default); "worker" leaves it to `manage.py document_worker`, which also retries failures with back-off.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import AuditAction, OfficialDocument, RenderStatus
from ..services.audit import record_event
from .render import document_html, render_pdf
from .signing import get_signer

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def schedule(document_id: int) -> None:
    if settings.ADMISSION_DOCUMENT_JOBS == "inline":
        render_document(document_id)


def render_document(document_id: int) -> OfficialDocument | None:
    """Produce the PDF of a document that has none; a document that has one is left as it is."""
    with transaction.atomic():
        document = (OfficialDocument.objects.select_for_update(of=("self",), **_skip_locked())
                    .select_related("issuer__jurisdiction", "request").filter(pk=document_id).first())
        if document is None or document.render_status == RenderStatus.RENDERED:
            return document
        try:
            signer = get_signer()
            html = document_html(document, demo=signer.is_demo(document.issuer))
            signed, subject = signer.sign(render_pdf(html), issuer=document.issuer)
        except Exception as error:  # any failure is recorded on the document and retried; the decision stands
            log.exception("rendering %s failed", document.number)
            document.render_attempts += 1
            document.render_status = RenderStatus.FAILED
            document.render_error = f"{error.__class__.__name__}: {error}"[:2000]
            document.next_attempt_at = timezone.now() + timedelta(minutes=2 ** min(document.render_attempts, 8))
            document.save(update_fields=["render_attempts", "render_status", "render_error", "next_attempt_at"])
            return document
        document.file.save(f"{document.verification_code}.pdf", ContentFile(signed), save=False)
        document.sha256 = hashlib.sha256(signed).hexdigest()
        document.size = len(signed)
        document.signer_subject = subject
        document.render_status = RenderStatus.RENDERED
        document.render_error = ""
        document.rendered_at = timezone.now()
        document.render_attempts += 1
        document.save()
        if document.request is not None:
            record_event(
                duty_request=document.request, actor=document.issued_by, action=AuditAction.RENDER_DOCUMENT,
                note=f"{document.number} SHA-256 {document.sha256}",
                data={"document": document.pk, "sha256": document.sha256},
            )
    return document


def _skip_locked() -> dict:
    # Two workers never render the same document; SQLite locks the whole database instead.
    return {"skip_locked": True} if transaction.get_connection().features.has_select_for_update_skip_locked else {}


def due_documents():
    return OfficialDocument.objects.filter(
        Q(render_status=RenderStatus.PENDING)
        | Q(render_status=RenderStatus.FAILED, render_attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=timezone.now())
    ).order_by("issued_at")


def render_due(limit: int = 50) -> int:
    done = 0
    for pk in due_documents().values_list("pk", flat=True)[:limit]:
        document = render_document(pk)
        if document is not None and document.render_status == RenderStatus.RENDERED:
            done += 1
    return done
