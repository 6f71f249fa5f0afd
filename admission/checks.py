"""System checks: what official documents need from the machine, and the public address they carry."""

from __future__ import annotations

import ctypes.util
import ipaddress
import shutil
import subprocess
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _cjk_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    return [line for line in result.stdout.splitlines() if line.strip()]


def cjk_fonts() -> list[str]:
    """The CJK font families fontconfig knows (empty: documents would render without Chinese glyphs)."""
    return _cjk_fonts()


def harfbuzz_subsetter() -> str | None:
    """The HarfBuzz subsetting library WeasyPrint uses, or None."""
    return ctypes.util.find_library("harfbuzz-subset")


@register()
def document_rendering_prerequisites(app_configs, **kwargs):
    warnings = []
    if not cjk_fonts():
        warnings.append(
            Warning(
                "No CJK font is installed: official documents would render without Chinese glyphs.",
                hint="Install Debian's fonts-noto-cjk (make demo does), or the official faces (仿宋_GB2312, 方正小标宋).",
                id="admission.W001",
            )
        )
    if harfbuzz_subsetter() is None:
        warnings.append(
            Warning(
                "HarfBuzz's subsetter (libharfbuzz-subset) is missing: WeasyPrint falls back to fontTools and a "
                "Chinese page takes about 13 s instead of 0.3 s.",
                hint="Install Debian's libharfbuzz-subset0.",
                id="admission.W002",
            )
        )
    return warnings


@register(deploy=True)
def no_superuser_in_production(app_configs, **kwargs):
    """三员分立: production runs with the three administrators, not an all-powerful superuser."""
    from django.contrib.auth import get_user_model

    if settings.DEBUG:
        return []
    try:
        names = list(
            get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("username", flat=True)[:5]
        )
    except DatabaseError:  # no database yet (first install): nothing to warn about
        return []
    if not names:
        return []
    return [
        Warning(
            f"Active superuser account(s) {', '.join(names)}: a superuser can do everything, unaudited by separation "
            "of duties.",
            hint="Give the system, security and audit administrators their groups (系统管理员, 安全管理员, 审计管理员) "
            "and deactivate the superuser (manage.py shell or the admin).",
            id="admission.W010",
        )
    ]


@register(deploy=True)
def no_demo_second_factor_in_production(app_configs, **kwargs):
    """The demo's TOTP key is published (README): a device holding it outside the demo is no second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .identity import DEMO_TOTP_KEY

    if settings.DEBUG:
        return []
    try:
        names = list(TOTPDevice.objects.filter(key__iexact=DEMO_TOTP_KEY).values_list("user__username", flat=True)[:5])
    except DatabaseError:
        return []
    if not names:
        return []
    return [
        Warning(
            f"Second-factor device(s) of {', '.join(names)} use the demo's published TOTP key: anyone can compute "
            "their codes.",
            hint="Delete them in /admin/ → 双因素认证设备 (the users enrol again at their next login), or rebuild the "
            "installation without seed_demo's data.",
            id="admission.W012",
        )
    ]


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the address printed on official documents, or None. Names are not resolved: a name is
    taken as the operator wrote it; an address literal must be a public one."""
    if not url:
        return "it is not set"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return "it is not a well-formed address"
    if parts.scheme not in ("http", "https") or not host:
        return "it is not an http:// or https:// address with a host name"
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, test in (
        ("a loopback", "is_loopback"),
        ("an unspecified (wildcard)", "is_unspecified"),
        ("a link-local", "is_link_local"),
        ("a private", "is_private"),
    ):
        if getattr(address, test):
            return f"{host} is {kind} address"
    if not address.is_global:
        return f"{host} is not a public address"
    return None


@register()
def public_address(app_configs, **kwargs):
    """Outside the demo, documents must point where their readers can reach: a signed PDF cannot be corrected."""
    if settings.DEBUG:
        return []
    url = getattr(settings, "ADMISSION_PUBLIC_URL", "")
    problem = public_url_problem(url)
    if problem is None:
        return []
    return [
        Error(
            f"ADMISSION_PUBLIC_URL ({url or 'unset'}) cannot be printed on official documents: {problem}. Every sealed "
            "PDF carries this address in its QR code and text and can never be corrected after it is signed.",
            hint="Set ADMISSION_PUBLIC_URL to the address users and document recipients type, e.g. "
            "https://admission.example.gov.cn (in /etc/admission/admission.env; see docs/operations.md). "
            "The demo (make demo) derives it from HOST and PORT.",
            id="admission.E001",
        )
    ]


@register(Tags.security, deploy=True)
def public_address_is_encrypted(app_configs, **kwargs):
    url = getattr(settings, "ADMISSION_PUBLIC_URL", "")
    if settings.DEBUG or public_url_problem(url) is not None or urlsplit(url).scheme == "https":
        return []
    return [
        Warning(
            f"ADMISSION_PUBLIC_URL ({url}) is not https://: logins and documents would travel unencrypted, and the "
            "session cookie is only sent over HTTPS.",
            hint="Serve the site through the TLS reverse proxy of deploy/nginx/ and set an https:// address.",
            id="admission.W003",
        )
    ]


@register(deploy=True)
def signing_keys_have_their_own_passphrases(app_configs, **kwargs):
    """Each issuing body's key opens with its own passphrase, so one leaked secret cannot seal for every body."""
    from .documents.pki import issuing_organizations
    from .documents.signing import Pkcs12Signer, get_signer, key_path, passphrase_source, passphrase_variable

    if settings.DEBUG or not isinstance(get_signer(), Pkcs12Signer):
        return []
    try:
        shared = [body for body in issuing_organizations() if key_path(body).exists() and not passphrase_source(body)]
    except DatabaseError:
        return []
    if not shared:
        return []
    return [
        Warning(
            f"{len(shared)} issuing bodies' signing keys have no passphrase of their own (e.g. {shared[0].name}): "
            "they open with the shared ADMISSION_SIGNING_PASSPHRASE or none.",
            hint=f"Re-export each key with its own passphrase and give it to the signing process as "
            f"{passphrase_variable(shared[0])} or the file org-<id>.pass in ADMISSION_SIGNING_SECRETS_DIR "
            "(docs/operations.md, 第 8 节).",
            id="admission.W011",
        )
    ]
