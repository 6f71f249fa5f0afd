"""The second factor's forms: the code from the authenticator app, at sign-in and when enrolling."""

from __future__ import annotations

import django_otp
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _token_field():
    return forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=6,
        help_text=_(
            "打开手机上的验证器应用（如 Microsoft Authenticator、Google Authenticator、FreeOTP），输入本系统对应的 6 位数字。"
        ),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "autofocus": True,
                "size": 8,
            }
        ),
        error_messages={
            "required": _("请输入 6 位动态验证码。"),
            "min_length": _("动态验证码为 6 位数字。"),
            "max_length": _("动态验证码为 6 位数字。"),
        },
    )


class TokenForm(forms.Form):
    """Verifies a code against the user's device; the device slows down repeated wrong codes (django-otp throttling)."""

    token = _token_field()

    def __init__(self, *args, user, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.device = user, device

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not (token.isascii() and token.isdigit()):
            raise forms.ValidationError(_("动态验证码为 6 位数字。"))
        allowed, details = self.device.verify_is_allowed()
        if not allowed:
            locked_until = (details or {}).get("locked_until")
            seconds = max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 1
            raise forms.ValidationError(
                _("验证码错误次数过多，请 %(seconds)d 秒后再试。") % {"seconds": seconds}, code="throttled"
            )
        if django_otp.verify_token(self.user, self.device.persistent_id, token) is None:
            raise forms.ValidationError(
                _("验证码不正确或已使用过：请输入验证器应用中当前显示的 6 位数字（注意手机时间须准确）。"),
                code="invalid",
            )
        return token


class EnrolForm(forms.Form):
    token = _token_field()
