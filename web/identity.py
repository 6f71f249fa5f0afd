"""Where identity stands for each request (等保2.0 身份鉴别): a session idle longer than ADMISSION_SESSION_IDLE_MINUTES
ends with a notice on the login page; a user who must give a second factor, or has one, is sent to it after the
password; a password older than ADMISSION_PASSWORD_MAX_AGE_DAYS is changed before anything else. What is known at
login is kept in the session, so a request costs no query for it."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from admission.identity import password_expired, requires_second_factor, totp_device

LAST_SEEN = "identity_last_seen"  # unix time of the session's last request (written at most every TOUCH_SECONDS)
PASSWORD_EXPIRED = "identity_password_expired"  # set at login, cleared by the change
DEVICE_AT_LOGIN = "identity_device"  # the user had a second factor at login: it must be given
ENROL_KEY = "identity_enrol_key"  # the key of an authenticator app being set up, until confirmed
TOUCH_SECONDS = 15

# Pages open to a signed-in user whatever is pending: leaving, and the language switch.
ALWAYS_OPEN = frozenset({"logout", "admin:logout", "set_language", "login", "admin:login"})
SECOND_FACTOR_PAGES = frozenset({"second_factor_verify", "second_factor_enrol"})
PASSWORD_PAGES = SECOND_FACTOR_PAGES | {"password_change"}


@receiver(user_logged_in, dispatch_uid="identity_login")
def _remember_at_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[LAST_SEEN] = int(time.time())
    if password_expired(user):
        request.session[PASSWORD_EXPIRED] = True
    if totp_device(user) is not None:
        request.session[DEVICE_AT_LOGIN] = True


def second_factor_pending(request) -> bool:
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return bool(request.session.get(DEVICE_AT_LOGIN)) or requires_second_factor(user)


class IdentityMiddleware:
    """After OTPMiddleware and MessageMiddleware (config/settings.py, Identity)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self._end_idle_session(request) or self.get_response(request)

    def _end_idle_session(self, request):
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return None
        now, idle = int(time.time()), settings.ADMISSION_SESSION_IDLE_MINUTES * 60
        last = session.get(LAST_SEEN)
        if idle > 0 and last is not None and now - last > idle:
            request.identity_idle_timeout = True  # the logout's audit event says why
            logout(request)
            messages.info(
                request,
                _("您已超过 %(minutes)d 分钟未操作，为保护账号安全已自动退出，请重新登录。")
                % {"minutes": settings.ADMISSION_SESSION_IDLE_MINUTES},
            )
            return redirect_to_login(request.get_full_path())
        if last is None or now - last >= TOUCH_SECONDS:
            session[LAST_SEEN] = now
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "login_required", True) is False or not request.user.is_authenticated:
            return None
        name = request.resolver_match.view_name if request.resolver_match else ""
        if name in ALWAYS_OPEN:
            return None
        if second_factor_pending(request):
            request.identity_pending = True
            if name not in SECOND_FACTOR_PAGES:
                return redirect(f"{reverse('second_factor_verify')}?{urlencode({'next': request.get_full_path()})}")
        elif request.session.get(PASSWORD_EXPIRED):
            request.identity_pending = True
            if name not in PASSWORD_PAGES:
                messages.warning(
                    request,
                    _("您的密码已超过 %(days)d 天未修改，请先修改密码再继续使用。")
                    % {"days": settings.ADMISSION_PASSWORD_MAX_AGE_DAYS},
                )
                return redirect("password_change")
        return None
