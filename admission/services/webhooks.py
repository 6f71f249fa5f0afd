"""Signed webhooks to the API's clients (issue 15 part 5; docs/webhooks.md for receivers).

An API client (an OAuth2 application bound to a service account of one organization, services/api_clients.py) may
have subscriptions: an https address and the events it wants — `decision.recorded` (an approving body's decision)
and `document.issued` (a document rendered, sealed and signed: its number, verification code, hashes and API links).
An event reaches a subscription only when the client's organization may see its subject, by the pages' own rules
(admission.permissions, admission.selectors) asked for the client's service account.

How an event travels, as the in-app notices do (services/notifications.py): the change commits; a receiver
(admission/receivers.py) or the render (services/rendering.py) queues `admission.publish_webhook_event` on commit; it
writes one delivery per subscription that may see it (payload fixed then, unique per subscription and event) and
queues `admission.deliver_webhook` for each. A delivery is attempted once per message: claimed under a row lock
(its attempt count must be the one the message names, so a duplicate message does nothing), posted outside any
transaction, and its outcome recorded. A failure waits ADMISSION_WEBHOOK_RETRY_SECONDS (1 min, 5 min, 30 min, 2 h,
12 h) before the next attempt, made by the sweep (`admission.sweep_webhooks` on the scheduler; in the web process
without a broker); after the last the delivery is failed and waits for the administrator's re-send (admin).

Conventions, from Stripe's and GitHub's webhooks: the body is JSON with the event's `id`, `type`, `created` and
`data`; `X-Admission-Event` names the type; `X-Admission-Delivery` is the delivery's UUID, the same for every
attempt and re-send of it (GitHub's X-GitHub-Delivery), so a receiver drops a repeat; `X-Admission-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>` (Stripe's Stripe-Signature), so a receiver
checks both who sent it and that it is fresh. Timeouts are short, redirects are never followed, and the target's
name is resolved once, checked to be a public address (SSRF) and connected to at that very address.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions, selectors
from ..language import in_official_language
from ..models import (
    ApprovalDecision,
    AuditAction,
    DeliveryStatus,
    OfficialDocument,
    RenderStatus,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from ..notices import public_address
from .audit import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from oauth2_provider.models import Application

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Admission-Signature"
EVENT_HEADER = "X-Admission-Event"
DELIVERY_HEADER = "X-Admission-Delivery"
USER_AGENT = "Admission-Webhooks/1 (+docs/webhooks.md)"
# Receivers should refuse a signature older than this (docs/webhooks.md); it is Stripe's default tolerance.
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
RESPONSE_EXCERPT = 300
# Event ids are derived from what happened (UUID 5), so publishing an event twice writes no second delivery.
EVENT_NAMESPACE = uuid.UUID("6f0c3a8e-5b1d-4c55-9d3e-0c1f7d2b9a41")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- signing ---------------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the subscription's secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes posted: the same for every attempt of a delivery (keys sorted, UTF-8, no spaces)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# --- targets (SSRF) --------------------------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The address may not be posted to: not https, or its name resolves to a private, loopback or reserved address.
    `kind` says which (scheme, form, resolve, address), for the administrator's message."""

    def __init__(self, kind: str, detail: str, *, host: str = "", address: str = "") -> None:
        super().__init__(detail)
        self.kind, self.host, self.address = kind, host, address


def _loopback_allowed() -> bool:
    return bool(settings.ADMISSION_WEBHOOK_ALLOW_LOOPBACK)


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(address: Address) -> str | None:
    """Why `address` may not be a target, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback and _loopback_allowed():
        return None
    if any(address in ipaddress.ip_network(n, strict=False) for n in settings.ADMISSION_WEBHOOK_ALLOWED_NETWORKS):
        return None
    if address.is_global and not address.is_multicast:
        return None
    return "loopback" if address.is_loopback else "private or reserved"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the one resolved address connected to


def resolve_target(url: str) -> Target:
    """Check the address's form and resolve its name once; every address it resolves to must be allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise TargetRefused("form", "no host, or credentials in the address")
    if parts.scheme == "http":
        if not (_loopback_allowed() and _is_loopback_name(host)):
            raise TargetRefused("scheme", "http is allowed only to a loopback address in development and tests")
    elif parts.scheme != "https":
        raise TargetRefused("scheme", f"scheme {parts.scheme!r} is not https")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefused("form", str(error)) from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused("resolve", f"{host} does not resolve: {error}", host=host) from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        problem = _refusal(address)
        if parts.scheme == "http" and not address.is_loopback:
            problem = "non-loopback (over http)"
        if problem is not None:
            raise TargetRefused(
                "address", f"{host} resolves to {address}, a {problem} address", host=host, address=str(address)
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=str(addresses[0]))


def validate_target(url: str) -> None:
    """The administrator's check when a subscription is saved; the same check runs again before every attempt (a
    name may resolve elsewhere later)."""
    try:
        resolve_target(url)
    except TargetRefused as refused:
        messages = {
            "scheme": _("接收地址须为 https 地址。"),
            "form": _("接收地址须有主机名，且不能包含用户名、密码或无效的端口。"),
            "resolve": _("无法解析接收地址的主机名“%(host)s”，请核对地址。"),
            "address": _(
                "接收地址的主机“%(host)s”解析为本机、内网或保留地址（%(address)s），不能接收推送；"
                "对方系统在政务外网等内网中时，须由运维人员将其网段列入允许范围。"
            ),
        }
        message = messages[refused.kind] % {"host": refused.host, "address": refused.address}
        raise ValidationError({"url": [message]}) from refused


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address checked, not to whatever the name resolves to a moment later (DNS rebinding)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the name in the address (SNI and hostname verification).
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(*, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST once; (status, the start of the answer). Redirects are not followed (http.client never does)."""
    target = resolve_target(url)
    timeout = float(settings.ADMISSION_WEBHOOK_TIMEOUT_SECONDS)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout) if target.scheme == "https" else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT)
        return response.status, excerpt.decode("utf-8", errors="replace")
    finally:
        connection.close()


# --- subscriptions ---------------------------------------------------------------------------------------------------


def _require(actor: User | AnonymousUser | None, permission: str) -> None:
    """An administrator acting in the admin must hold the permission; None is the system itself (a command, a test)."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("你没有管理 Webhook 的权限。"))


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = [e for e in WebhookEventType.values if e in set(events)]
    if not chosen:
        raise ValidationError({"events": [_("请至少选择一种事件。")]})
    return chosen


def _organization_note(client: Application) -> tuple[str, int | None]:
    membership = permissions.membership_of(client.user)
    if membership is None:
        return "", None
    return f"（{membership.organization.name}）", membership.organization.jurisdiction_id


def create_subscription(
    *, client: Application, url: str, events: Iterable[str], actor: User | AnonymousUser | None, active: bool = True
) -> tuple[WebhookSubscription, str]:
    """A new subscription of `client`; returns it and its secret, which is shown this once."""
    _require(actor, "admission.add_webhooksubscription")
    if permissions.membership_of(client.user) is None:
        raise ValidationError({"client": [_("该接口客户端没有所属单位，不能订阅事件。")]})
    validate_target(url)
    chosen = _clean_events(events)
    secret = new_secret()
    organization, jurisdiction_id = _organization_note(client)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            client=client, url=url, events=chosen, secret=secret, active=active
        )
        record_event(
            duty_request=None,
            actor=actor,
            action=AuditAction.ADMIN_CHANGE,
            note=f"新建 Webhook 订阅：接口客户端“{client.name}”{organization} → {url}（{'、'.join(chosen)}）",
            data={"webhook_subscription": subscription.pk, "api_client": client.client_id, "events": chosen},
            jurisdiction_id=jurisdiction_id,
        )
    return subscription, secret


def update_subscription(
    *,
    subscription: WebhookSubscription,
    url: str,
    events: Iterable[str],
    active: bool,
    actor: User | AnonymousUser | None,
) -> WebhookSubscription:
    _require(actor, "admission.change_webhooksubscription")
    validate_target(url)
    chosen = _clean_events(events)
    organization, jurisdiction_id = _organization_note(subscription.client)
    with transaction.atomic():
        subscription.url, subscription.events, subscription.active = url, chosen, active
        subscription.save(update_fields=["url", "events", "active"])
        record_event(
            duty_request=None,
            actor=actor,
            action=AuditAction.ADMIN_CHANGE,
            note=f"修改 Webhook 订阅：接口客户端“{subscription.client.name}”{organization} → {url}"
            f"（{'、'.join(chosen)}；{'启用' if active else '停用'}）",
            data={"webhook_subscription": subscription.pk, "events": chosen, "active": active},
            jurisdiction_id=jurisdiction_id,
        )
    return subscription


def rotate_secret(*, subscription: WebhookSubscription, actor: User | AnonymousUser | None) -> str:
    """A new secret for the subscription, returned this once; deliveries from now on are signed with it."""
    _require(actor, "admission.change_webhooksubscription")
    secret = new_secret()
    organization, jurisdiction_id = _organization_note(subscription.client)
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret)
        record_event(
            duty_request=None,
            actor=actor,
            action=AuditAction.ADMIN_CHANGE,
            note=f"更换 Webhook 签名密钥：接口客户端“{subscription.client.name}”{organization} → {subscription.url}",
            data={"webhook_subscription": subscription.pk},
            jurisdiction_id=jurisdiction_id,
        )
    subscription.secret = secret
    return secret


# --- events ----------------------------------------------------------------------------------------------------------


def _api_link(name: str, pk: int) -> str:
    """An absolute link to the API's `name` for object `pk`."""
    return public_address(reverse(name, args=[pk]))


def event_id(event_type: str, subject_id: int) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{subject_id}")


def _envelope(event_type: str, subject_id: int, created: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(event_id(event_type, subject_id)),
        "type": event_type,
        "created": created.isoformat(),
        "data": data,
    }


def _case(duty_request: Any) -> dict[str, Any]:
    return {
        "id": duty_request.pk,
        "reference": duty_request.reference,
        "duty_name": duty_request.duty_name,
        "purpose": duty_request.purpose,
        "track": duty_request.track,
        "state": duty_request.state,
        "jurisdiction": duty_request.jurisdiction_id,
        "url": _api_link("api:case", duty_request.pk),
    }


@in_official_language
def decision_payload(decision: ApprovalDecision) -> dict[str, Any]:
    data = {
        "decision": {
            "id": decision.pk,
            "stage": decision.stage,
            "stage_label": str(decision.get_stage_display()),
            "body": decision.body.name,
            "approves": decision.approves,
            "decision_date": decision.decision_date.isoformat() if decision.decision_date else None,
            "document_number": decision.document_number,
        },
        "case": _case(decision.request),
    }
    return _envelope(WebhookEventType.DECISION_RECORDED, decision.pk, decision.recorded_at, data)


@in_official_language
def document_payload(document: OfficialDocument) -> dict[str, Any]:
    pk = document.pk
    data = {
        "document": {
            "id": pk,
            "number": document.number,
            "title": document.title,
            "kind": document.kind,
            "kind_label": str(document.get_kind_display()),
            "issuer": document.issuer.name,
            "issued_at": document.issued_at.isoformat(),
            "rendered_at": document.rendered_at.isoformat() if document.rendered_at else None,
            "verification_code": document.verification_code,
            "verification_url": public_address(reverse("verify_document", args=[document.verification_code])),
            "pdf": {"sha256": document.sha256, "size": document.size},
            "ofd": {"sha256": document.ofd_sha256, "size": document.ofd_size} if document.ofd_sha256 else None,
            "links": {
                "self": _api_link("api:document", pk),
                "download": _api_link("api:document_pdf", pk),
                "download_ofd": _api_link("api:document_ofd", pk),
            },
        },
        "case": _case(document.request) if document.request is not None else None,
    }
    return _envelope(WebhookEventType.DOCUMENT_ISSUED, pk, document.rendered_at or document.issued_at, data)


def may_see_decision(user: User, decision: ApprovalDecision) -> bool:
    """The case's page is open to the organization."""
    return permissions.can_view_request(user, decision.request)


def may_see_document(user: User, document: OfficialDocument) -> bool:
    """The document is in the organization's list of documents (issued or received) and it may download it: what
    the documents page and the API give it."""
    listed = selectors.documents_for(user=user).filter(pk=document.pk).exists()
    return listed and permissions.can_download_document(user, document)


def publish_later(event_type: WebhookEventType, subject_id: int) -> None:
    """Publish the event once the transaction that made it commits (on a worker, or in-process)."""

    def queue() -> None:
        try:
            publish.delay(str(event_type), subject_id)
        except Exception:  # broker unreachable: the decision or document stands; its webhook is lost (logged)
            log.warning("could not queue the webhook event %s %s", event_type, subject_id, exc_info=True)

    transaction.on_commit(queue)


@shared_task(  # type: ignore[untyped-decorator]  # celery has no type information
    name="admission.publish_webhook_event", acks_late=True, ignore_result=True
)
def publish(event_type: str, subject_id: int) -> int:
    return publish_event(event_type=WebhookEventType(event_type), subject_id=subject_id)


def publish_event(*, event_type: WebhookEventType, subject_id: int) -> int:
    """One delivery for each active subscription to `event_type` whose organization may see the subject; each new one
    is queued. Returns how many are new (publishing the same event again writes none)."""
    subject: ApprovalDecision | OfficialDocument | None
    if event_type == WebhookEventType.DECISION_RECORDED:
        subject = ApprovalDecision.objects.select_related("request", "body").filter(pk=subject_id).first()
    else:
        subject = (
            OfficialDocument.objects.select_related("issuer", "request")
            .filter(pk=subject_id, render_status=RenderStatus.RENDERED)
            .first()
        )
    if subject is None:
        return 0
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(active=True, client__user__is_active=True).select_related(
            "client__user"
        )
        if event_type in s.events
    ]
    if not subscriptions:
        return 0
    payload = decision_payload(subject) if isinstance(subject, ApprovalDecision) else document_payload(subject)
    new: list[int] = []
    for subscription in subscriptions:
        user = subscription.client.user
        visible = (
            may_see_decision(user, subject)
            if isinstance(subject, ApprovalDecision)
            else may_see_document(user, subject)
        )
        if not visible:
            continue
        delivery, created = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            event_id=event_id(event_type, subject_id),
            defaults={"event_type": event_type, "payload": payload, "next_attempt_at": timezone.now()},
        )
        if created:
            new.append(delivery.pk)
    for pk in new:
        dispatch(pk, attempt=0)
    return len(new)


# --- deliveries ------------------------------------------------------------------------------------------------------


def retry_waits() -> list[int]:
    return [int(s) for s in settings.ADMISSION_WEBHOOK_RETRY_SECONDS]


def max_attempts() -> int:
    return len(retry_waits()) + 1


def dispatch(delivery_id: int, *, attempt: int) -> bool:
    """Queue attempt number `attempt + 1` (run it here and now without a broker). False when the broker could not be
    reached: the delivery stays due and the sweep queues it again."""
    try:
        deliver.apply_async(args=(delivery_id,), kwargs={"attempt": attempt})
    except Exception:  # kombu's OperationalError and friends
        log.warning("could not queue webhook delivery %s; the sweep will", delivery_id, exc_info=True)
        return False
    return True


@shared_task(  # type: ignore[untyped-decorator]  # celery has no type information
    name="admission.deliver_webhook", acks_late=True, ignore_result=True
)
def deliver(delivery_id: int, attempt: int) -> str:
    return attempt_delivery(delivery_id=delivery_id, expected_attempts=attempt)


def _skip_locked() -> dict[str, bool]:
    return {"skip_locked": True} if transaction.get_connection().features.has_select_for_update_skip_locked else {}


def _claim(delivery_id: int, expected_attempts: int | None) -> WebhookDelivery | str:
    """Take the attempt: count it and push the next one out (a lease: should this process die now, the sweep tries
    again when it is due). A reason string when there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), **_skip_locked())
            .select_related("subscription__client__user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy or gone"
        if delivery.status != DeliveryStatus.PENDING:
            return str(delivery.status)
        if expected_attempts is not None and delivery.attempts != expected_attempts:
            return "already attempted"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "not due"
        client = delivery.subscription.client
        if not delivery.subscription.active or client.user is None or not client.user.is_active:
            return "subscription or client inactive"  # kept pending: sent when the subscription is active again
        delivery.attempts += 1
        waits = retry_waits()
        lease = waits[delivery.attempts - 1] if delivery.attempts <= len(waits) else 600
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + timedelta(seconds=lease)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def attempt_delivery(*, delivery_id: int, expected_attempts: int | None = None) -> str:
    """Make one attempt of a due delivery; returns its outcome (or why none was made)."""
    claimed = _claim(delivery_id, expected_attempts)
    if isinstance(claimed, str):
        return claimed
    delivery = claimed
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.delivery_id),
        SIGNATURE_HEADER: signature_header(secret=delivery.subscription.secret, timestamp=int(time.time()), body=body),
    }
    status: int | None = None
    try:
        status, answer = post(url=delivery.subscription.url, body=body, headers=headers)
        error = "" if 200 <= status < 300 else f"HTTP {status}: {answer}"
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
    except TargetRefused as refused:
        error = f"refused: {refused}"
    except (OSError, http.client.HTTPException, ValueError) as failure:  # timeouts, refusals, TLS, broken answers
        error = f"{failure.__class__.__name__}: {failure}" if str(failure) else failure.__class__.__name__
    except Exception as failure:  # anything else is recorded too: the attempt counts, and the retries end
        log.exception("webhook delivery %s: unexpected failure", delivery.delivery_id)
        error = f"{failure.__class__.__name__}: {failure}"
    fields: dict[str, Any] = {"last_status_code": status, "last_error": error[:500]}
    if not error:
        fields |= {"status": DeliveryStatus.DELIVERED, "delivered_at": timezone.now(), "next_attempt_at": None}
    elif delivery.attempts >= max_attempts():
        fields |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        log.error(
            "webhook delivery %s to %s failed %d times and is not retried any more: %s",
            delivery.delivery_id,
            delivery.subscription.url,
            delivery.attempts,
            error,
        )
    else:
        log.warning("webhook delivery %s attempt %d failed: %s", delivery.delivery_id, delivery.attempts, error)
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**fields)
    return str(fields.get("status", "retrying"))


def due_deliveries(*, now: datetime | None = None) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now or timezone.now(),
        subscription__active=True,
        subscription__client__user__is_active=True,
    ).order_by("next_attempt_at", "pk")


@shared_task(  # type: ignore[untyped-decorator]  # celery has no type information
    name="admission.sweep_webhooks", ignore_result=True
)
def sweep_task() -> int:
    return sweep()


def sweep(*, limit: int = 500) -> int:
    """Queue every delivery whose attempt is due (a retry, or a first attempt whose message was lost)."""
    due = list(due_deliveries().values_list("pk", "attempts")[:limit])
    for pk, attempts in due:
        dispatch(pk, attempt=attempts)
    if due:
        log.info("webhook sweep queued %d deliveries", len(due))
    return len(due)


def resend(*, deliveries: QuerySet[WebhookDelivery], actor: User | AnonymousUser | None) -> int:
    """The administrator's re-send: each delivery once more, now, with its own id and payload (a failed one gets one
    more attempt; a delivered one is posted again, for a receiver that lost it). Returns how many were queued."""
    _require(actor, "admission.change_webhookdelivery")
    rows = list(deliveries.select_related("subscription__client"))
    if not rows:
        return 0
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows]).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
        )
        record_event(
            duty_request=None,
            actor=actor,
            action=AuditAction.ADMIN_CHANGE,
            note=f"重新发送 Webhook：{len(rows)} 条（"
            + "、".join(f"{d.subscription.client.name} {d.delivery_id}" for d in rows[:20])
            + ("……" if len(rows) > 20 else "")
            + "）",
            data={"webhook_deliveries": [str(d.delivery_id) for d in rows]},
        )
    for delivery in rows:
        transaction.on_commit(functools.partial(dispatch, delivery.pk, attempt=delivery.attempts))
    return len(rows)
