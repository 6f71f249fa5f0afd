"""E-mailing in-app notices, as a Celery task queued when the notice is committed.

Each notice is e-mailed at most once (`Notification.emailed`, checked and set under a row lock); a mail server that
refuses is tried again after 1, 2, 4, 8 and 16 minutes on a worker. In-process (no broker) a refusal is logged and
the notice stays in the app, unmailed.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import NoticeKind, Notification

log = logging.getLogger(__name__)
MAIL_RETRIES = 5


def email_later(notification_id: int) -> None:
    """Queue the e-mail of a notice once the transaction that created it commits."""
    transaction.on_commit(lambda: _queue(notification_id))


def _queue(notification_id: int) -> None:
    try:
        email_notice.delay(notification_id)
    except Exception:  # broker unreachable: the notice is in the app; only its e-mail is lost
        log.warning("could not queue the e-mail of notice %s", notification_id, exc_info=True)


@shared_task(name="admission.email_notice", bind=True, acks_late=True, max_retries=MAIL_RETRIES, ignore_result=True)
def email_notice(self, notification_id: int) -> bool:
    with transaction.atomic():
        notice = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=notification_id, emailed=False)
            .first()
        )
        if notice is None or not notice.user.email:
            return False
        try:
            send_mail(
                subject=_("【乡镇职责准入】%(kind)s") % {"kind": NoticeKind(notice.kind).label},
                message=notice.text,
                from_email=None,
                recipient_list=[notice.user.email],
            )
        except (OSError, smtplib.SMTPException) as error:
            if self.request.is_eager or self.request.retries >= MAIL_RETRIES:
                log.error("e-mail of notice %s to %s failed: %s", notice.pk, notice.user.email, error)
                return False
            raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
        Notification.objects.filter(pk=notice.pk).update(emailed=True)
    return True
