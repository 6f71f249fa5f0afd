"""HTML → PDF with WeasyPrint, on the GB/T 9704 layout of templates/documents/official.html."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations
from typing import Any

import pydyf
import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from ..models import OfficialDocument
from .fonts import face_css, fallback_families
from .seal import seal_svg, shape_mongolian
from .written import Written

TEXT_BLOCK_PT = 156 / 25.4 * 72
# Noto Sans Mongolian at `line-height: 1.2`: from the line's top to 0.88 em above its baseline (ascent 1.457 em,
# descent 0.293 em, so a half-leading of -0.275 em).
MONGOLIAN_TOP_EM = -0.275 + 1.457 - 0.88
# The bilingual mark (the Mongolian lines, then the Chinese) at most this tall, so that the title stays on page 1.
MARK_HEIGHT_PT = 60 / 25.4 * 72


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
    # 内政办发〔1996〕32号 art. 3: the Mongolian names above the Chinese mark, at its size (in em: as HarfBuzz shapes
    # them, which is how Pango lays them out); a letter carries its host's alone. Content frozen before they existed,
    # or a body without one, stays Chinese only.
    mongolian = content.get("issuers_mongolian") or []
    chinese_size = min(30 if letter else 36, TEXT_BLOCK_PT * 0.96 / max(width, 1))
    mongolian_lines, size = _bilingual_mark(
        tuple(mongolian[:1] if letter else mongolian), chinese_size, len(mark_lines)
    )
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
            "mark_size": size,
            "mongolian_lines": mongolian_lines,
            # The Mongolian line's em box (0.88 em above its baseline, as for the Chinese faces) starts where GB/T 9704
            # puts the mark's top edge: 35 mm below the text block's top, or the letterhead's 30 mm from the page's.
            "mongolian_margin": round((0 if letter else 35 / 25.4 * 72) - MONGOLIAN_TOP_EM * size, 2),
            "signers": [
                {"name": name, "seal": mark_safe(seal_svg(name, mongolian=mongolian[i] if mongolian else ""))}
                for i, name in enumerate(issuers)
            ],
            "signature_long": len(issuers[-1]) > len(content["date"]),
            "printed_by": content["signature"],
            "demo": demo,
            "font_faces": mark_safe(face_css()),
            "fallback": mark_safe(fallback_families()),
        },
    )


def _fold(name: str, count: int) -> list[str]:
    """`name` on `count` lines (fewer if it has fewer words), split at the spaces that even the lines out most."""
    words = name.split(" ")
    return min(
        (
            [" ".join(words[a:b]) for a, b in zip((0, *cuts), (*cuts, len(words)), strict=True)]
            for cuts in combinations(range(1, len(words)), min(count, len(words)) - 1)
        ),
        key=lambda lines: max(shape_mongolian(line).width for line in lines),
    )


@lru_cache(maxsize=256)
def _bilingual_mark(names: tuple[str, ...], chinese_size: float, chinese_lines: int) -> tuple[list[str], float]:
    """The Mongolian lines above the mark and the size both scripts share (内政办发〔1996〕32号 art. 3: the same).

    Each name goes on one to three lines (split at spaces), whichever lets the mark be largest while every line fits
    the text block and the whole mark stays within MARK_HEIGHT_PT (so that the title stays on page 1); never larger
    than the Chinese mark alone would be."""
    if not names:
        return [], round(chinese_size, 1)
    options = []
    for count in (1, 2, 3):
        lines = [part for name in names for part in _fold(name, count)]
        widest = max(shape_mongolian(line).width for line in lines)
        tallest = MARK_HEIGHT_PT / (1.2 * len(lines) + 0.2 + 1.25 * chinese_lines)
        options.append((min(chinese_size, TEXT_BLOCK_PT * 0.96 / widest, tallest), -len(lines), lines))
    size, _, lines = max(options)
    return lines, round(size, 1)


# PDF/A-3b (ISO 19005-3, level B): what the archives take (DA/T 47) besides OFD; 3 rather than 2 so that a later
# version may carry the OFD or the case's data as an associated file. WeasyPrint adds the XMP metadata, the sRGB
# output intent and the file identifier; the signature after it is an incremental update that keeps them.
PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    written: Written  # its objects before they were written, which the OFD reads instead of parsing `pdf` back


def render_pdf_with_objects(html: str) -> Rendered:
    from weasyprint import HTML

    finished: list[Any] = []

    def finish(_document: object, pdf: pydyf.PDF) -> None:
        _compress_streams_once(pdf)
        finished.append(pdf)

    data = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant=PDF_VARIANT, finisher=finish)
    return Rendered(pdf=data, written=Written(finished[0]))


def render_pdf(html: str) -> bytes:
    return render_pdf_with_objects(html).pdf


def _compress_streams_once(pdf: pydyf.PDF) -> None:
    """PDF/A needs a file identifier, which pydyf hashes over every object's bytes before writing them: each stream
    would be deflated twice (13 ms of a 90 ms write). The streams are finished here, so their bytes are kept."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream):
            obj.__class__ = _finished(type(obj))


_FINISHED: dict[Any, Any] = {}


def _finished(stream_class: Any) -> Any:
    """`stream_class` (pydyf's, or WeasyPrint's for pages) with its bytes made once."""
    if stream_class not in _FINISHED:
        data = cached_property(stream_class.data.fget)
        _FINISHED[stream_class] = type(f"Finished{stream_class.__name__}", (stream_class,), {"data": data})
    return _FINISHED[stream_class]
