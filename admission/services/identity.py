"""Identity changes (等保2.0 身份鉴别): the password history kept on every password set, enrolling and removing a TOTP
device. Each change is audited: a password change, an enrolment; a removal (here, or a reset in the admin) by the
receiver of the device's deletion (admission/receivers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from ..identity import requires_second_factor, totp_device
from ..models import AuditAction, PasswordHistory
from ..permissions import membership_of
from .audit import record_security_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEVICE_NAME = "动态口令"


def _jurisdiction_of(user: User) -> int | None:
    membership = membership_of(user)
    return membership.organization.jurisdiction_id if membership else None


@transaction.atomic
def remember_password(*, user: User, keep: int | None = None) -> None:
    """Record the user's password (its hash) as the newest of their history, keeping the last `keep`
    (ADMISSION_PASSWORD_HISTORY). Called when an account is created (receivers.py) and whenever a password is set
    (passwords.PasswordHistoryValidator); a change of an existing account's password is an audit event."""
    if not user.has_usable_password():
        return
    keep = max(settings.ADMISSION_PASSWORD_HISTORY if keep is None else keep, 1)
    latest = PasswordHistory.objects.filter(user=user).values_list("password", flat=True).first()
    if latest == user.password:
        return  # already recorded (a new account: its creation, then Django's notice of the password)
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[keep:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    if latest is not None:
        record_security_event(
            actor=None,
            action=AuditAction.PASSWORD_CHANGE,
            note=f"修改密码：{user.get_username()}",
            data={"user": user.pk},
            jurisdiction_id=_jurisdiction_of(user),
        )


def new_totp_key() -> str:
    """A fresh random key (20 bytes, hex) for an authenticator app about to be set up."""
    return str(default_key())


@transaction.atomic
def enrol_totp_device(*, user: User, key: str, token: str) -> TOTPDevice:
    """Confirm the authenticator app set up with `key` by a code it shows, and make it the user's device (replacing
    any earlier one). A wrong code changes nothing."""
    totp = TOTP(bytes.fromhex(key))
    token = (token or "").strip()
    if not (token.isascii() and token.isdigit() and len(token) == 6 and totp.verify(int(token), tolerance=1)):
        raise ValidationError(
            {"token": _("验证码不正确：请输入验证器应用中当前显示的 6 位数字（注意手机时间须准确）。")}
        )
    device = totp_device(user)
    replaced = device is not None
    if device is None:
        device = TOTPDevice(user=user, name=DEVICE_NAME)
    device.key, device.drift, device.last_t, device.confirmed = key, 0, totp.t(), True
    device.throttle_reset(commit=False)
    device.save()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # unconfirmed leftovers, if any
    record_security_event(
        actor=user,
        action=AuditAction.SECOND_FACTOR_CHANGE,
        note=f"{'更换' if replaced else '启用'}双因素认证（动态口令）：{user.get_username()}",
        data={"user": user.pk, "device": device.pk, "replaced": replaced},
    )
    return device


@transaction.atomic
def remove_totp_device(*, user: User) -> None:
    """A user for whom the second factor is optional turns it off; those who must use one cannot (the security
    administrator resets a lost device in the admin). Audited by the deletion's receiver."""
    if requires_second_factor(user):
        raise PermissionDenied(
            _("负责人、审核人和管理员必须使用双因素认证，不能自行停用；设备丢失请联系安全管理员重置。")
        )
    TOTPDevice.objects.filter(user=user).delete()
