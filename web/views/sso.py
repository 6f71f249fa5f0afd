"""Login and logout pages, with single sign-on through the 统一身份认证 platform when it is configured (web/oidc.py).

The platform's pages are mozilla-django-oidc's views, made lazy (nothing is fetched from the platform until someone
clicks its button) and answering every failure with a page that says, in Chinese, what happened and whom to ask."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from admission.models import AuditAction, AuditOutcome
from admission.services.audit import acting_from, record_security_event

from .. import oidc
from ..audit import origin_of


class LoginView(auth_views.LoginView):
    """Django's login page, with the 统一身份认证 button when single sign-on is configured."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "single_sign_on": oidc.enabled()}


class LogoutView(auth_views.LogoutView):
    """Django's logout; a session that came from the platform is also ended there (RP-initiated logout)."""

    def post(self, request, *args, **kwargs):
        at_platform = oidc.provider_logout_url(request)  # before the session, holding the ID token, is gone
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_platform) if at_platform else response


def refused(http_request, refusal: oidc.Refusal, *, status: int = 403):
    return render(http_request, "registration/sso_refused.html", {"refusal": refusal}, status=status)


def _record_failure(http_request, reason: str) -> None:
    """A failure before any token was checked (cancelled at the platform, a stale or replayed answer)."""
    with acting_from(origin_of(http_request)):
        record_security_event(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.FAILURE,
            note=f"统一身份认证登录被拒绝：{reason}",
            data={"via": "oidc", "reason": reason},
        )


class PlatformLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the platform's authorization endpoint (with state, nonce and PKCE)."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)

    get_settings = staticmethod(oidc.platform_setting)
    OIDC_OP_AUTH_ENDPOINT = property(lambda self: oidc.platform_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: oidc.platform_setting("OIDC_RP_CLIENT_ID"))

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        try:
            return super().get(request)
        except oidc.ProviderUnavailable:
            return refused(request, oidc.Refusal("unavailable", oidc.UNAVAILABLE), status=503)


class PlatformCallbackView(OIDCAuthenticationCallbackView):
    """Where the platform sends the browser back with a code: exchanged, verified, mapped (web/oidc.PlatformBackend)."""

    get_settings = staticmethod(oidc.platform_setting)

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation:  # a state this browser never sent, or one already used
            _record_failure(request, "stale")
            return refused(request, oidc.Refusal("stale", oidc.STALE), status=400)

    def login_failure(self):
        refusal = getattr(self.request, "oidc_refusal", None)
        if refusal is None:  # cancelled or refused at the platform, or no login under way in this browser
            reason = "cancelled" if self.request.GET.get("error") else "stale"
            _record_failure(self.request, reason)
            refusal = oidc.Refusal(reason, oidc.STALE)
        return refused(self.request, refusal, status=503 if refusal.reason == "unavailable" else 403)


platform_login = login_not_required(PlatformLoginView.as_view())
platform_callback = login_not_required(PlatformCallbackView.as_view())
