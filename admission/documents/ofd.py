"""The same document as OFD (GB/T 33190-2016), for the region's office platform and the archives (DA/T 47).

It is made from the very page WeasyPrint laid out: the rendered PDF is read back (pdfminer, which reports every glyph
with its font, size, matrix and colour, and every painted path with the transformation applied) and written again
as OFD objects at the same positions — text as TextObjects (real, selectable, searchable text with each character's
advance), the red rules, the seal, the star, the Mongolian glyph outlines and the QR code as vector PathObjects — with
the fonts the PDF embeds (the same subsets) embedded in the package. Coordinates are millimetres from the top left.

What is not carried over: the PAdES signature (OFD has its own, GB/T 38540 with SM2/SM3; see docs/documents.md).
The file is registered by its SHA-256 like the PDF and checked on /verify/ the same way.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import literal_name
from pdfminer.utils import apply_matrix_pt

MM = 25.4 / 72
NAMESPACE = "http://www.ofdspec.org/2016"
# A fixed time for every member of the package: the same document always gives the same bytes.
ZIP_TIME = (2016, 1, 1, 0, 0, 0)


@dataclass
class Glyph:
    text: str
    font: str
    size: float  # the em, in points
    matrix: tuple[float, float, float, float, float, float]  # glyph space (1 = one em) to page space, PDF points
    advance: float  # points along the baseline
    colour: tuple[int, int, int]
    alpha: float


@dataclass
class Path:
    segments: list[tuple]  # ("m"|"l"|"c"|"h", points…) in page space, PDF points
    stroke: bool
    fill: bool
    evenodd: bool
    stroke_colour: tuple[int, int, int]
    fill_colour: tuple[int, int, int]
    line_width: float
    alpha: float


@dataclass
class Page:
    width: float
    height: float
    items: list[Glyph | Path] = field(default_factory=list)


def _rgb(colour) -> tuple[int, int, int]:
    if colour is None:
        return (0, 0, 0)
    values = tuple(colour) if isinstance(colour, (list, tuple)) else (colour,)
    values = values * 3 if len(values) == 1 else values[:3]
    return tuple(max(0, min(255, round(float(v) * 255))) for v in values)  # type: ignore[return-value]


class _Collector(PDFLayoutAnalyzer):
    """Every glyph and every painted path of each page, in drawing order."""

    def __init__(self, manager: PDFResourceManager):
        super().__init__(manager, pageno=1, laparams=None)
        self.pages: list[Page] = []

    def begin_page(self, page, ctm):
        super().begin_page(page, ctm)
        x0, y0, x1, y1 = page.mediabox
        self.pages.append(Page(width=x1 - x0, height=y1 - y0))

    def paint_path(self, gstate, stroke, fill, evenodd, path):
        segments = []
        for segment in path:
            operator, operands = segment[0], [float(v) for v in segment[1:]]
            points = [apply_matrix_pt(self.ctm, (operands[i], operands[i + 1])) for i in range(0, len(operands), 2)]
            segments.append((operator, *points))
        scale = math.hypot(self.ctm[0], self.ctm[1])
        self.pages[-1].items.append(
            Path(
                segments=segments,
                stroke=stroke,
                fill=fill,
                evenodd=evenodd,
                stroke_colour=_rgb(gstate.scolor),
                fill_colour=_rgb(gstate.ncolor),
                line_width=gstate.linewidth * scale,
                alpha=getattr(gstate, "fill_alpha", 1.0) if fill else getattr(gstate, "stroke_alpha", 1.0),
            )
        )

    def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
        try:
            text = font.to_unichr(cid)
        except Exception:  # a glyph without text: nothing a reader could search or draw from the text
            text = ""
        advance = font.char_width(cid) * fontsize * scaling
        a, b, c, d, e, f = matrix
        if text:
            self.pages[-1].items.append(
                Glyph(
                    text=text,
                    font=font.fontname,
                    size=fontsize * math.hypot(a, b),
                    matrix=(a * fontsize, b * fontsize, c * fontsize, d * fontsize, e, f),
                    advance=advance * math.hypot(a, b),
                    colour=_rgb(graphicstate.ncolor),
                    alpha=getattr(graphicstate, "fill_alpha", 1.0),
                )
            )
        return advance


class _Interpreter(PDFPageInterpreter):
    """pdfminer's interpreter, keeping the fill and stroke opacity an ExtGState sets (the demo watermark, the seal)."""

    def init_resources(self, resources):
        super().init_resources(resources)
        self.extgstates = resolve1((resources or {}).get("ExtGState")) or {}

    def do_gs(self, name):
        state = resolve1(self.extgstates.get(literal_name(name))) or {}
        if "ca" in state:
            self.graphicstate.fill_alpha = float(state["ca"])
        if "CA" in state:
            self.graphicstate.stroke_alpha = float(state["CA"])


def read_pages(pdf: bytes) -> list[Page]:
    manager = PDFResourceManager()
    collector = _Collector(manager)
    interpreter = _Interpreter(manager, collector)
    for page in PDFPage.get_pages(io.BytesIO(pdf)):
        interpreter.process_page(page)
    return collector.pages


def embedded_fonts(pdf: bytes) -> dict[str, tuple[bytes, str]]:
    """The font programs the PDF embeds, by base font name: (data, file extension)."""
    document = PDFDocument(PDFParser(io.BytesIO(pdf)))
    fonts: dict[str, tuple[bytes, str]] = {}
    for xref in document.xrefs:
        for objid in xref.get_objids():
            font = resolve1(document.getobj(objid))
            if not isinstance(font, dict) or str(font.get("Type")) != "/'Font'" or "BaseFont" not in font:
                continue
            described = font
            if "DescendantFonts" in font:
                described = resolve1(resolve1(font["DescendantFonts"])[0])
            descriptor = resolve1(described.get("FontDescriptor"))
            if not isinstance(descriptor, dict):
                continue
            for key, extension in (("FontFile2", "ttf"), ("FontFile3", "otf"), ("FontFile", "pfb")):
                stream = resolve1(descriptor.get(key))
                if isinstance(stream, PDFStream):
                    fonts[literal_name(font["BaseFont"])] = (stream.get_data(), extension)
                    break
    return fonts


def _mm(value: float) -> str:
    return f"{value * MM:.3f}".rstrip("0").rstrip(".")


def _family(base_font: str) -> str:
    """JHSLKP+Noto-Serif-CJK-SC-GB2312-Bold → Noto Serif CJK SC (the family a reader without the file may use)."""
    name = base_font.split("+", 1)[-1]
    for suffix in ("-Bold", "-GB2312"):
        name = name.removesuffix(suffix)
    return name.replace("-", " ")


class _Writer:
    def __init__(self, fonts: dict[str, tuple[bytes, str]]):
        self.next_id = 1
        self.font_ids: dict[str, int] = {}
        self.fonts = fonts

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def font_id(self, name: str) -> int:
        if name not in self.font_ids:
            self.font_ids[name] = self.new_id()
        return self.font_ids[name]

    def text_object(self, run: list[Glyph], page_height: float) -> str:
        first = run[0]
        a, b, _, _, e, f = first.matrix
        angle = math.atan2(b, a)  # counter-clockwise on the page
        origin_x, origin_y = e * MM, (page_height - f) * MM
        size = first.size * MM
        deltas = []
        for previous, glyph in zip(run, run[1:], strict=False):
            deltas.append(math.hypot(glyph.matrix[4] - previous.matrix[4], glyph.matrix[5] - previous.matrix[5]) * MM)
        length = sum(deltas) + run[-1].advance * MM
        # The object's box: the run's extent around its baseline, turned with it; its origin top left.
        corners = [(0.0, -size), (length, -size), (length, size * 0.3), (0.0, size * 0.3)]
        cos, sin = math.cos(angle), math.sin(angle)
        turned = [(origin_x + x * cos + y * sin, origin_y - x * sin + y * cos) for x, y in corners]
        left, top = min(x for x, _ in turned), min(y for _, y in turned)
        width, height = max(x for x, _ in turned) - left, max(y for _, y in turned) - top
        attributes = (
            f'ID="{self.new_id()}" Boundary="{left:.3f} {top:.3f} {width:.3f} {height:.3f}" '
            f'Font="{self.font_id(first.font)}" Size="{size:.3f}"'
        )
        if abs(angle) > 1e-4:  # y grows downwards in OFD: a turn counter-clockwise on the page is (cos, -sin, sin, cos)
            attributes += f' CTM="{cos:.5f} {-sin:.5f} {sin:.5f} {cos:.5f} {origin_x - left:.3f} {origin_y - top:.3f}"'
            x, y = 0.0, 0.0
        else:
            x, y = origin_x - left, origin_y - top
        if first.alpha < 1:
            attributes += f' Alpha="{round(first.alpha * 255)}"'
        delta = f' DeltaX="{" ".join(f"{d:.3f}" for d in deltas)}"' if deltas else ""
        text = escape("".join(g.text for g in run))
        colour = " ".join(map(str, first.colour))
        return (
            f'<ofd:TextObject {attributes}><ofd:FillColor Value="{colour}"/>'
            f'<ofd:TextCode X="{x:.3f}" Y="{y:.3f}"{delta}>{text}</ofd:TextCode></ofd:TextObject>'
        )

    def path_object(self, path: Path, page_height: float) -> str | None:
        points = [(x * MM, (page_height - y) * MM) for segment in path.segments for x, y in segment[1:]]
        if not points or not (path.stroke or path.fill):
            return None
        pad = path.line_width * MM / 2 if path.stroke else 0.0
        left, top = min(x for x, _ in points) - pad, min(y for _, y in points) - pad
        width = max(x for x, _ in points) + pad - left
        height = max(y for _, y in points) + pad - top
        data = []
        for operator, *coordinates in path.segments:
            local = " ".join(f"{x * MM - left:.3f} {(page_height - y) * MM - top:.3f}" for x, y in coordinates)
            data.append(
                {"m": "M", "l": "L", "c": "B", "v": "B", "y": "B", "h": "C"}[operator] + (" " + local if local else "")
            )
        attributes = (
            f'ID="{self.new_id()}" Boundary="{left:.3f} {top:.3f} {max(width, 0.01):.3f} {max(height, 0.01):.3f}" '
            f'Stroke="{str(path.stroke).lower()}" Fill="{str(path.fill).lower()}"'
        )
        if path.stroke:
            attributes += f' LineWidth="{path.line_width * MM:.3f}"'
        if path.evenodd:
            attributes += ' Rule="Even-Odd"'
        if path.alpha < 1:
            attributes += f' Alpha="{round(path.alpha * 255)}"'
        colours = ""
        if path.stroke:
            colours += f'<ofd:StrokeColor Value="{" ".join(map(str, path.stroke_colour))}"/>'
        if path.fill:
            colours += f'<ofd:FillColor Value="{" ".join(map(str, path.fill_colour))}"/>'
        return f"<ofd:PathObject {attributes}>{colours}<ofd:AbbreviatedData>{' '.join(data)}</ofd:AbbreviatedData></ofd:PathObject>"

    def page(self, page: Page) -> str:
        objects: list[str] = []
        run: list[Glyph] = []

        def flush() -> None:
            if run:
                objects.append(self.text_object(run, page.height))
                run.clear()

        for item in page.items:
            if isinstance(item, Glyph):
                if run and not _continues(run[-1], item):
                    flush()
                run.append(item)
                if len(item.text) > 1:  # a ligature (Mongolian joining forms): a run of its own
                    flush()
            else:
                flush()
                drawn = self.path_object(item, page.height)
                if drawn:
                    objects.append(drawn)
        flush()
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NAMESPACE}"><ofd:Content>'
            f'<ofd:Layer ID="{self.new_id()}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        )


def _continues(previous: Glyph, glyph: Glyph) -> bool:
    """Whether `glyph` goes on `previous`'s run: same font, size, colour, direction, on its baseline, after it."""
    if (previous.font, previous.colour, previous.alpha) != (glyph.font, glyph.colour, glyph.alpha):
        return False
    if len(previous.text) > 1 or abs(previous.size - glyph.size) > 0.01:
        return False
    if any(abs(p - g) > 1e-3 for p, g in zip(previous.matrix[:4], glyph.matrix[:4], strict=True)):
        return False
    a, b = previous.matrix[0], previous.matrix[1]
    dx, dy = glyph.matrix[4] - previous.matrix[4], glyph.matrix[5] - previous.matrix[5]
    along = (dx * a + dy * b) / math.hypot(a, b)
    across = (-dx * b + dy * a) / math.hypot(a, b)
    return abs(across) < 0.01 and 0 <= along < 4 * previous.size


def pdf_to_ofd(pdf: bytes, *, title: str, author: str, code: str, number: str, date: str) -> bytes:
    """The OFD package of the document rendered as `pdf`: one page each, the same objects at the same places."""
    pages = read_pages(pdf)
    fonts = embedded_fonts(pdf)
    writer = _Writer(fonts)
    page_xml = [writer.page(page) for page in pages]
    font_entries = []
    font_files = {}
    for name, font_id in writer.font_ids.items():
        entry = f'<ofd:Font ID="{font_id}" FontName={quoteattr(name)} FamilyName={quoteattr(_family(name))}'
        if name in fonts:
            data, extension = fonts[name]
            filename = f"font_{font_id}.{extension}"
            font_files[f"Doc_0/Res/{filename}"] = data
            entry += f"><ofd:FontFile>{filename}</ofd:FontFile></ofd:Font>"
        else:
            entry += "/>"
        font_entries.append(entry)
    width, height = (pages[0].width * MM, pages[0].height * MM) if pages else (210.0, 297.0)
    members = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NAMESPACE}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>{escape(code)}</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
            f"<ofd:Author>{escape(author)}</ofd:Author><ofd:Creator>乡镇职责准入</ofd:Creator>"
            f'<ofd:CustomDatas><ofd:CustomData Name="验证码">{escape(code)}</ofd:CustomData>'
            f'<ofd:CustomData Name="发文字号">{escape(number)}</ofd:CustomData>'
            f'<ofd:CustomData Name="成文日期">{escape(date)}</ofd:CustomData></ofd:CustomDatas>'
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NAMESPACE}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>{writer.next_id}</ofd:MaxUnitID><ofd:PageArea>"
            f"<ofd:PhysicalBox>0 0 {width:.3f} {height:.3f}</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>"
            + "".join(f'<ofd:Page ID="{1000 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(page_xml)))
            + "</ofd:Pages></ofd:Document>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NAMESPACE}" BaseLoc="Res">'
            f"<ofd:Fonts>{''.join(font_entries)}</ofd:Fonts></ofd:Res>"
        ),
        **{f"Doc_0/Pages/Page_{i}/Content.xml": xml for i, xml in enumerate(page_xml)},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, text in members.items():
            package.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode(), compress_type=zipfile.ZIP_DEFLATED)
        for name, data in font_files.items():
            package.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def is_ofd(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "OFD.xml" in package.namelist()
    except zipfile.BadZipFile:
        return False


def claimed_code(data: bytes) -> str:
    """The verification code an OFD of ours names in its document information (DocID), or ""."""
    import re

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            info = package.open("OFD.xml").read(200_000).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError):
        return ""
    match = re.search(r"<ofd:DocID>([0-9A-Z]{10})</ofd:DocID>", info)
    return match.group(1) if match else ""
