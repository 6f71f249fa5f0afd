"""HTML → PDF with WeasyPrint, on the GB/T 9704 layout of templates/documents/official.html."""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from ..models import OfficialDocument
from .fonts import face_css
from .seal import seal_svg

TEXT_BLOCK_PT = 156 / 25.4 * 72


def verify_url(document: OfficialDocument) -> str:
    return settings.ADMISSION_PUBLIC_URL.rstrip("/") + reverse("verify_document", args=[document.verification_code])


def document_html(document: OfficialDocument, *, demo: bool) -> str:
    content = document.content
    url = verify_url(document)
    return render_to_string("documents/official.html", {
        "document": document,
        "content": content,
        "verify_url": url,
        "qr": segno.make(url, error="m").svg_data_uri(border=0),
        # The header mark is as large as 36 pt allows while staying on one line of the text block.
        "mark_size": min(36, round(TEXT_BLOCK_PT * 0.96 / max(len(content["mark"]), 1), 1)),
        "seal": mark_safe(seal_svg(document.issuer.official_name or document.issuer.name)),
        "printed_by": content["signature"],
        "demo": demo,
        "font_faces": mark_safe(face_css()),
    })


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
