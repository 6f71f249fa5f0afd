"""What the pages add to the audit trail: where each action comes from, and the security events only the web layer
sees (logins, logouts, failed logins, refusals, admin changes). Downloads and exports are recorded by their views."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, cast

from axes.helpers import get_cool_off, get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import Http404
from django.urls import reverse

from admission.models import AuditAction, AuditOutcome

if TYPE_CHECKING:
    from django.contrib.auth.models import User
from admission.services.audit import Origin, acting_from, record_security_event


def client_address(http_request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Real-IP header when the peer is one of our own proxies
    (settings.ADMISSION_TRUSTED_PROXIES; deploy/nginx sets the header). Anyone else's header is ignored."""
    peer = http_request.META.get("REMOTE_ADDR") or None
    forwarded = http_request.META.get("HTTP_X_REAL_IP", "").strip()
    if peer in settings.ADMISSION_TRUSTED_PROXIES and forwarded:
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer
    return peer


def origin_of(http_request) -> Origin:
    return Origin(
        address=client_address(http_request),
        user_agent=http_request.META.get("HTTP_USER_AGENT", ""),
        user=getattr(http_request, "user", None),
    )


class AuditOriginMiddleware:
    """Every event recorded while serving a request carries its source address and client; a refused request
    (PermissionDenied, answered 403) is itself an event."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, http_request):
        with acting_from(origin_of(http_request)):
            return self.get_response(http_request)

    def process_exception(self, http_request, exception):
        if isinstance(exception, PermissionDenied):
            with acting_from(origin_of(http_request)):
                record_security_event(
                    actor=http_request.user,
                    action=AuditAction.PERMISSION_DENIED,
                    outcome=AuditOutcome.DENIED,
                    note=f"{http_request.method} {http_request.path[:200]}：{exception}"[:1000],
                )
        return None


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    identity = getattr(request, "oidc_identity", None)  # a login through the 统一身份认证 platform (web/oidc.py)
    with acting_from(origin_of(request)):
        record_security_event(
            actor=user,
            action=AuditAction.LOGIN,
            note="统一身份认证登录" if identity else "",
            data={"via": "oidc", **identity} if identity else None,
        )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        idle = getattr(request, "identity_idle_timeout", False)  # web/identity.py ended an idle session
        with acting_from(origin_of(request)):
            record_security_event(
                actor=user,
                action=AuditAction.LOGOUT,
                note="会话闲置超时，自动退出" if idle else "",
                data={"idle_timeout": True} if idle else None,
            )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    origin = origin_of(request) if request is not None else Origin()
    refusal = getattr(request, "oidc_refusal", None)  # single sign-on refused (web/oidc.py): say why
    with acting_from(origin):
        record_security_event(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.FAILURE,
            note=f"统一身份认证登录被拒绝：{refusal.reason}" if refusal else "",
            data=refusal.data if refusal else {"username": str(credentials.get("username", ""))[:150]},
        )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    """The failed login that reached AXES_FAILURE_LIMIT for an account or an address (django-axes then refuses
    further attempts, each a failed login of its own, until the cool-off ends or the security administrator unlocks)."""
    credentials = getattr(request, "axes_credentials", None)
    limit = get_failure_limit(request, credentials)
    if getattr(request, "axes_failures_since_start", None) != limit:
        return
    cool_off = get_cool_off(request)
    until = f"{int(cool_off.total_seconds() // 60)} 分钟后自动解除" if cool_off else "须由安全管理员解锁"
    with acting_from(origin_of(request)):
        record_security_event(
            actor=None,
            action=AuditAction.LOCKOUT,
            outcome=AuditOutcome.DENIED,
            note=f"连续登录失败 {limit} 次，已锁定：用户名 {username or '—'}，地址 {ip_address or '—'}（{until}）",
            data={"username": str(username or "")[:150], "address": ip_address},
        )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def _admin_changed(sender, instance: LogEntry, created: bool, **kwargs):
    if created:
        record_security_event(
            actor=cast("User", instance.user),
            action=AuditAction.ADMIN_CHANGE,
            note=f"{instance.get_action_flag_display()} {instance.content_type} “{instance.object_repr}”"[:1000],
            data={
                "content_type": instance.content_type_id,
                "object_id": instance.object_id,
                "action_flag": instance.action_flag,
            },
        )


def record_download(http_request, *, what: str, name: str, data: dict) -> None:
    """Every download and export is an event (等保2.0 安全审计)."""
    action = AuditAction.EXPORT if what == "export" else AuditAction.DOWNLOAD
    record_security_event(actor=http_request.user, action=action, note=name[:1000], data=data)


class AdminNetworkMiddleware:
    """/admin/ answers only to the administrators' networks (settings.ADMISSION_ADMIN_NETWORKS); elsewhere it does
    not exist (404), and the attempt is recorded."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.ADMISSION_ADMIN_NETWORKS]
        self.prefix = reverse("admin:index")

    def __call__(self, http_request):
        if self.networks and http_request.path.startswith(self.prefix):
            address = client_address(http_request)
            try:
                allowed = address is not None and any(ipaddress.ip_address(address) in n for n in self.networks)
            except ValueError:
                allowed = False
            if not allowed:
                with acting_from(origin_of(http_request)):
                    record_security_event(
                        actor=None,
                        action=AuditAction.PERMISSION_DENIED,
                        outcome=AuditOutcome.DENIED,
                        note=f"{http_request.method} {http_request.path[:200]}：管理后台不对该地址开放",
                    )
                raise Http404
        return self.get_response(http_request)
