"""Single sign-on through the province's 统一身份认证 platform: OpenID Connect with mozilla-django-oidc.

The platform is asked only when someone uses it: its discovery document (cached an hour) fills any endpoint the
settings leave empty, and a password login never waits for it. The platform's ID token is checked more strictly than
the library does by itself: signature against the platform's JWKS (asymmetric algorithms only), issuer, audience,
expiry and nonce. Who the platform's account is here is the domain's answer (admission.services.identities); a refusal
is kept on the request for the page (web/views/sso.py) and for the audit event of the failed login (web/audit.py)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from admission.auth_backends import session_account
from admission.services.identities import IdentityRefused, user_for_identity

logger = logging.getLogger(__name__)

# Settings that may be left empty and then come from the discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "ADMISSION_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
}
DISCOVERY_SECONDS = 3600
_discovered: dict[str, tuple[float, dict]] = {}


class ProviderUnavailable(Exception):
    """The platform could not be reached, or answered with something that is not its discovery document."""


@dataclass
class Refusal:
    """Why a single sign-on attempt ended without a login: shown to the person and recorded in the audit event."""

    reason: str
    message: object
    subject: str = ""
    name: str = ""
    data: dict = field(default_factory=dict)


UNAVAILABLE = _("暂时无法连接统一身份认证平台，请稍后再试，或使用本系统的用户名和密码登录。")
INVALID_TOKEN = _(
    "统一身份认证平台返回的登录凭据未通过校验（签名、签发方、接收方或有效期不符），登录已拒绝。请重新登录；"
    "如反复出现，请联系本旗县（区）委编办的系统管理员。"
)
STALE = _("这次登录请求已失效或已取消，请回到登录页重新登录。")


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def discovery() -> dict:
    """The platform's discovery document, fetched when first needed and kept for an hour."""
    issuer = settings.OIDC_OP_ISSUER
    url = (
        getattr(settings, "ADMISSION_OIDC_DISCOVERY_URL", "")
        or f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    )
    cached = _discovered.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = requests.get(
            url, timeout=getattr(settings, "OIDC_TIMEOUT", 10), verify=getattr(settings, "OIDC_VERIFY_SSL", True)
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"discovery at {url}: {error}") from error
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderUnavailable(f"discovery at {url} names issuer {document.get('issuer')!r}, not {issuer!r}")
    _discovered[url] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


def platform_setting(name: str, *default):
    """A mozilla-django-oidc setting; an endpoint left empty comes from the discovery document."""
    if name in DISCOVERED:
        return getattr(settings, name, "") or discovery().get(DISCOVERED[name], "")
    return import_from_settings(name, *default)


def provider_logout_url(http_request) -> str:
    """Where to send a person logging out whose session came from the platform: its end_session endpoint (OpenID
    Connect RP-initiated logout), or "" when the platform has none, cannot be reached, or the session is local."""
    id_token = http_request.session.get("oidc_id_token")
    if not (enabled() and id_token):
        return ""
    try:
        endpoint = platform_setting("ADMISSION_OIDC_END_SESSION_ENDPOINT")
    except ProviderUnavailable:
        logger.warning("single sign-on: no logout at the platform, it cannot be reached")
        return ""
    if not endpoint:
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": http_request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class PlatformBackend(OIDCAuthenticationBackend):
    """Authenticates only the callback of an authorization-code flow; grants no permissions (Django's ModelBackend
    and admission's OrganizationPermissionBackend do)."""

    def __init__(self, *args, **kwargs):  # nothing is read from the platform until a login needs it
        self.UserModel = get_user_model()

    get_settings = staticmethod(platform_setting)
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: platform_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: platform_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: platform_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None  # always the platform's JWKS

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password login (or anything else) is not ours.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        try:
            user = super().authenticate(request, **kwargs)
            if user is None and not hasattr(request, "oidc_refusal"):  # the library logged and swallowed a problem
                self._refuse(request, "invalid_token", INVALID_TOKEN)
            return user
        except IdentityRefused as refused:
            self._refuse(request, refused.reason, refused.message)
        except ProviderUnavailable as error:
            logger.warning("single sign-on refused: %s", error)
            self._refuse(request, "unavailable", UNAVAILABLE)
        except requests.RequestException as error:
            logger.warning("single sign-on refused: the platform failed: %s", error)
            self._refuse(request, "provider_error", UNAVAILABLE, detail=str(error)[:300])
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError) as error:
            logger.warning("single sign-on refused: %s: %s", type(error).__name__, error)
            self._refuse(request, "invalid_token", INVALID_TOKEN, detail=f"{type(error).__name__}: {error}"[:300])
        return None

    def _refuse(self, request, reason: str, message, detail: str = "") -> None:
        identity = getattr(request, "oidc_identity", {})
        request.oidc_refusal = Refusal(
            reason=reason,
            message=message,
            subject=identity.get("subject", ""),
            name=identity.get("name", ""),
            data={"via": "oidc", "reason": reason, **identity, **({"detail": detail} if detail else {})},
        )

    def verify_token(self, token, **kwargs):
        """The ID token: signed by the platform's key for this algorithm, issued by the configured issuer to this
        client, not expired, carrying the nonce this login sent. (The library checks neither issuer nor audience.)"""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(token).get("alg") != algorithm:
            raise SuspiciousOperation(f"ID token not signed with {algorithm}")
        payload = jwt.decode(
            token,
            self.retrieve_matching_jwk(token),
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=settings.OIDC_OP_ISSUER,
            leeway=getattr(settings, "ADMISSION_OIDC_CLOCK_SKEW_SECONDS", 60),
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences, not authorized for this client")
        if kwargs.get("nonce") is None or payload.get("nonce") != kwargs["nonce"]:
            raise SuspiciousOperation("ID token nonce does not match this login")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        """Never creates: the user the administrator tied this platform account to, or IdentityRefused."""
        subject = str(payload["sub"])
        claims = dict(payload)
        match_claim = getattr(settings, "ADMISSION_OIDC_MATCH_CLAIM", "")
        if match_claim and match_claim not in claims:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub")) != subject:
                raise SuspiciousOperation("userinfo answers for another subject than the ID token")
            claims = {**userinfo, **payload}
        name = str(claims.get("name") or claims.get("preferred_username") or "")[:150]
        self.request.oidc_identity = {"issuer": payload["iss"], "subject": subject, "name": name}
        return user_for_identity(
            issuer=payload["iss"],
            subject=subject,
            claim_value=str(claims.get(match_claim) or "") if match_claim else "",
        )

    def get_user(self, user_id):  # a session from the platform is read as a password login's (and inactive ends it)
        return session_account(user_id)

    # Authentication only: permissions come from the other backends.
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None, backend=None):
        return self.UserModel._default_manager.none()
