"""Issue 14 part 4: documents are PDF/A-3b (ISO 19005-3, level B) and stay so after the PAdES signature.

No PDF/A-2/3 validator installs here from the package registries (veraPDF is distributed from its own site and Maven
Central only; Debian's PDFBox Preflight checks PDF/A-1 alone), so this module checks the ISO 19005-3 requirements
that WeasyPrint's output and pyHanko's incremental update can break, clause by clause, with pypdf — on the file as
rendered and on the file as signed — and poppler's pdfsig checks the signature.
"""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from admission.documents.render import document_html, render_pdf
from tests.test_documents__signing import keys, letter  # noqa: F401  (fixtures)

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
PRINT, HIDDEN, INVISIBLE, NO_VIEW, TOGGLE_NO_VIEW = 4, 2, 1, 32, 256


def _xmp_values(xmp: bytes) -> dict[str, str]:
    """The simple XMP properties (as attributes or elements) and the first item of each dc array."""
    root = ET.fromstring(xmp[xmp.index(b"<x:xmpmeta") : xmp.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")])
    names = {f"{{{uri}}}": prefix for prefix, uri in NS.items()}
    values: dict[str, str] = {}
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        for key, value in description.attrib.items():
            for uri, prefix in names.items():
                if key.startswith(uri):
                    values[f"{prefix}:{key[len(uri) :]}"] = value
        for child in description:
            for uri, prefix in names.items():
                if child.tag.startswith(uri):
                    item = child.find(".//rdf:li", NS)
                    values[f"{prefix}:{child.tag[len(uri) :]}"] = (item.text if item is not None else child.text) or ""
    return values


def _fonts(resources, seen: set[int]) -> list[DictionaryObject]:
    """Every font dictionary reachable from a resource dictionary, through form XObjects too."""
    found: list[DictionaryObject] = []
    resources = resources.get_object() if resources is not None else {}
    for font in (resources.get("/Font") or {}).values():
        found.append(font.get_object())
    for xobject in (resources.get("/XObject") or {}).values():
        if isinstance(xobject, IndirectObject):
            if xobject.idnum in seen:
                continue
            seen.add(xobject.idnum)
        stream = xobject.get_object()
        if stream.get("/Subtype") == "/Form":
            found += _fonts(stream.get("/Resources"), seen)
    return found


def pdfa_3b_problems(data: bytes) -> list[str]:
    """What keeps `data` from being PDF/A-3b, by clause of ISO 19005-3 (the clauses it shares with 19005-2)."""
    problems = []
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    header, second = data.split(b"\n", 2)[:2]
    if not re.fullmatch(rb"%PDF-1\.[0-7]", header.strip()):
        problems.append(f"6.1.2 header {header!r}")
    if not (second.startswith(b"%") and sum(1 for b in second[1:5] if b > 127) == 4):
        problems.append("6.1.2 no binary comment after the header")
    trailer = reader.trailer
    if "/ID" not in trailer:
        problems.append("6.1.3 no file identifier")
    if "/Encrypt" in trailer:
        problems.append("6.1.3 encrypted")
    if not data.rstrip().endswith(b"%%EOF"):
        problems.append("6.1.3 no %%EOF at the end")
    root: Any = trailer["/Root"].get_object()
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    if not any(i.get("/S") == "/GTS_PDFA1" and isinstance(i.get("/DestOutputProfile"), object) for i in intents):
        problems.append("6.2.3 no PDF/A output intent")
    for intent in intents:
        profile = intent["/DestOutputProfile"].get_object()
        if profile.get("/N") != 3 or profile.get_data()[36:40] != b"acsp":
            problems.append("6.2.3 the output intent's profile is not an RGB ICC profile")
    if "/AA" in root or "/JavaScript" in (root.get("/Names") or {}):
        problems.append("6.6.1 actions or JavaScript in the catalog")
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, 1):
        if "/AA" in page:
            problems.append(f"6.6.1 page {number} has additional actions")
        for font in _fonts(page.get("/Resources"), seen):
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if isinstance(descendants, ArrayObject) else font
            descriptor = described.get("/FontDescriptor")
            if descriptor is None or not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object()):
                problems.append(f"6.2.11.4 font {font.get('/BaseFont')} not embedded")
            if font.get("/Subtype") == "/Type0" and "/ToUnicode" not in font:
                problems.append(f"(level U) font {font.get('/BaseFont')} has no ToUnicode map")
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            flags = int(annotation.get("/F", 0))
            if not flags & PRINT or flags & (HIDDEN | INVISIBLE | NO_VIEW | TOGGLE_NO_VIEW):
                problems.append(f"6.3.2 annotation {annotation.get('/Subtype')} flags {flags}")
            rect = [float(v) for v in annotation.get("/Rect", [0, 0, 0, 0])]
            if rect[2] - rect[0] and rect[3] - rect[1] and "/AP" not in annotation:
                problems.append("6.3.3 a visible annotation without an appearance")
    metadata: Any = root.get("/Metadata")
    if metadata is None:
        return [*problems, "6.6.2.1 no XMP metadata"]
    stream = metadata.get_object()
    assert isinstance(stream, StreamObject)
    xmp = _xmp_values(stream.get_data())
    if (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) != ("3", "B"):
        problems.append(f"6.6.4 identification {xmp.get('pdfaid:part')}{xmp.get('pdfaid:conformance')}")
    info: Any = trailer["/Info"].get_object() if "/Info" in trailer else {}
    pairs = {
        "/Title": "dc:title",
        "/Author": "dc:creator",
        "/Subject": "dc:description",
        "/Keywords": "pdf:Keywords",
        "/Creator": "xmp:CreatorTool",
        "/Producer": "pdf:Producer",
    }
    for key, prop in pairs.items():
        if key in info and str(info[key]) != xmp.get(prop):
            problems.append(f"6.6.2.3.1 Info {key} {str(info[key])!r} is not XMP {prop} {xmp.get(prop)!r}")
    for key in ("/CreationDate", "/ModDate"):
        if key in info and ("xmp:CreateDate" if key == "/CreationDate" else "xmp:ModifyDate") not in xmp:
            problems.append(f"6.6.2.3.1 Info {key} has no XMP counterpart")
    return problems


def test_pdfa_checker_finds_what_breaks_conformance(letter):  # noqa: F811
    """The checks can fail: an unsigned render with its metadata altered, and a plain (non-PDF/A) render."""
    from weasyprint import HTML

    html = document_html(letter, demo=False)
    plain = HTML(string=html).write_pdf()
    assert "6.2.3 no PDF/A output intent" in pdfa_3b_problems(plain)
    assert "6.6.2.1 no XMP metadata" in pdfa_3b_problems(plain)
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(render_pdf(html)))
    writer.add_metadata({"/Producer": "another tool"})  # the Info dictionary only, not the XMP
    altered = io.BytesIO()
    writer.write(altered)
    assert any(p.startswith("6.6.2.3.1 Info /Producer") for p in pdfa_3b_problems(altered.getvalue()))


def test_rendered_document_is_pdfa_3b(letter):  # noqa: F811
    assert pdfa_3b_problems(render_pdf(document_html(letter, demo=False))) == []


def test_signed_document_stays_pdfa_3b(letter):  # noqa: F811
    """pyHanko's incremental update keeps the output intent, the metadata (its producer named alike in Info and
    XMP), and adds an invisible signature widget that is printable and has no area."""
    assert pdfa_3b_problems(letter.file.read()) == []


def test_pdfsig_finds_the_pades_signature_valid_over_the_whole_file(letter, tmp_path):  # noqa: F811
    path = tmp_path / "signed.pdf"
    path.write_bytes(letter.file.read())
    output = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output


@pytest.mark.parametrize("where", [0.001, 0.5])
def test_pdfsig_reports_an_altered_file(letter, tmp_path, where):  # noqa: F811
    data = bytearray(letter.file.read())
    data[int(len(data) * where)] ^= 0x01
    path = tmp_path / "altered.pdf"
    path.write_bytes(bytes(data))
    output = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in output


def test_pdfa_write_deflates_each_stream_once_and_writes_what_weasyprint_writes(monkeypatch):
    """The file identifier PDF/A requires is a hash over every object, which made pydyf deflate each stream twice;
    render_pdf keeps a finished stream's bytes — the same file, half the compression."""
    import zlib

    import pydyf
    from weasyprint import HTML

    html = (
        "<h1>阿荣旗</h1><svg width='40' height='40'><circle cx='20' cy='20' r='15' fill='red'/></svg>" + "<p>准入</p>"
    )
    deflated = 0
    compressobj = zlib.compressobj

    def counting(*args, **kwargs):
        nonlocal deflated
        deflated += 1
        return compressobj(*args, **kwargs)

    monkeypatch.setattr(pydyf.zlib, "compressobj", counting)
    ours = render_pdf(html)
    ours_deflated, deflated = deflated, 0
    weasyprint_own = HTML(string=html, base_url=".").write_pdf(pdf_variant="pdf/a-3b")

    assert ours == weasyprint_own
    streams = ours.count(b"/FlateDecode")
    # Only pydyf's object stream, made during the write, is still deflated twice.
    assert ours_deflated == streams + 1
    assert deflated >= 2 * streams - 1
