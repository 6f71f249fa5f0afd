"""System checks for what official documents need from the machine."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError


def _cjk_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    return [line for line in result.stdout.splitlines() if line.strip()]


@register()
def document_rendering_prerequisites(app_configs, **kwargs):
    warnings = []
    if not _cjk_fonts():
        warnings.append(Warning(
            "No CJK font is installed: official documents would render without Chinese glyphs.",
            hint="Install Debian's fonts-noto-cjk (make demo does), or the official faces (仿宋_GB2312, 方正小标宋).",
            id="admission.W001",
        ))
    if ctypes.util.find_library("harfbuzz-subset") is None:
        warnings.append(Warning(
            "HarfBuzz's subsetter (libharfbuzz-subset) is missing: WeasyPrint falls back to fontTools and a "
            "Chinese page takes about 13 s instead of 0.3 s.",
            hint="Install Debian's libharfbuzz-subset0.",
            id="admission.W002",
        ))
    return warnings


@register(deploy=True)
def no_superuser_in_production(app_configs, **kwargs):
    """三员分立: production runs with the three administrators, not an all-powerful superuser."""
    from django.contrib.auth import get_user_model

    if settings.DEBUG:
        return []
    try:
        names = list(get_user_model().objects.filter(is_superuser=True, is_active=True)
                     .values_list("username", flat=True)[:5])
    except DatabaseError:  # no database yet (first install): nothing to warn about
        return []
    if not names:
        return []
    return [Warning(
        f"Active superuser account(s) {', '.join(names)}: a superuser can do everything, unaudited by separation "
        "of duties.",
        hint="Give the system, security and audit administrators their groups (系统管理员, 安全管理员, 审计管理员) "
             "and deactivate the superuser (manage.py shell or the admin).",
        id="admission.W010",
    )]
