"""Issue 14 part 5: every document is also issued as OFD (GB/T 33190-2016), from the same layout.

Real text objects at the PDF's positions, vector paths for the rules, seal and QR code, the fonts embedded; stored
once with its SHA-256 beside the PDF, downloadable, accepted by /verify/ and `verify_document`; and an independent
reader (easyofd) renders it like the PDF (a bounded pixel difference).
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import zipfile
from functools import partial
from io import StringIO
from pathlib import Path
from xml.etree import ElementTree as ET

import pdfplumber
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image, ImageChops, ImageFilter, ImageStat

from admission.documents.ofd import _DRAWINGS, MM, pdf_to_ofd
from admission.documents.ofd import Path as Path_
from admission.documents.render import document_html, render_pdf, render_pdf_with_objects
from admission.documents.verification import verify_file
from tests.test_documents__signing import keys, letter  # noqa: F401  (fixtures)

OFD = {"ofd": "http://www.ofdspec.org/2016"}
RED = "215 0 15"


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def text_objects(page_xml: bytes) -> list[tuple[float, float, str, str]]:
    """(x, y) of each TextCode's first character on the page (mm from the top left), its text, its font id."""
    found = []
    for obj in ET.fromstring(page_xml).iter(f"{{{OFD['ofd']}}}TextObject"):
        left, top, *_ = (float(v) for v in obj.get("Boundary", "").split())
        for code in obj.findall("ofd:TextCode", OFD):
            x, y = float(code.get("X", 0)), float(code.get("Y", 0))
            if obj.get("CTM"):
                x, y = (float(v) for v in obj.get("CTM", "").split()[4:6])
            found.append((left + x, top + y, code.text or "", obj.get("Font", "")))
    return found


def test_ofd_is_stored_once_with_its_sha256_beside_the_pdf(letter):  # noqa: F811
    data = letter.ofd_file.read()
    assert letter.ofd_file.name.endswith(f"{letter.verification_code}.ofd")
    assert hashlib.sha256(data).hexdigest() == letter.ofd_sha256 and len(data) == letter.ofd_size
    assert letter.ofd_sha256 != letter.sha256


def test_ofd_package_has_the_gbt33190_structure_with_its_fonts_embedded(letter):  # noqa: F811
    files = members(letter.ofd_file.read())
    root = ET.fromstring(files["OFD.xml"])
    assert root.tag == f"{{{OFD['ofd']}}}OFD" and root.get("DocType") == "OFD"
    assert root.findtext("ofd:DocBody/ofd:DocInfo/ofd:DocID", namespaces=OFD) == letter.verification_code
    assert root.findtext("ofd:DocBody/ofd:DocRoot", namespaces=OFD) == "Doc_0/Document.xml"
    document = ET.fromstring(files["Doc_0/Document.xml"])
    assert document.findtext("ofd:CommonData/ofd:PageArea/ofd:PhysicalBox", namespaces=OFD) == "0 0 210.000 297.000"
    pages = document.findall("ofd:Pages/ofd:Page", OFD)
    with pdfplumber.open(io.BytesIO(letter.file.read())) as pdf:
        assert len(pages) == len(pdf.pages)
    fonts = ET.fromstring(files["Doc_0/PublicRes.xml"]).findall("ofd:Fonts/ofd:Font", OFD)
    assert fonts
    for font in fonts:
        file = font.findtext("ofd:FontFile", namespaces=OFD)
        assert file and files[f"Doc_0/Res/{file}"][:4] in (b"OTTO", b"\x00\x01\x00\x00"), font.attrib


def test_ofd_text_is_real_text_at_the_pdfs_positions(letter):  # noqa: F811
    files = members(letter.ofd_file.read())
    with pdfplumber.open(io.BytesIO(letter.file.read())) as pdf:
        page = pdf.pages[0]
        chars = [c for c in page.chars if c["upright"]]
    placed = text_objects(files["Doc_0/Pages/Page_0/Content.xml"])
    flat = "".join(text for *_, text, _ in placed)
    for expected in (letter.number, letter.title[:10], letter.verification_code):
        assert expected in flat, f"{expected!r} is not searchable text in the OFD"
    # Each text object starts where its first character stands in the PDF (baseline origin, within 0.05 mm).
    origins = {(c["matrix"][4] * MM, (page.height - c["matrix"][5]) * MM) for c in chars}
    for x, y, text, _ in placed:
        assert any(abs(x - ox) <= 0.05 and abs(y - oy) <= 0.05 for ox, oy in origins), (text, x, y)


def test_ofd_draws_rules_seal_and_qr_code_as_vector_paths(letter):  # noqa: F811
    page = ET.fromstring(members(letter.ofd_file.read())["Doc_0/Pages/Page_0/Content.xml"])
    paths = page.findall(".//ofd:PathObject", OFD)
    red = [p for p in paths if RED in {c.get("Value") for c in p}]
    black = [p for p in paths if "0 0 0" in {c.get("Value") for c in p}]
    assert len(red) >= 4, "the letterhead's double lines"
    modules = sum(p.findtext("ofd:AbbreviatedData", namespaces=OFD).count("M ") for p in black)
    assert modules > 50, "the QR code's modules"
    assert all(p.findtext("ofd:AbbreviatedData", namespaces=OFD).startswith("M ") for p in paths)


def test_ofd_reads_a_seal_drawn_before_from_memory_and_writes_the_same_package(letter):  # noqa: F811
    """Issue 14 part 6: the seal's paths (most of a document's drawing) are read once per process; the package made
    from memory is byte for byte the one read afresh, the seal's Chinese characters (text) still read each time."""
    pdf = render_pdf(document_html(letter, demo=False))
    make = partial(pdf_to_ofd, pdf, title=letter.title, author="", code=letter.verification_code, number="", date="")
    _DRAWINGS.clear()
    afresh = make()
    recorded = list(_DRAWINGS.values())
    assert recorded, "the seal's drawing is recorded"
    assert any(isinstance(entry, tuple) for entry in recorded[0]), "the seal's characters are called, not recorded"
    segments = sum(len(entry.segments) for entry in recorded[0] if isinstance(entry, Path_))
    assert segments > 500, "the ring, the star and the Mongolian outlines"
    assert make() == afresh


def test_ofd_made_from_the_pdfs_objects_is_the_ofd_read_from_the_written_file(letter):  # noqa: F811
    """Issue 14 part 5–6: the pipeline reads the PDF's objects as WeasyPrint made them rather than parsing the file
    back; both ways give the same package, byte for byte (fonts, text, the seal's paths)."""
    rendered = render_pdf_with_objects(document_html(letter, demo=False))
    make = partial(pdf_to_ofd, title=letter.title, author="", code=letter.verification_code, number="", date="")
    _DRAWINGS.clear()
    from_objects = make(rendered.written)
    _DRAWINGS.clear()
    assert make(rendered.pdf) == from_objects
    with zipfile.ZipFile(io.BytesIO(from_objects)) as package:
        fonts = package.read("Doc_0/PublicRes.xml").decode()
    assert 'FontName="' in fonts and "b'" not in fonts


# --- an independent reader: easyofd renders the OFD like the PDF -----------------------------------------------------


def easyofd_pages(data: bytes, directory: Path, monkeypatch) -> list[Image.Image]:
    """easyofd's own rendering (OFD → its PDF → PyMuPDF raster, 144 dpi). It draws all text in the face it calls
    宋体, which a Debian machine does not have: HanaMinA (fonts-hanazono, TrueType as its PDF library needs) is
    registered under that name, as one would install SimSun. It writes embedded fonts into the working directory."""
    import logging

    from easyofd.ofd import OFD as Reader
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

    pdfmetrics.registerFont(TTFont("宋体", "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"))
    monkeypatch.chdir(directory)
    logging.disable(logging.WARNING)  # one warning per character it cannot draw
    try:
        reader = Reader()
        reader.read(base64.b64encode(data).decode(), fmt="b64")
        return [image.convert("L") for image in reader.to_jpg()]
    finally:
        logging.disable(logging.NOTSET)


def pdf_pages(pdf: bytes, directory: Path) -> list[Image.Image]:
    (directory / "document.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "144", directory / "document.pdf", directory / "page"], check=True)
    return [Image.open(p).convert("L") for p in sorted(directory.glob("page-*.png"))]


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean grey difference (0–255) of the two pages at 18 dpi, blurred: where ink lies, not which face drew it."""
    size = (a.width // 8, a.height // 8)
    small = [image.resize(size).filter(ImageFilter.GaussianBlur(1.5)) for image in (a, b.resize(a.size))]
    return ImageStat.Stat(ImageChops.difference(*small)).mean[0]


# Measured 2026-12-02 on the consultation letter: 3.3, 0.7, 0.6 for its three pages against their OFD rendering
# (page 1 has the Mongolian mark, which easyofd draws as boxes); 11.2 for page 1 against page 3.
BOUND = 6.0


def test_easyofd_renders_the_ofd_like_the_pdf(letter, tmp_path, monkeypatch):  # noqa: F811
    """Without the demo watermark (easyofd draws rotated, translucent text upright and opaque)."""
    pdf = render_pdf(document_html(letter, demo=False))
    ofd = pdf_to_ofd(pdf, title=letter.title, author="", code=letter.verification_code, number="", date="")
    rasters = pdf_pages(pdf, tmp_path)
    readers = easyofd_pages(ofd, tmp_path, monkeypatch)
    assert len(readers) == len(rasters)
    for number, (ours, theirs) in enumerate(zip(rasters, readers, strict=True), 1):
        assert difference(ours, theirs) < BOUND, f"page {number}: {difference(ours, theirs):.2f}"
    if len(rasters) > 1:  # the bound tells pages apart
        assert difference(rasters[0], readers[1]) > BOUND


# --- registered, downloadable, verified ------------------------------------------------------------------------------


def test_verify_accepts_the_registered_ofd_and_refuses_an_altered_one(letter):  # noqa: F811
    data = letter.ofd_file.read()
    verdict = verify_file(data)
    assert (verdict.format, verdict.registered, verdict.valid, verdict.document) == ("ofd", True, True, letter)
    altered = bytearray(data)
    altered[len(altered) // 2] ^= 0x01
    verdict = verify_file(bytes(altered))
    assert not verdict.valid and not verdict.registered
    assert verdict.document == letter and "不一致" in verdict.problem, "it names the document it claims to be"


def test_verify_document_command_takes_an_ofd(letter, tmp_path):  # noqa: F811
    path = tmp_path / "document.ofd"
    path.write_bytes(letter.ofd_file.read())
    out = StringIO()
    call_command("verify_document", str(path), stdout=out)
    assert "format=ofd registered=True" in out.getvalue() and "VALID" in out.getvalue()
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CommandError):
        call_command("verify_document", str(path), stdout=StringIO())


def test_public_verification_page_takes_the_ofd(letter, client):  # noqa: F811
    upload = SimpleUploadedFile("document.ofd", letter.ofd_file.read(), content_type="application/ofd")
    response = client.post(reverse("verify_upload"), {"file": upload})
    assert response.status_code == 200
    assert "与登记文件逐字节一致" in response.content.decode()


def test_parties_download_the_ofd_beside_the_pdf(letter, client, banner, other_banner):  # noqa: F811
    url = reverse("admission:document_download_ofd", args=[letter.pk])
    client.force_login(other_banner.users["forestry"])
    assert client.get(url).status_code == 404, "as permission-checked as the PDF"
    client.force_login(banner.users["naji"])  # the township it is addressed to
    listing = client.get(reverse("admission:document_list")).content.decode()
    assert reverse("admission:document_download_ofd", args=[letter.pk]) in listing
    response = client.get(reverse("admission:document_download_ofd", args=[letter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/ofd"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == letter.ofd_sha256
    assert response["Content-Disposition"].startswith("attachment") and response["Content-Disposition"].endswith(".ofd")
