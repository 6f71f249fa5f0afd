"""HTML → PDF with WeasyPrint, on the GB/T 9704 layout of templates/documents/official.html."""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from ..models import OfficialDocument
from .fonts import face_css, fallback_families
from .seal import seal_svg

TEXT_BLOCK_PT = 156 / 25.4 * 72


def verify_url(document: OfficialDocument) -> str:
    return settings.ADMISSION_PUBLIC_URL.rstrip("/") + reverse("verify_document", args=[document.verification_code])


def document_html(document: OfficialDocument, *, demo: bool) -> str:
    content = document.content
    url = verify_url(document)
    letter = content.get("letter", False)
    # Content frozen before the layout keys existed: one issuer, the document format, the mark as it was.
    issuers = content.get("issuers") or [content["signature"]]
    if "issuers" not in content:
        mark_lines, suffix = [content["mark"]], ""
    elif letter:  # GB/T 9704 10.1: the issuer's name alone; a joint letter carries the host's only
        mark_lines, suffix = issuers[:1], ""
    else:  # 7.2.4: the name (each name of a joint issuer, stacked) and 文件 after it
        mark_lines, suffix = issuers, content["mark_suffix"]
    longest = max(len(line) for line in mark_lines)
    width = longest + len(suffix)
    return render_to_string(
        "documents/official.html",
        {
            "document": document,
            "content": content,
            "verify_url": url,
            "qr": segno.make(url, error="m").svg_data_uri(border=0),
            "letter": letter,
            # Stacked names run to the same width: the shorter ones spaced out (in em of the mark; the space after the
            # last character taken back).
            "mark_lines": [
                {"text": line, "spacing": round((longest - len(line)) / max(len(line) - 1, 1), 4)}
                for line in mark_lines
            ],
            "mark_suffix": suffix,
            # The mark is as large as 36 pt (30 pt on a letterhead) allows while each line fits the text block.
            "mark_size": min(30 if letter else 36, round(TEXT_BLOCK_PT * 0.96 / max(width, 1), 1)),
            "signers": [{"name": name, "seal": mark_safe(seal_svg(name))} for name in issuers],
            "signature_long": len(issuers[-1]) > len(content["date"]),
            "printed_by": content["signature"],
            "demo": demo,
            "font_faces": mark_safe(face_css()),
            "fallback": mark_safe(fallback_families()),
        },
    )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
