"""三员分立 (等保2.0 level 3, 访问控制): three administrators with exactly their permissions, none of whom acts in the
procedure; every change of who acts for which body recorded; /admin/ only from the administrators' networks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from admission import checks, permissions
from admission.models import AdministratorRole, AuditAction, AuditEvent, Membership, Role
from admission.services.administrators import create_administrator, ensure_administrator_groups
from tests.support import PASSWORD

INSIDE = {"REMOTE_ADDR": "10.1.2.3"}


@pytest.fixture
def administrators(db):
    return {
        role: create_administrator(username=f"{role.value}admin", password=PASSWORD, role=role)
        for role in AdministratorRole
    }


def test_each_administrator_holds_exactly_their_permissions(administrators):
    system, security, audit = (administrators[r] for r in AdministratorRole)
    assert audit.get_all_permissions() >= {"admission.view_auditevent"}
    assert {p for p in audit.get_all_permissions() if not p.startswith("admission.org_")} == {
        "admission.view_auditevent"
    }
    assert not system.has_perm("admission.view_auditevent") and not security.has_perm("admission.view_auditevent")
    assert system.has_perm("admission.add_organization") and not security.has_perm("admission.add_organization")
    assert security.has_perm("admission.change_membership") and not system.has_perm("admission.change_membership")
    assert not any(u.is_superuser for u in administrators.values())


def test_the_groups_are_corrected_on_every_migrate(administrators):
    group = administrators[AdministratorRole.AUDIT].groups.get()
    group.permissions.clear()
    ensure_administrator_groups()
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_auditevent"]


def test_the_audit_administrator_reads_the_audit_trail_and_nothing_else(client, administrators):
    client.force_login(administrators[AdministratorRole.AUDIT])
    assert client.get(reverse("admin:admission_auditevent_changelist"), **INSIDE).status_code == 200
    assert client.get(reverse("admin:admission_organization_changelist"), **INSIDE).status_code == 403
    client.force_login(administrators[AdministratorRole.SYSTEM])
    assert client.get(reverse("admin:admission_auditevent_changelist"), **INSIDE).status_code == 403
    assert client.get(reverse("admin:admission_organization_changelist"), **INSIDE).status_code == 200


def test_an_administrator_cannot_act_for_a_body(banner, administrators):
    system = administrators[AdministratorRole.SYSTEM]
    membership = Membership(user=system, organization=banner.org("office"), role=Role.HEAD)
    with pytest.raises(ValidationError, match="三员分立"):
        membership.full_clean()
    Membership.objects.create(user=system, organization=banner.org("office"), role=Role.HEAD)  # by SQL, say
    assert permissions.membership_of(system) is None
    assert not permissions.can_see_dashboard(system)


def test_joining_a_body_or_changing_a_role_is_an_audit_event_naming_the_administrator(client, banner, administrators):
    security = administrators[AdministratorRole.SECURITY]
    membership = Membership.objects.get(user=banner.users["naji"])
    client.force_login(security)
    response = client.post(
        reverse("admin:admission_membership_change", args=[membership.pk]),
        {
            "user": membership.user_id,
            "organization": membership.organization_id,
            "role": Role.HEAD,
        },
        **INSIDE,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_CHANGE).latest("pk")
    assert event.actor == security and event.data["role"] == Role.HEAD and "naji" in event.note
    assert event.source_address == "10.1.2.3"


@override_settings(ADMISSION_ADMIN_NETWORKS=["10.0.0.0/8"])
def test_admin_answers_only_to_the_administrators_networks(client, administrators):
    from web import audit

    client.force_login(administrators[AdministratorRole.AUDIT])
    url = reverse("admin:admission_auditevent_changelist")
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 404
    refused = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("pk")
    assert refused.source_address == "203.0.113.9" and refused.outcome == "denied"
    assert client.get(url, REMOTE_ADDR="10.9.9.9").status_code == 200
    # Behind our own proxy the client is the one it names; from anyone else the header is ignored.
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.9.9.9").status_code == 200
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9").status_code == 404
    assert client.get(url, REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.9.9.9").status_code == 404
    from django.conf import settings

    assert f"{audit.__name__}.AdminNetworkMiddleware" in settings.MIDDLEWARE


@override_settings(DEBUG=False)
def test_a_superuser_in_production_is_warned_about(db):
    from django.contrib.auth import get_user_model

    assert checks.no_superuser_in_production(None) == []
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    assert [w.id for w in checks.no_superuser_in_production(None)] == ["admission.W010"]
