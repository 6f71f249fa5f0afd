"""Issue 15 part 5: signed webhooks on decisions and documents with retries. Every delivery goes to a real HTTP(S)
server on loopback (tests/webhook_receiver.py) that checks its signature with the code docs/webhooks.md publishes;
what an organization may not see never reaches it; failures are retried on the documented schedule, then wait for
the administrator's re-send; a target inside the network is refused (SSRF)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import Application

from admission import permissions
from admission.models import (
    AdministratorRole,
    AuditAction,
    AuditEvent,
    DeliveryStatus,
    OfficialDocument,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from admission.services import webhooks
from admission.services.administrators import create_administrator
from admission.services.api_clients import create_api_client
from tests import support
from tests.test_tasks__engine import keys  # noqa: F401  (a fixture: the demo signing keys, for rendering)
from tests.webhook_receiver import Receiver, documented_examples, documented_verifier, make_certificates
from workflows import actions

DECISION = WebhookEventType.DECISION_RECORDED
DOCUMENT = WebhookEventType.DOCUMENT_ISSUED


def client_of(organization, name: str = "一网通办平台") -> Application:
    client_id, _secret = create_api_client(organization=organization, name=name)
    return Application.objects.get(client_id=client_id)


def subscribe(organization, url: str, events=(DECISION, DOCUMENT)) -> tuple[WebhookSubscription, str]:
    return webhooks.create_subscription(client=client_of(organization), url=url, events=events, actor=None)


def decide(banner, django_capture_on_commit_callbacks, request=None):
    request = request or support.awaiting_approval_case(banner)
    with django_capture_on_commit_callbacks(execute=True):
        support.banner_decides(banner, request)
    return request


def make_due(delivery: WebhookDelivery) -> None:
    """The clock moved on to the delivery's next attempt (its wait is checked before this is called)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_issue15_a_decision_is_posted_signed_and_verifies_with_the_documented_code(
    banner, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        subscription, secret = subscribe(banner.org("forestry"), f"{receiver.url}/hooks/admission", events=[DECISION])
        receiver.secret = secret
        request = decide(banner, django_capture_on_commit_callbacks)
    assert secret.startswith("whsec_") and len(secret) > 40
    [post] = receiver.received
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert post["path"] == "/hooks/admission"
    assert post["signed"], post["headers"]  # docs/webhooks.md's verify_signature accepts it
    assert post["headers"]["X-Admission-Event"] == "decision.recorded"
    assert post["headers"]["X-Admission-Delivery"] == str(delivery.delivery_id)
    assert post["headers"]["Content-Type"] == "application/json; charset=utf-8"
    event = post["json"]
    decision = request.approval_decisions.get()
    assert event["type"] == "decision.recorded" and event["id"] == str(webhooks.event_id(DECISION, decision.pk))
    assert event["data"]["decision"]["approves"] is True and event["data"]["decision"]["id"] == decision.pk
    assert event["data"]["case"]["id"] == request.pk and event["data"]["case"]["state"] == request.state
    assert event["data"]["case"]["url"] == f"https://admission.test/api/v1/cases/{request.pk}/"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.payload == event


def test_issue15_the_documented_verifier_refuses_a_changed_body_another_secret_and_an_old_signature():
    verify = documented_verifier()
    body = b'{"id":"x","type":"decision.recorded"}'
    now = int(time.time())
    header = webhooks.signature_header(secret="whsec_a", timestamp=now, body=body)
    assert verify("whsec_a", header, body)
    assert not verify("whsec_a", header, body.replace(b"decision", b"document"))
    assert not verify("whsec_b", header, body)
    stale = webhooks.signature_header(secret="whsec_a", timestamp=now - 301, body=body)
    assert not verify("whsec_a", stale, body)
    assert not verify("whsec_a", "v1=" + header.split("v1=")[1], body)  # no timestamp
    assert not verify("whsec_a", "", body)


def test_issue15_an_organization_receives_only_the_decisions_it_may_see(
    banner, other_banner, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        subscriptions = {
            key: subscribe(org, f"{receiver.url}/{key}", events=[DECISION])[0]
            for key, org in {
                "forestry": banner.org("forestry"),  # the applicant
                "naji": banner.org("naji"),  # consulted
                "office": banner.org("office"),  # the lead unit
                "yadong": banner.org("yadong"),  # a township not concerned
                "emergency": banner.org("emergency"),  # another department
                "other": other_banner.org("office"),  # another banner
            }.items()
        }
        request = decide(banner, django_capture_on_commit_callbacks)
    reached = {post["path"].strip("/") for post in receiver.received}
    assert reached == {"forestry", "naji", "office"}
    for key, subscription in subscriptions.items():  # exactly the pages' rule, asked for each client's account
        assert (key in reached) == permissions.can_view_request(subscription.client.user, request), key
    assert not WebhookDelivery.objects.filter(subscription__in=[subscriptions[k] for k in ("yadong", "other")])


def test_issue15_a_receiver_failing_twice_gets_the_same_delivery_again_after_1_and_5_minutes(
    banner, django_capture_on_commit_callbacks
):
    with Receiver([500, 503, 200]) as receiver:
        subscription, receiver.secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        started = timezone.now()
        decide(banner, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
        assert "HTTP 500" in delivery.last_error
        assert timedelta(seconds=59) < delivery.next_attempt_at - started < timedelta(seconds=70)
        assert webhooks.sweep() == 0  # not due yet: nothing is sent
        assert len(receiver.received) == 1

        make_due(delivery)
        assert webhooks.sweep() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 2, 503)
        assert timedelta(seconds=299) < delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=300)

        make_due(delivery)
        webhooks.sweep()
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.next_attempt_at is None and delivery.last_error == ""
    assert len(receiver.received) == 3
    assert len({p["headers"]["X-Admission-Delivery"] for p in receiver.received}) == 1  # one idempotency key
    assert len({p["body"] for p in receiver.received}) == 1  # the same bytes
    assert all(p["signed"] for p in receiver.received)  # each attempt signed afresh


def test_issue15_a_message_repeated_does_not_post_twice(banner, django_capture_on_commit_callbacks):
    with Receiver([500]) as receiver:
        subscription, _secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        request = decide(banner, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        make_due(delivery)
        assert webhooks.attempt_delivery(delivery_id=delivery.pk, expected_attempts=0) == "already attempted"
        assert webhooks.publish_event(event_type=DECISION, subject_id=request.approval_decisions.get().pk) == 0
    assert len(receiver.received) == 1 and WebhookDelivery.objects.count() == 1


def test_issue15_after_the_last_retry_the_delivery_is_failed_and_the_administrator_sends_it_again(
    banner, settings, client, django_capture_on_commit_callbacks
):
    settings.ADMISSION_WEBHOOK_RETRY_SECONDS = [60]  # two attempts in all
    with Receiver([500, 500, 204]) as receiver:
        subscription, receiver.secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        decide(banner, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        make_due(delivery)
        webhooks.sweep()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 2, None)
        make_due(delivery)
        assert webhooks.sweep() == 0  # failed: no more retries

        admin = create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM)
        client.force_login(admin)
        listing = client.get(reverse("admin:admission_webhookdelivery_changelist")).content.decode()
        assert "1 条 Webhook 投递多次失败，已停止重试" in listing
        failed = client.get(reverse("admin:admission_webhookdelivery_changelist"), {"delivery": "failed"})
        assert "HTTP 500: not now" in failed.content.decode()  # the reason, on the failed list
        detail = client.get(reverse("admin:admission_webhookdelivery_change", args=[delivery.pk])).content.decode()
        assert str(delivery.delivery_id) in detail and "decision.recorded" in detail
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:admission_webhookdelivery_changelist"),
                {"action": "send_again", "_selected_action": [delivery.pk]},
            )
        assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 204)
    assert len({p["headers"]["X-Admission-Delivery"] for p in receiver.received}) == 1
    assert all(p["signed"] for p in receiver.received)
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE, note__startswith="重新发送 Webhook").get()
    assert event.actor == admin and event.data["webhook_deliveries"] == [str(delivery.delivery_id)]


def test_issue15_a_receiver_that_does_not_answer_in_time_is_a_failure_retried_later(
    banner, settings, django_capture_on_commit_callbacks
):
    settings.ADMISSION_WEBHOOK_TIMEOUT_SECONDS = 0.5
    with Receiver([("sleep", 3)]) as receiver:
        subscription, _secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        started = time.monotonic()
        decide(banner, django_capture_on_commit_callbacks)
        waited = time.monotonic() - started
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code is None and "timed out" in delivery.last_error.lower(), delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert waited < 3  # the attempt gave up after its timeout, not when the receiver answered


def test_issue15_a_redirect_is_not_followed(banner, django_capture_on_commit_callbacks):
    with Receiver([("redirect", "http://127.0.0.1:1/elsewhere")]) as receiver:
        subscription, _secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        decide(banner, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert len(receiver.received) == 1
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hook", "须为 https 地址"),  # http, and loopback
        ("https://127.0.0.1/hook", "解析为本机、内网或保留地址（127.0.0.1）"),
        ("https://localhost/hook", "“localhost”解析为本机、内网或保留地址（"),  # a name, resolved and checked
        ("https://10.1.2.3/hook", "（10.1.2.3）"),  # private
        ("https://192.168.1.10/hook", "（192.168.1.10）"),  # private
        ("https://169.254.169.254/latest/meta-data/", "（169.254.169.254）"),  # link-local: a cloud's metadata
        ("https://[::1]/hook", "（::1）"),
        ("https://[::ffff:10.0.0.1]/hook", "（::ffff:a00:1）"),  # private, written as IPv6
        ("https://100.64.0.1/hook", "（100.64.0.1）"),  # shared address space (carrier-grade NAT)
        ("https://user:pass@example.org/hook", "不能包含用户名、密码"),  # credentials in the address
        ("ftp://example.org/hook", "须为 https 地址"),
    ],
)
def test_issue15_ssrf_a_target_inside_the_network_is_refused_in_production(banner, settings, url, message):
    settings.ADMISSION_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as refused:
        subscribe(banner.org("forestry"), url)
    assert message in " ".join(refused.value.message_dict["url"])
    assert not WebhookSubscription.objects.exists()


def test_issue15_ssrf_the_target_is_checked_again_before_each_attempt(
    banner, settings, django_capture_on_commit_callbacks
):
    """A subscription saved while its address was allowed (here: the loopback exception of development) is not posted
    to once it is not: nothing is sent, the refusal is recorded and retried like any failure."""
    with Receiver([200]) as receiver:
        subscription, _secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        settings.ADMISSION_WEBHOOK_ALLOW_LOOPBACK = False
        decide(banner, django_capture_on_commit_callbacks)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error.startswith("refused:") and "http is allowed only" in delivery.last_error


def test_issue15_ssrf_an_installation_may_allow_its_own_private_network(settings):
    settings.ADMISSION_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        webhooks.validate_target("https://10.20.3.4/hook")
    settings.ADMISSION_WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    webhooks.validate_target("https://10.20.3.4/hook")
    with pytest.raises(ValidationError):
        webhooks.validate_target("https://10.21.3.4/hook")


def test_issue15_https_to_the_checked_address_with_the_certificate_verified(
    banner, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    certificate, key, ca = make_certificates(tmp_path / "tls")
    with Receiver([200], tls=(certificate, key)) as receiver:
        subscription, receiver.secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        request = support.awaiting_approval_case(banner)
        decide(banner, django_capture_on_commit_callbacks, request)  # the test CA is not trusted: refused
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery.status == DeliveryStatus.PENDING and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
        assert receiver.received == []
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # now trusted
        make_due(delivery)
        webhooks.sweep()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [p["signed"] for p in receiver.received] == [True]


def test_issue15_a_rendered_document_is_posted_with_its_code_hashes_and_links_to_its_recipients_only(
    banner,
    settings,
    keys,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    settings.ADMISSION_RENDER_ON_COMMIT = True
    with Receiver([200]) as receiver:
        naji, receiver.secret = subscribe(banner.org("naji"), f"{receiver.url}/naji", events=[DOCUMENT])
        decisions_only, _ = subscribe(banner.org("forestry"), f"{receiver.url}/forestry", events=[DECISION])
        request = support.draft(banner)  # naji and liuhe are consulted: a letter to each
        with django_capture_on_commit_callbacks(execute=True):
            actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    letters = {d.recipients.get().name: d for d in OfficialDocument.objects.filter(request=request)}
    assert len(letters) == 2
    letter = letters[banner.org("naji").name]
    letter.refresh_from_db()
    assert letter.sha256 and letter.ofd_sha256
    [post] = receiver.received  # naji's letter; not liuhe's; nothing to the decisions-only subscription
    assert post["path"] == "/naji" and post["signed"]
    assert post["headers"]["X-Admission-Event"] == "document.issued"
    document = post["json"]["data"]["document"]
    assert document["id"] == letter.pk and document["number"] == letter.number
    assert document["verification_code"] == letter.verification_code
    assert document["verification_url"] == f"https://admission.test/verify/{letter.verification_code}/"
    assert document["pdf"] == {"sha256": letter.sha256, "size": letter.size}
    assert document["ofd"] == {"sha256": letter.ofd_sha256, "size": letter.ofd_size}
    assert document["links"] == {
        "self": f"https://admission.test/api/v1/documents/{letter.pk}/",
        "download": f"https://admission.test/api/v1/documents/{letter.pk}/pdf/",
        "download_ofd": f"https://admission.test/api/v1/documents/{letter.pk}/ofd/",
    }
    assert post["json"]["data"]["case"]["id"] == request.pk
    assert not WebhookDelivery.objects.filter(subscription=decisions_only).exists()
    assert WebhookDelivery.objects.get(subscription=naji).status == DeliveryStatus.DELIVERED


def test_issue15_the_documented_examples_have_the_payloads_shape(banner, django_capture_on_commit_callbacks):
    """docs/webhooks.md shows each event with exactly the keys a real one has."""

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    with Receiver([200]) as receiver:
        subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        decide(banner, django_capture_on_commit_callbacks)
    examples = documented_examples()
    assert set(examples) == set(WebhookEventType.values)
    real = receiver.received[0]["json"]

    def keys_of(value):
        return {k: keys_of(v) for k, v in value.items()} if isinstance(value, dict) else None

    assert keys_of(examples["decision.recorded"]) == keys_of(real)
    assert shape(examples["decision.recorded"])["data"]["decision"] == shape(real)["data"]["decision"]


def test_issue15_the_documented_document_example_has_the_payloads_keys(banner):
    request = support.draft(banner)
    letter = actions.consult_townships(duty_request=request, actor=banner.users["forestry"]).documents.first()
    letter.sha256, letter.size, letter.ofd_sha256, letter.ofd_size = "0" * 64, 1, "1" * 64, 2
    letter.rendered_at = timezone.now()

    def keys_of(value):
        return {k: keys_of(v) for k, v in value.items()} if isinstance(value, dict) else None

    assert keys_of(documented_examples()["document.issued"]) == keys_of(webhooks.document_payload(letter))


def test_issue15_the_system_administrator_subscribes_in_the_admin_and_sees_the_secret_once(banner, client):
    api_client = client_of(banner.org("office"), name="权责清单系统")
    admin = create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM)
    client.force_login(admin)
    add = reverse("admin:admission_webhooksubscription_add")
    refused = client.post(add, {"client": api_client.pk, "url": "http://example.org/hook", "events": [DECISION]})
    assert refused.status_code == 200 and "接收地址须为 https 地址" in refused.content.decode()
    assert 'value="http://example.org/hook"' in refused.content.decode()  # the input is kept
    with Receiver([200]) as receiver:
        page = client.post(
            add, {"client": api_client.pk, "url": f"{receiver.url}/in", "events": [DECISION, DOCUMENT], "active": "on"}
        )
        assert page.status_code == 200, page.content.decode()[:500]
        subscription = WebhookSubscription.objects.get()
        shown = re.search(r'id="webhook-secret"[^>]*>(whsec_[^<]+)<', page.content.decode()).group(1)
        assert shown == subscription.secret
        assert subscription.events == [DECISION, DOCUMENT]
        change = client.get(reverse("admin:admission_webhooksubscription_change", args=[subscription.pk]))
        assert shown not in change.content.decode()  # never again
        listing = client.get(reverse("admin:admission_webhooksubscription_changelist")).content.decode()
        assert shown not in listing and banner.org("office").name in listing
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE, note__startswith="新建 Webhook 订阅").get()
    assert event.actor == admin and event.data["webhook_subscription"] == subscription.pk
    assert "权责清单系统" in event.note and banner.org("office").name in event.note

    replaced = client.post(
        reverse("admin:admission_webhooksubscription_changelist"),
        {"action": "replace_secret", "_selected_action": [subscription.pk]},
    )
    new = re.search(r'id="webhook-secret"[^>]*>(whsec_[^<]+)<', replaced.content.decode()).group(1)
    subscription.refresh_from_db()
    assert new == subscription.secret != shown
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE, note__startswith="更换 Webhook 签名密钥").exists()


def test_issue15_the_audit_administrator_cannot_manage_webhooks(banner, client):
    auditor = create_administrator(username="auditor", password="x", role=AdministratorRole.AUDIT)
    client.force_login(auditor)
    assert client.get(reverse("admin:admission_webhooksubscription_add")).status_code == 403
    assert client.get(reverse("admin:admission_webhookdelivery_changelist")).status_code == 403
    with pytest.raises(PermissionDenied):  # the services ask too, whoever calls them
        webhooks.create_subscription(
            client=client_of(banner.org("office")), url="http://127.0.0.1:9/", events=[DECISION], actor=auditor
        )
    with pytest.raises(PermissionDenied):
        webhooks.resend(deliveries=WebhookDelivery.objects.all(), actor=auditor)


def test_issue15_a_subscription_needs_a_client_with_an_organization_and_an_event(banner):
    lone = Application.objects.create(
        name="无单位", client_type="confidential", authorization_grant_type="client-credentials"
    )
    with pytest.raises(ValidationError) as refused:
        webhooks.create_subscription(client=lone, url="https://example.org/", events=[DECISION], actor=None)
    assert "client" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        subscribe(banner.org("office"), "http://127.0.0.1:9/hook", events=[])
    assert "events" in refused.value.message_dict


def test_issue15_a_withdrawn_client_gets_nothing_more_until_its_account_is_active_again(
    banner, django_capture_on_commit_callbacks
):
    """docs/api.md: a client is withdrawn by deactivating its service account; its pending retries wait."""
    with Receiver([500, 200]) as receiver:
        subscription, receiver.secret = subscribe(banner.org("forestry"), receiver.url, events=[DECISION])
        decide(banner, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        account = subscription.client.user
        account.is_active = False
        account.save()
        make_due(delivery)
        assert webhooks.sweep() == 0
        assert webhooks.attempt_delivery(delivery_id=delivery.pk) == "subscription or client inactive"
        decide(banner, django_capture_on_commit_callbacks)  # a new decision: not published to it
        assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
        assert len(receiver.received) == 1
        account.is_active = True
        account.save()
        assert webhooks.sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.received) == 2


def test_issue15_a_subscription_from_the_command_line_prints_its_secret_once(banner, settings):
    api_client = client_of(banner.org("office"))
    out = StringIO()
    call_command(
        "create_webhook_subscription",
        "--client-id",
        api_client.client_id,
        "--url",
        "http://127.0.0.1:9/hook",
        "--event",
        "document.issued",
        stdout=out,
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == [DOCUMENT] and subscription.secret in out.getvalue()
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE, note__startswith="新建 Webhook 订阅").exists()
    settings.ADMISSION_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(CommandError, match="解析为本机、内网或保留地址"):
        call_command(
            "create_webhook_subscription",
            "--client-id",
            api_client.client_id,
            "--url",
            "https://127.0.0.1/",
            stdout=out,
        )
