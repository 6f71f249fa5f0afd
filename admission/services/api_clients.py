"""Clients of the open API (issue 15): another system reads as one organization. Each client is an OAuth2 application
(client credentials) bound to a service account that is a member of that organization, so every visibility rule of
the pages (admission.permissions) answers for it exactly as for a member of that organization. The service account
has no usable password: it cannot sign in to the pages.

Scopes: every client reads (READ_SCOPES). A client that may also write (WRITE_SCOPE: a system acting for its body in
the procedure, e.g. the data bureau's power-list system giving the 权责清单衔接审核 opinion) has a service account in
the reviewer role, since the procedure takes a body's opinions from its reviewers and heads only
(permissions.require_joint_meeting_member); a read-only client's account is a clerk, which no task accepts.
What the account does is recorded under its own name (the system's) as the actor, for the organization."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from oauth2_provider.models import Application

from ..models import AuditAction, Membership, Organization, Role
from ..permissions import membership_of
from .audit import record_event

if TYPE_CHECKING:
    from ..permissions import Viewer

READ_SCOPES = ("cases:read", "documents:read", "duties:read")
WRITE_SCOPE = "cases:write"


def scopes_of(account: Viewer | None) -> list[str]:
    """The scopes a client's service account may be given: the read scopes, and the write scope when its role
    decides for its organization."""
    membership = membership_of(account)
    if membership is None:
        return []
    return [*READ_SCOPES, WRITE_SCOPE] if membership.can_decide else list(READ_SCOPES)


@transaction.atomic
def create_api_client(*, organization: Organization, name: str, may_write: bool = False) -> tuple[str, str]:
    """A new client for `organization`; returns its client id and secret (the secret is stored hashed: shown once).
    `may_write`: the client may act for the organization (scope cases:write; its account a reviewer)."""
    user = get_user_model().objects.create_user(
        username=f"api.{organization.pk}.{secrets.token_hex(4)}", first_name=name[:150]
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=organization, role=Role.REVIEWER if may_write else Role.CLERK)
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    record_event(
        duty_request=None,
        actor=None,
        action=AuditAction.MEMBERSHIP_CHANGE,
        note=f"接口客户端“{name}”（{organization.name}{'，可代为办理' if may_write else ''}）",
        data={"api_client": application.client_id, "organization": organization.pk, "scopes": scopes_of(user)},
        jurisdiction_id=organization.jurisdiction_id,
    )
    return application.client_id, secret
