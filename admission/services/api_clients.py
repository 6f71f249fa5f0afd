"""Clients of the open API (issue 15): another system reads as one organization. Each client is an OAuth2 application
(client credentials) bound to a service account that is a member of that organization, so every visibility rule of
the pages (admission.permissions) answers for it exactly as for a clerk of that organization. The service account
has no usable password: it cannot sign in to the pages."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from oauth2_provider.models import Application

from ..models import AuditAction, Membership, Organization, Role
from .audit import record_event


@transaction.atomic
def create_api_client(*, organization: Organization, name: str) -> tuple[str, str]:
    """A new client for `organization`; returns its client id and secret (the secret is stored hashed: shown once)."""
    user = get_user_model().objects.create_user(
        username=f"api.{organization.pk}.{secrets.token_hex(4)}", first_name=name[:150]
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=organization, role=Role.CLERK)
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
        note=f"接口客户端“{name}”（{organization.name}）",
        data={"api_client": application.client_id, "organization": organization.pk},
        jurisdiction_id=organization.jurisdiction_id,
    )
    return application.client_id, secret
