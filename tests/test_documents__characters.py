"""Issue 14 part 3: every character prints, and every character can be read back out of the PDF.

A document whose title and body carry rare ideographs (CJK Extensions A–G), traditional Mongolian, Korean and the
symbols GB/T 9704 uses is rendered through the real template. No character may be drawn with the .notdef glyph
(checked in the PDF's text-showing operators, and on a rasterised page against the look of a missing glyph), and
poppler (pdftotext) and pdfminer must both give the source text back (a correct ToUnicode map for every subset).
"""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pdfminer.converter import PDFPageAggregator
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from PIL import Image, ImageChops

from admission.documents import fonts
from admission.documents.render import document_html, render_pdf
from admission.models import DocumentKind, OfficialDocument

pytestmark = pytest.mark.skipif(
    not all(Path(face.path).exists() for face in fonts.FALLBACK), reason="the fallback fonts are not installed"
)

# One line each, so that every line is a paragraph of the document and comes back as one line of text.
SAMPLER = [
    "𠮷𡈽𪚥𠀋𡵅",  # Extension B (吉 with 土 below, the 土 with a dot, four 龍, …)
    "㐀㑇㒇䶵",  # Extension A
    "𪜀𫝀𫠠𬺰𰀀𰻞",  # Extensions C, D, E, F, G (𰻞 biáng)
    "ᠠᠷᠤᠨ ᠬᠣᠰᠢᠭᠤ",  # Arun Banner in traditional Mongolian
    "ᠡᠸᠡᠩᠬᠢ ᠳᠠᠭᠤᠷ",  # Ewenki, Daur
    "조선족 향",  # Korean
    "〔2026〕①．“”《》—…、；：",  # GB/T 9704 punctuation and numbering
]


def sampler_document() -> OfficialDocument:
    content = {
        "mark": "阿荣旗人民政府文件",
        "issuers": ["阿荣旗人民政府"],
        "mark_suffix": "文件",
        "addressees": ["那吉镇人民政府"],
        "copies": [],
        "blocks": [{"p": line} for line in SAMPLER],
        "attachments": [],
        "signature": "阿荣旗人民政府",
        "letter": False,
        "signatory": "",
        "date": "2026年12月2日",
    }
    return OfficialDocument(
        kind=DocumentKind.ADMISSION_DECISION,
        number="阿政发〔2026〕1号",
        title="关于“𠮷𡈽”的通知",
        verification_code="ABCDEFGHJK",
        content=content,
    )


@pytest.fixture(scope="module")
def sampler_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("characters") / "sampler.pdf"
    path.write_bytes(render_pdf(document_html(sampler_document(), demo=False)))
    return path


CID_CHAR = re.compile(rb"^<([0-9a-fA-F]+)>\s+(\d+)$", re.M)
CID_RANGE = re.compile(rb"^<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)$", re.M)


def encodings(pdf: bytes) -> dict[str, dict[int, int]]:
    """Each Type 0 font whose encoding is not /Identity-H, with its code → CID map.

    WeasyPrint writes /Identity-H unless a font drew a glyph it does not have: then an embedded CMap ("WP-Encod-0")
    sends those codes to CID 0, the .notdef glyph — and pdfminer, which cannot apply such a CMap, reads no text at
    all from that font (the lost text of issue 14)."""
    document = PDFDocument(PDFParser(io.BytesIO(pdf)))
    maps: dict[str, dict[int, int]] = {}
    for xref in document.xrefs:
        for objid in xref.get_objids():
            font = resolve1(document.getobj(objid))
            if not isinstance(font, dict) or str(font.get("Subtype")) != "/'Type0'":
                continue
            encoding = resolve1(font.get("Encoding"))
            if str(encoding) == "/'Identity-H'":
                continue
            data = encoding.get_data() if isinstance(encoding, PDFStream) else b""
            table = {int(code, 16): int(cid) for code, cid in CID_CHAR.findall(data)}
            for start, end, cid in CID_RANGE.findall(data):
                first = int(start, 16)
                table.update({code: int(cid) + code - first for code in range(first, int(end, 16) + 1)})
            maps[resolve1(font["BaseFont"]).name] = table
    return maps


class _Recorder(PDFPageAggregator):
    """pdfminer's layout device, noting the font and CID of every glyph shown (in form XObjects too)."""

    def __init__(self, manager):
        super().__init__(manager, laparams=LAParams())
        self.shown: list[tuple[str, int]] = []

    def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
        self.shown.append((font.fontname, cid))
        return super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)


def missing_glyphs(pdf: bytes) -> list[tuple[str, int]]:
    """(font, code) of every glyph drawn as .notdef: CID 0 under /Identity-H (WeasyPrint's CID → glyph map is the
    identity), or a code the font's own encoding sends to CID 0."""
    manager = PDFResourceManager()
    device = _Recorder(manager)
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(pdf)):
        interpreter.process_page(page)
    missing = [(font, cid) for font, cid in device.shown if cid == 0]
    for font, table in encodings(pdf).items():
        missing += [(font, code) for code, cid in table.items() if cid == 0]
    return missing


def compact(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFC", text) if not c.isspace())


def test_every_glyph_in_the_pdf_is_a_real_glyph_not_notdef(sampler_pdf):
    """No glyph is .notdef, and each fallback face the sampler needs is the one that drew it."""
    pdf = sampler_pdf.read_bytes()
    assert missing_glyphs(pdf) == []
    assert encodings(pdf) == {}, "every font is written with the identity encoding"
    used = subprocess.run(["pdffonts", str(sampler_pdf)], capture_output=True, text=True, check=True).stdout
    for face in ("Noto-Sans-Mongolian", "HanaMinB", "BabelStone-Han"):
        assert face in used, f"{face} was not used: {used}"


def test_a_missing_glyph_is_caught_by_the_same_check():
    """The check above can fail: a character no installed face has (a plane-15 private-use one) is found."""
    document = sampler_document()
    document.content = {**document.content, "blocks": [{"p": "缺\U000f0041字"}]}
    pdf = render_pdf(document_html(document, demo=False))
    assert len(missing_glyphs(pdf)) == 1
    assert "缺" not in extract_text(io.BytesIO(pdf)), "pdfminer loses the text of a font with a missing glyph"


def test_poppler_and_pdfminer_give_back_the_source_text(sampler_pdf):
    """A correct ToUnicode map for every subset font: the Mongolian joining forms map back to their letters."""
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", str(sampler_pdf), "-"], capture_output=True, text=True)
    miner = extract_text(str(sampler_pdf))
    for text, tool in ((poppler.stdout, "pdftotext"), (miner, "pdfminer")):
        lines = [compact(line) for line in text.splitlines()]
        for source in [*SAMPLER, "关于“𠮷𡈽”的通知"]:
            assert compact(source) in lines, f"{tool} lost {source!r}: {lines}"


def _ink_box(image: Image.Image) -> Image.Image:
    grey = image.convert("L")
    box = ImageChops.invert(grey).getbbox()
    assert box is not None, "no ink"
    return grey.crop(box)


def _raster(pdf: bytes, directory: Path, name: str) -> Image.Image:
    (directory / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", directory / f"{name}.pdf", directory / name], check=True
    )
    return Image.open(directory / f"{name}.png").convert("L")


def _runs(values: list[int], *, gap: int = 1) -> list[tuple[int, int]]:
    """The [start, end) runs of indexes whose value is non-zero, bridging gaps of up to `gap` zeros."""
    runs: list[tuple[int, int]] = []
    for i, value in enumerate(values):
        if not value:
            continue
        if runs and i - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def glyph_cells(page: Image.Image) -> list[Image.Image]:
    """Every separately inked cell of the page: its lines of ink, cut where a column has no ink."""
    ink = ImageChops.invert(page).point(lambda v: 255 if v > 64 else 0)
    width, height = ink.size
    data = ink.tobytes()  # one byte a pixel ("L"), row by row
    rows = [sum(1 for x in range(0, width, 2) if data[y * width + x]) for y in range(height)]
    cells = []
    for top, bottom in _runs(rows):
        columns = [sum(1 for y in range(top, bottom) if data[y * width + x]) for x in range(width)]
        for left, right in _runs(columns):
            cells.append(page.crop((left, top, right, bottom)))
    return cells


def test_rasterised_page_shows_no_tofu_box(sampler_pdf, tmp_path):
    """No inked cell of poppler's raster of the sampler looks like the missing-glyph box of the body face."""
    page = _raster(sampler_pdf.read_bytes(), tmp_path, "sampler")
    # The look of a missing glyph: where a page with one in its body differs from the same page without it.
    missing, blank = sampler_document(), sampler_document()
    missing.content = {**missing.content, "blocks": [{"p": "\U000f0041"}]}
    blank.content = {**blank.content, "blocks": [{"p": "\u3000"}]}
    with_box = _raster(render_pdf(document_html(missing, demo=False)), tmp_path, "missing")
    box = ImageChops.difference(with_box, _raster(render_pdf(document_html(blank, demo=False)), tmp_path, "blank"))
    assert box.getbbox() is not None
    tofu = _ink_box(with_box.crop(box.getbbox()))
    assert sum(1 for cell in glyph_cells(with_box) if _looks_like(cell, tofu)) == 1, "the check finds a real box"
    assert not [cell.size for cell in glyph_cells(page) if _looks_like(cell, tofu)], "missing-glyph boxes drawn"


def _looks_like(cell: Image.Image, tofu: Image.Image) -> bool:
    if abs(cell.size[0] - tofu.size[0]) > 2 or abs(cell.size[1] - tofu.size[1]) > 2:
        return False
    differing = ImageChops.difference(cell.resize(tofu.size), tofu).point(lambda v: 255 if v > 96 else 0)
    return differing.histogram()[255] < 0.1 * tofu.size[0] * tofu.size[1]
