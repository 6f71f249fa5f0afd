"""The rules of identity (等保2.0 level 3, 身份鉴别): whether a password was used before or is too old, who needs a
second factor and which device they have. Reads only: passwords.py holds the validators, services/identity.py keeps
the history and enrols devices."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import DECIDING_ROLES, PasswordHistory
from .permissions import membership_of

# The demo's published TOTP secret (README, seed_demo): every demo account that needs a second factor has a device
# with it, so anyone can walk the demo. checks.py warns when a device holds it outside debug mode.
DEMO_TOTP_SECRET = "PBUWC3THPJUGK3RNPJUHK3TSOUZDAMRW"  # base32 of b"xiangzhen-zhunru2026"
DEMO_TOTP_KEY = base64.b32decode(DEMO_TOTP_SECRET).hex()


def password_reused(*, user, password: str, count: int) -> bool:
    """`password` is the current one or one of the `count` before it (checked against their hashes)."""
    hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:count])
    if user.password and user.password not in hashes:
        hashes.insert(0, user.password)
    return any(check_password(password, encoded) for encoded in hashes)


def password_set_at(user) -> datetime | None:
    """When the user's current password was set: its history entry, else when the user joined."""
    latest = PasswordHistory.objects.filter(user=user).values_list("created_at", flat=True).first()
    return latest or getattr(user, "date_joined", None)


def password_expired(user, *, now: datetime | None = None) -> bool:
    """The password is older than ADMISSION_PASSWORD_MAX_AGE_DAYS (never for 0, nor without a usable password:
    someone who signs in only through single sign-on has none to change)."""
    days = settings.ADMISSION_PASSWORD_MAX_AGE_DAYS
    if days <= 0 or not user.has_usable_password():
        return False
    set_at = password_set_at(user)
    return set_at is not None and (now or timezone.now()) - set_at > timedelta(days=days)


def requires_second_factor(user) -> bool:
    """Heads and reviewers (who decide) and administrators must use a second factor; clerks may."""
    if not settings.ADMISSION_SECOND_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    membership = membership_of(user)
    return membership is not None and membership.role in DECIDING_ROLES


def totp_device(user) -> TOTPDevice | None:
    """The user's confirmed TOTP device (a user has at most one)."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_demo_device(device: TOTPDevice | None) -> bool:
    return device is not None and device.key.lower() == DEMO_TOTP_KEY


def next_code(key: str, *, drift: int = 0, after_step: int = -1, at: float | None = None) -> str | None:
    """The code a device with `key` (and `drift`) accepts now: the current one, or the next one when the current
    step was used already (`after_step`, the device's last_t); None when neither is within the device's tolerance.
    For the demo's published key and for the code shown while enrolling in debug mode — never for a real device."""
    totp = TOTP(bytes.fromhex(key), drift=drift)
    if at is not None:
        totp.time = at
    step = max(totp.t(), after_step + 1)
    if step > totp.t() + 1:
        return None
    return f"{hotp(bytes.fromhex(key), step):06d}"


def current_code(key: str) -> str:
    """The code of `key` at this moment (the demo seeds its devices with it)."""
    return f"{TOTP(bytes.fromhex(key)).token():06d}"
