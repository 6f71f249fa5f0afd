"""等保2.0 安全审计: every security-relevant event is recorded with actor, organization, source address, client,
outcome and time — logins, logouts, failed logins, downloads, exports, refusals (403) and admin changes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from admission.models import AuditAction, AuditEvent, AuditOutcome
from tests import support
from tests.support import PASSWORD

BROWSER = {"REMOTE_ADDR": "10.8.0.23", "HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14) 政务微信"}


def last(action: AuditAction) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("pk")


def test_a_login_and_a_logout_are_recorded_with_address_client_and_organization(client, banner):
    client.post(reverse("login"), {"username": "naji", "password": PASSWORD}, **BROWSER)
    login = last(AuditAction.LOGIN)
    assert (login.actor, login.organization, login.outcome) == (banner.users["naji"], banner.org("naji"), "success")
    assert (login.source_address, login.user_agent) == ("10.8.0.23", BROWSER["HTTP_USER_AGENT"])
    assert login.jurisdiction_id == banner.jurisdiction.pk and login.created_at is not None

    client.post(reverse("logout"), **BROWSER)
    assert last(AuditAction.LOGOUT).actor == banner.users["naji"]


def test_a_failed_login_is_recorded_with_the_name_tried_and_no_password(client, banner):
    response = client.post(reverse("login"), {"username": "naji", "password": "wrong-password"}, **BROWSER)
    assert response.status_code == 200
    failed = last(AuditAction.LOGIN_FAILED)
    assert failed.outcome == AuditOutcome.FAILURE and failed.actor is None
    assert failed.data == {"username": "naji"} and "wrong-password" not in str(failed.data) + failed.note
    assert failed.source_address == "10.8.0.23"


def test_a_refusal_is_recorded_as_denied(client, banner):
    client.force_login(banner.users["naji"])
    assert client.get(reverse("admission:request_create"), **BROWSER).status_code == 403
    denied = last(AuditAction.PERMISSION_DENIED)
    assert denied.outcome == AuditOutcome.DENIED and denied.actor == banner.users["naji"]
    assert reverse("admission:request_create") in denied.note and "只有旗直职能部门" in denied.note


def test_every_download_and_export_is_recorded(client, banner):
    duty_request = support.to_under_review(banner)
    attachment = duty_request.attachments.first()
    client.force_login(banner.users["office"])
    assert client.get(reverse("admission:attachment_download", args=[attachment.pk]), **BROWSER).status_code == 200
    assert last(AuditAction.DOWNLOAD).data == {"attachment": attachment.pk}
    assert client.get(reverse("admission:duty_list"), {"format": "xlsx"}, **BROWSER).status_code == 200
    export = last(AuditAction.EXPORT)
    assert export.data["format"] == "xlsx" and export.source_address == "10.8.0.23"
    assert client.get(reverse("admission:dashboard"), {"format": "xlsx"}).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 2


@pytest.mark.django_db
def test_an_admin_change_is_recorded(client, banner):
    admin = get_user_model().objects.create_superuser("sysadmin", password=PASSWORD)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newclerk",
            "password1": "Xq7!kLm2pZ9r",
            "password2": "Xq7!kLm2pZ9r",
            "usable_password": "true",
        },
        **BROWSER,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = last(AuditAction.ADMIN_CHANGE)
    assert change.actor == admin and "newclerk" in change.note and change.source_address == "10.8.0.23"
