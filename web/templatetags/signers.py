"""A certificate's subject as people in a Chinese office read it (the signature library writes it in English)."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext as _

register = template.Library()

# asn1crypto's human_friendly: "Common Name: 阿荣旗林业和草原局, Organization: 阿荣旗人民政府, Country: CN".
LABELS = {
    "Common Name": lambda: _("名称"),
    "Organization": lambda: _("单位"),
    "Organizational Unit": lambda: _("部门"),
    "Locality": lambda: _("地区"),
    "State/Province": lambda: _("省（自治区）"),
    "Country": lambda: _("国家或地区"),
    "Email Address": lambda: _("电子邮箱"),
    "Serial Number": lambda: _("序列号"),
}
PART = re.compile(rf"(?:^|, )({'|'.join(re.escape(label) for label in LABELS)}): ")


@register.filter
def signer_in_words(subject: str) -> str:
    """ "阿荣旗林业和草原局（单位：阿荣旗人民政府；国家或地区：CN）": the name first, the rest in brackets."""
    pieces = PART.split(subject or "")
    if len(pieces) < 3:
        return subject
    fields = dict(zip(pieces[1::2], pieces[2::2], strict=False))
    name = fields.pop("Common Name", "")
    rest = "；".join(f"{LABELS[label]()}：{value}" for label, value in fields.items())
    return f"{name}（{rest}）" if name and rest else name or rest
