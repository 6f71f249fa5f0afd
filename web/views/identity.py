"""Pages of identity (等保2.0 身份鉴别): changing the password, the second factor (verify after the password, enrol
by QR code, turn off where optional), and the page shown to a locked-out login. web/identity.py sends people here."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import django_otp
import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from admission.identity import is_demo_device, next_code, requires_second_factor, totp_device
from admission.models import AuditAction, AuditOutcome
from admission.services import identity as identity_services
from admission.services.audit import record_security_event

from ..forms.fields import apply_service_errors
from ..forms.identity import EnrolForm, TokenForm
from ..identity import DEVICE_AT_LOGIN, ENROL_KEY, PASSWORD_EXPIRED


def _next(request, default: str = "admission:home") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(default)


def _with_next(view_name: str, next_url: str) -> str:
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


class PasswordChange(auth_views.PasswordChangeView):
    """Django's page with ours: the old password, the new one twice, checked by every AUTH_PASSWORD_VALIDATORS rule
    (the history too); the change is audited when the history records it (admission/services/identity.py)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admission:home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = bool(self.request.session.get(PASSWORD_EXPIRED))
        context["max_age_days"] = settings.ADMISSION_PASSWORD_MAX_AGE_DAYS
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(PASSWORD_EXPIRED, None)
        messages.success(self.request, _("密码已修改，请牢记新密码。"))
        return response


def _demo_code(device: TOTPDevice | None) -> str | None:
    """Debug mode only, and only for a device with the demo's published key: the code it accepts now."""
    if settings.DEBUG and device is not None and is_demo_device(device):
        return next_code(device.key, drift=device.drift, after_step=device.last_t)
    return None


def second_factor_verify(request):
    """After the password: the code from the user's authenticator app. Without a device, those who must have one
    enrol first; for others the question falls away."""
    user, next_url = request.user, _next(request)
    if user.is_verified():
        return redirect(next_url)
    device = totp_device(user)
    if device is None:
        if requires_second_factor(user):
            return redirect(_with_next("second_factor_enrol", next_url))
        request.session.pop(DEVICE_AT_LOGIN, None)
        return redirect(next_url)
    form = TokenForm(request.POST or None, user=user, device=device)
    if request.method == "POST":
        if form.is_valid():
            request.session.cycle_key()
            django_otp.login(request, device)
            request.session.pop(DEVICE_AT_LOGIN, None)
            return redirect(next_url)
        record_security_event(
            actor=user,
            action=AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.FAILURE,
            note=f"动态验证码验证失败：{user.get_username()}",
            data={"username": user.get_username(), "second_factor": True},
        )
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": next_url, "demo_code": _demo_code(device)},
    )


def _qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (a viewBox only: the page sizes it to fit a phone)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=1, border=4, omitsize=True, title=_("用验证器应用扫描此二维码")
    )
    return mark_safe(svg)


def _grouped_secret(key: str) -> str:
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def second_factor_enrol(request):
    """Set up an authenticator app: scan the QR code (or type the key), then confirm with a code it shows. The key
    waits in the session until confirmed; replacing a device needs the current one verified first."""
    user, next_url = request.user, _next(request, "second_factor")
    if totp_device(user) is not None and not user.is_verified():
        return redirect(_with_next("second_factor_verify", request.get_full_path()))
    key = request.session.get(ENROL_KEY) if request.method == "POST" else None
    if not key:
        key = identity_services.new_totp_key()
        request.session[ENROL_KEY] = key
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = identity_services.enrol_totp_device(user=user, key=key, token=form.cleaned_data["token"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            request.session.pop(ENROL_KEY, None)
            request.session.cycle_key()
            django_otp.login(request, device)
            request.session[DEVICE_AT_LOGIN] = True
            messages.success(request, _("双因素认证已启用：今后登录时，输入密码后还须输入验证器应用中的动态验证码。"))
            return redirect(next_url)
    device = TOTPDevice(user=user, key=key)
    return render(
        request,
        "registration/second_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": _qr_svg(device),
            "secret": _grouped_secret(key),
            "required": requires_second_factor(user),
            "replacing": totp_device(user) is not None,
            "demo_code": next_code(key) if settings.DEBUG else None,
        },
    )


def second_factor(request):
    """The user's second factor: on or off, since when, last used; enrol, replace, or (where optional) turn off."""
    device = totp_device(request.user)
    return render(
        request,
        "registration/second_factor.html",
        {
            "device": device,
            "required": requires_second_factor(request.user),
        },
    )


@require_POST
def second_factor_remove(request):
    identity_services.remove_totp_device(user=request.user)  # PermissionDenied (403, audited) where required
    request.session.pop(DEVICE_AT_LOGIN, None)
    messages.success(request, _("已停用双因素认证。"))
    return redirect("second_factor")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): after AXES_FAILURE_LIMIT failed logins of one account,
    or from one address, within the cool-off time."""
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/locked_out.html",
        {
            "failures": settings.AXES_FAILURE_LIMIT,
            "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        },
        status=429,
    )
