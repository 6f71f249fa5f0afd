"""E-mailing in-app notices and posting them to group robots, as Celery tasks queued when they are committed.

Each notice is e-mailed at most once (`Notification.emailed`, checked and set under a row lock), each robot message
posted at most once (`RobotDelivery.sent_at`, likewise); a server that refuses is tried again after 1, 2, 4, 8 and
16 minutes on a worker. In-process (no broker) a refusal is logged and the notice stays in the app.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import channels
from .models import NoticeKind, Notification, RobotDelivery

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
                message=notice.text + (f"\n{public_address(notice.link)}" if notice.link else ""),
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


def public_address(link: str) -> str:
    return settings.ADMISSION_PUBLIC_URL.rstrip("/") + link


def post_later(delivery_id: int) -> None:
    """Queue a group robot's message once the transaction that created it commits."""
    transaction.on_commit(lambda: _queue_post(delivery_id))


def _queue_post(delivery_id: int) -> None:
    try:
        post_to_robot.delay(delivery_id)
    except Exception:  # broker unreachable: the notices are in the app; only the group message is lost
        log.warning("could not queue robot message %s", delivery_id, exc_info=True)


@shared_task(name="admission.post_to_robot", bind=True, acks_late=True, max_retries=MAIL_RETRIES, ignore_result=True)
def post_to_robot(self, delivery_id: int) -> bool:
    with transaction.atomic():
        delivery = (
            RobotDelivery.objects.select_for_update(of=("self",))
            .select_related("robot")
            .filter(pk=delivery_id, sent_at__isnull=True, robot__active=True)
            .first()
        )
        if delivery is None:
            return False
        try:
            channels.post(delivery.robot, delivery.text)
        except (OSError, ValueError, channels.RobotRefused) as error:
            RobotDelivery.objects.filter(pk=delivery.pk).update(error=str(error)[:300])
            if self.request.is_eager or self.request.retries >= MAIL_RETRIES:
                log.error("robot message %s to %s failed: %s", delivery.pk, delivery.robot, error)
                return False
            raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
        RobotDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now(), error="")
    return True
