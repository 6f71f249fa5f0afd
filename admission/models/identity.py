"""What identity keeps beyond Django's user: the hashes of a user's recent passwords (等保2.0 身份鉴别), and the
lockouts and second-factor devices of the libraries under names the security administrator reads in the admin."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class PasswordHistory(models.Model):
    """One password a user has had, as its hash (never the password): the newest is the current one, and its time
    is when the password was last set. admission.identity keeps the last ADMISSION_PASSWORD_HISTORY per user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("用户")
    )
    password = models.CharField(_("密码哈希"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%Y-%m-%d %H:%M}"


class LoginLockout(AccessAttempt):
    """django-axes' failed-login record, as the security administrator sees it in the admin (登录锁定): deleting one
    before its cool-off ends unlocks the account or address, and is audited (receivers.py)."""

    class Meta:
        proxy = True
        verbose_name = _("登录失败与锁定")
        verbose_name_plural = _("登录失败与锁定")

    def __str__(self) -> str:
        return f"{self.username or '—'} · {self.ip_address or '—'} · {self.failures_since_start}"


class SecondFactorDevice(TOTPDevice):
    """django-otp's TOTP device, as the security administrator sees it: deleting one resets the user's second factor
    (they enrol again at their next login), audited (receivers.py)."""

    class Meta:
        proxy = True
        verbose_name = _("双因素认证设备")
        verbose_name_plural = _("双因素认证设备")

    def __str__(self) -> str:
        return f"{self.user.get_username()} · TOTP"
