"""Rendering as an idempotent task: after the issuing transaction commits, render, seal, sign and store once.

`schedule(pk)` runs on commit (services/documents.py) and queues the Celery task `admission.render_document`: on a
worker when a broker is configured, in this very process when not (the embedded default). A failed render is
recorded on the document and retried with exponential back-off (2, 4, 8 … minutes: by the task itself, and by the
sweep should that retry be lost); after ADMISSION_RENDER_MAX_ATTEMPTS failures the document is dead and waits for
the administrator (admin: 公文 → 死信, action “重新生成”). `sweep()` queues every document left unfinished — a render
lost to `kill -9`, a commit while Redis was down, a retry that is due — and runs on the scheduler every minute and in
each web process after start-up.

Every message names the attempt it is for (`attempt` = render_attempts when it was queued). A document is rendered
under SELECT … FOR UPDATE SKIP LOCKED, only while it has no PDF and only if that attempt has not been made yet, so
duplicate messages (a retry and the sweep, a redelivery after a crash) do nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..documents.ofd import pdf_to_ofd
from ..documents.render import document_html, render_pdf_with_objects
from ..documents.signing import get_signer
from ..models import AuditAction, OfficialDocument, RenderStatus, WebhookEventType
from . import webhooks
from .audit import record_event

log = logging.getLogger(__name__)


def max_attempts() -> int:
    return int(settings.ADMISSION_RENDER_MAX_ATTEMPTS)


def backoff_seconds(attempts: int) -> int:
    """How long to wait after the `attempts`-th failure: 2, 4, 8 … minutes by default (at most 2⁷ times the base)."""
    return int(settings.ADMISSION_RENDER_RETRY_SECONDS * 2 ** (min(max(attempts, 1), 8) - 1))


def schedule(document_id: int) -> None:
    """Called once the issuing transaction has committed."""
    if settings.ADMISSION_RENDER_ON_COMMIT:
        dispatch(document_id, attempt=0)


def dispatch(document_id: int, *, attempt: int, manual: bool = False) -> bool:
    """Queue one render attempt (run it here and now without a broker). False when the broker could not be reached:
    the document stays pending and the sweep queues it again."""
    try:
        render.apply_async(args=(document_id,), kwargs={"attempt": attempt, "manual": manual})
    except Exception:  # kombu's OperationalError and friends: never lose the committed decision over it
        log.warning("could not queue the render of document %s; the sweep will", document_id, exc_info=True)
        return False
    return True


@shared_task(  # type: ignore[untyped-decorator]  # celery has no type information
    name="admission.render_document",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
)
def render(self: Any, document_id: int, attempt: int, manual: bool = False) -> str:
    """The task: make attempt number `attempt + 1`; on failure queue the next one after its back-off."""
    document = render_document(document_id, expected_attempts=attempt)
    if document is None:
        return "busy"  # another worker holds it right now
    made_it = document.render_attempts == attempt + 1
    if (
        document.render_status != RenderStatus.FAILED
        or not made_it
        or manual
        or self.request.is_eager
        or document.render_attempts >= max_attempts()
    ):
        return document.render_status
    # In-process (eager) runs are retried by the sweep instead: a retry here would run at once, not after a delay.
    raise self.retry(
        countdown=backoff_seconds(document.render_attempts),
        kwargs={"document_id": document_id, "attempt": document.render_attempts},
    )


def render_document(document_id: int, *, expected_attempts: int | None = None) -> OfficialDocument | None:
    """Produce the PDF of a document that has none; a document that has one is left as it is, and so is one whose
    attempt number `expected_attempts + 1` has been made already. None when another process is rendering it."""
    with transaction.atomic():
        document = (
            OfficialDocument.objects.select_for_update(of=("self",), **_skip_locked())
            .select_related("issuer__jurisdiction", "request")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.render_status == RenderStatus.RENDERED:
            return document
        if expected_attempts is not None and document.render_attempts != expected_attempts:
            return document
        try:
            signer = get_signer()
            html = document_html(document, demo=signer.is_demo(document.issuer))
            rendered = render_pdf_with_objects(html)
            signed, subject = signer.sign(rendered.pdf, issuer=document.issuer)
            ofd = pdf_to_ofd(
                rendered.written,
                title=document.title,
                author=document.content["signature"],
                code=document.verification_code,
                number=document.number,
                date=document.content["date"],
            )
        except Exception as error:  # any failure is recorded on the document and retried; the decision stands
            log.exception("rendering %s failed", document.number)
            document.render_attempts += 1
            document.render_status = RenderStatus.FAILED
            document.render_error = f"{error.__class__.__name__}: {error}"[:2000]
            if document.render_attempts < max_attempts():
                document.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(document.render_attempts))
            else:
                document.next_attempt_at = None
                log.error(
                    "document %s (pk %s) failed %d times and is not retried any more: %s",
                    document.number,
                    document.pk,
                    document.render_attempts,
                    document.render_error,
                )
            document.save(update_fields=["render_attempts", "render_status", "render_error", "next_attempt_at"])
            return document
        for field, data in ((document.file, signed), (document.ofd_file, ofd)):
            filename = f"{document.verification_code}.{'pdf' if field is document.file else 'ofd'}"
            name = field.field.generate_filename(document, filename)
            if field.storage.exists(name):
                # Left by an attempt killed between storing the file and committing: no document refers to it.
                field.storage.delete(name)
            field.save(filename, ContentFile(data), save=False)
        document.sha256 = hashlib.sha256(signed).hexdigest()
        document.size = len(signed)
        document.ofd_sha256 = hashlib.sha256(ofd).hexdigest()
        document.ofd_size = len(ofd)
        document.signer_subject = subject
        document.render_status = RenderStatus.RENDERED
        document.render_error = ""
        document.rendered_at = timezone.now()
        document.next_attempt_at = None
        document.render_attempts += 1
        document.save()
        if document.request is not None:
            record_event(
                duty_request=document.request,
                actor=document.issued_by,
                action=AuditAction.RENDER_DOCUMENT,
                note=f"{document.number} SHA-256 {document.sha256}（OFD {document.ofd_sha256}）",
                data={"document": document.pk, "sha256": document.sha256, "ofd_sha256": document.ofd_sha256},
            )
        # Issued, sealed and signed: the API clients' webhooks that may see it hear of it once this commits.
        webhooks.publish_later(WebhookEventType.DOCUMENT_ISSUED, document.pk)
    return document


def _skip_locked() -> dict[str, bool]:
    # Two workers never render the same document; SQLite locks the whole database instead.
    return {"skip_locked": True} if transaction.get_connection().features.has_select_for_update_skip_locked else {}


def due_documents(*, grace_seconds: int = 0) -> QuerySet[OfficialDocument]:
    """Documents that should be rendered now: pending for `grace_seconds` since issued and since last queued by a
    sweep (a render in flight is given that long), and failed ones whose retry is due. Dead ones are not due."""
    now = timezone.now()
    quiet = now - timedelta(seconds=grace_seconds)
    return OfficialDocument.objects.filter(
        Q(render_status=RenderStatus.PENDING, issued_at__lte=quiet)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(render_status=RenderStatus.FAILED, render_attempts__lt=max_attempts(), next_attempt_at__lte=now)
    ).order_by("issued_at", "pk")


def dead_documents() -> QuerySet[OfficialDocument]:
    """The dead letters: documents that failed ADMISSION_RENDER_MAX_ATTEMPTS times and are no longer retried."""
    return OfficialDocument.objects.filter(render_status=RenderStatus.FAILED, render_attempts__gte=max_attempts())


def sweep(*, grace_seconds: int | None = None, limit: int = 500) -> int:
    """Queue every due document once more; returns how many. Marks them queued (next_attempt_at = now + grace)
    so that the next sweep gives their renders time to run before queueing them again."""
    grace = settings.ADMISSION_RENDER_SWEEP_GRACE if grace_seconds is None else grace_seconds
    due = list(due_documents(grace_seconds=grace).values_list("pk", "render_attempts")[:limit])
    if not due:
        return 0
    OfficialDocument.objects.filter(pk__in=[pk for pk, _ in due]).exclude(render_status=RenderStatus.RENDERED).update(
        next_attempt_at=timezone.now() + timedelta(seconds=grace)
    )
    for pk, attempts in due:
        dispatch(pk, attempt=attempts)
    log.info("sweep queued %d unfinished document(s)", len(due))
    return len(due)


def render_due(limit: int = 50) -> int:
    """Render every due document here and now (seed_demo, tests); returns how many were rendered."""
    done = 0
    for pk, attempts in due_documents().values_list("pk", "render_attempts")[:limit]:
        document = render_document(pk, expected_attempts=attempts)
        if document is not None and document.render_status == RenderStatus.RENDERED:
            done += 1
    return done


def retry_now(documents: QuerySet[OfficialDocument]) -> int:
    """The administrator's retry of failed (also dead) documents: one more attempt each, queued now."""
    queued = 0
    for pk, attempts in documents.exclude(render_status=RenderStatus.RENDERED).values_list("pk", "render_attempts"):
        queued += dispatch(pk, attempt=attempts, manual=True)
    return queued
