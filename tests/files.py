"""Files for the upload tests, built here, small on disk: real PDFs, images and OFD packages, and the hostile files of
the 等保 audit (issue 12): a PDF/HTML polyglot, PDFs with JavaScript, launch actions or embedded files, an "OFD" zip
holding an .exe, an SVG, zip bombs declaring gigabytes, a PDF whose object stream inflates to a gigabyte."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

GiB = 1024**3
MiB = 1024**2


# --- PDF --------------------------------------------------------------------------------------------------------


def pdf(pages: int = 1, *, change=None) -> bytes:
    """A real PDF written by pypdf: A4 blank pages; `change(writer)` adds to it before it is written."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _javascript_action() -> DictionaryObject:
    return DictionaryObject({_name("/S"): _name("/JavaScript"), _name("/JS"): TextStringObject("app.alert('x')")})


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript: the catalogue's /Names /JavaScript tree, run when the file opens."""

    def change(writer):
        action = writer._add_object(_javascript_action())
        tree = DictionaryObject({_name("/Names"): ArrayObject([TextStringObject("run"), action])})
        writer._root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): tree})

    return pdf(change=change)


def pdf_with_open_action_javascript() -> bytes:
    def change(writer):
        writer._root_object[_name("/OpenAction")] = writer._add_object(_javascript_action())

    return pdf(change=change)


def pdf_with_javascript_hidden_in_object_stream() -> bytes:
    """The JavaScript action compressed inside an object stream, its /S name hex-escaped (#4A = J)."""
    return _pdf_with_object_stream(b"<< /S /#4AavaScript /JS (app.alert\\(1\\)) >>", decompressed_padding=0)


def pdf_with_javascript_outside_the_xref() -> bytes:
    """The catalogue's /OpenAction points at a JavaScript action whose cross-reference entry is marked free: a reader
    that trusts the table misses it, a lenient one finds it by searching the file and runs it."""
    data = pdf_with_open_action_javascript()
    action = PdfReader(io.BytesIO(data)).trailer["/Root"].raw_get("/OpenAction")  # type: ignore[attr-defined]
    table = re.search(rb"xref\n0 \d+\n", data)
    assert table is not None
    entries = data[table.end() :].split(b"\n")
    entries[action.idnum] = b"0000000000 65535 f "
    return data[: table.end()] + b"\n".join(entries)


def pdf_with_sloppy_xref() -> bytes:
    """A harmless PDF whose startxref points a few bytes off, as some scanners write them: readers cope, so do we."""
    data = pdf(pages=2)
    pointer = re.search(rb"startxref\s+(\d+)", data)
    assert pointer is not None
    return data[: pointer.start(1)] + str(int(pointer.group(1)) + 3).encode() + data[pointer.end(1) :]


def pdf_with_page_additional_actions() -> bytes:
    """A page's /AA: an action run when the page opens, without the user doing anything."""

    def change(writer):
        writer.pages[0][_name("/AA")] = DictionaryObject({_name("/O"): writer._add_object(_javascript_action())})

    return pdf(change=change)


def pdf_with_launch_action() -> bytes:
    def change(writer):
        writer._root_object[_name("/OpenAction")] = DictionaryObject(
            {_name("/S"): _name("/Launch"), _name("/F"): TextStringObject("C:\\Windows\\System32\\cmd.exe")}
        )

    return pdf(change=change)


def pdf_with_embedded_file() -> bytes:
    def change(writer):
        writer.add_attachment("说明.exe", b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode")

    return pdf(change=change)


def html_pdf_polyglot() -> bytes:
    """HTML first (a browser sniffing the bytes renders it and runs the script), a valid PDF after it within the
    1024 bytes where PDF readers look for the header."""
    return b"<html><body><script>alert(document.cookie)</script>\n" + pdf()


def pdf_then_html() -> bytes:
    """A valid PDF with a page of HTML after its end marker."""
    return pdf() + b"\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def pdf_object_stream_bomb(decompressed_mib: int = 1024) -> bytes:
    """About 1 MB on disk: an object stream that inflates to `decompressed_mib` MiB."""
    return _pdf_with_object_stream(b"<< /Type /Annot >>", decompressed_padding=decompressed_mib)


def _deflate_with_padding(head: bytes, padding_mib: int, tail: bytes) -> bytes:
    """A zlib stream of head + `padding_mib` MiB of spaces + tail, built in milliseconds: after a full flush the
    compressor forgets its history, so every 1 MiB block of spaces compresses to the same bytes, repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b" " * MiB
    out = [b"\x78\xda", compressor.compress(head), compressor.flush(zlib.Z_FULL_FLUSH)]
    adler = zlib.adler32(head)
    if padding_mib:
        compressed_block = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        out.append(compressed_block * padding_mib)
        for _ in range(padding_mib):
            adler = zlib.adler32(block, adler)
    out += [compressor.compress(tail), compressor.flush(), struct.pack(">I", zlib.adler32(tail, adler))]
    return b"".join(out)


def _pdf_with_object_stream(hidden: bytes, *, decompressed_padding: int) -> bytes:
    """Objects 1-2 (catalogue, empty page tree) plain, object 3 inside object stream 4, found through an xref stream."""
    header = b"3 0 "
    stream = _deflate_with_padding(header, decompressed_padding, hidden)
    body = b"%PDF-1.5\n"
    offsets = {1: len(body)}
    body += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n"
    offsets[2] = len(body)
    body += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    offsets[4] = len(body)
    body += (
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(stream))
        + stream
        + b"\nendstream\nendobj\n"
    )
    offsets[5] = len(body)
    rows = [
        b"\x00" + struct.pack(">I", 0) + b"\xff\xff",
        b"\x01" + struct.pack(">I", offsets[1]) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[2]) + b"\x00\x00",
        b"\x02" + struct.pack(">I", 4) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[4]) + b"\x00\x00",
        b"\x01" + struct.pack(">I", offsets[5]) + b"\x00\x00",
    ]
    xref = b"".join(rows)
    body += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(xref)
        + xref
        + b"\nendstream\nendobj\n"
    )
    body += b"startxref\n%d\n%%%%EOF\n" % offsets[5]
    return body


# --- images -----------------------------------------------------------------------------------------------------


def jpeg(width: int = 64, height: int = 48, *, exif_text: str = "Canon EOS; GPS 49.17N 122.68E") -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = exif_text  # Make
    exif[0x0112] = 1  # Orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"scanned by clerk 7")
    return out.getvalue()


def png(width: int = 64, height: int = 48, *, text: str = "secret note") -> bytes:
    image = Image.new("RGBA", (width, height), (30, 30, 200, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header declaring width × height pixels, a few dozen bytes long: a decompression bomb's opening."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
    b'onload="alert(document.cookie)"><script>alert(1)</script><rect width="10" height="10"/></svg>\n'
)


# --- OFD --------------------------------------------------------------------------------------------------------

OFD_NS = "http://www.ofdspec.org/2016"
OFD_XML = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
    "<ofd:DocBody><ofd:DocInfo><ofd:DocID>6f2a</ofd:DocID><ofd:Title>书面申请</ofd:Title></ofd:DocInfo>"
    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
DOCUMENT_XML = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
    "<ofd:MaxUnitID>3</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
    '</ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
    "</ofd:Pages></ofd:Document>"
)
PAGE_XML = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="2">'
    '<ofd:TextObject ID="3" Boundary="20 20 100 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">申请'
    "</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
)


def ofd(extra: dict[str, bytes] | None = None, *, without: tuple[str, ...] = ()) -> bytes:
    """A small well-formed OFD package (GB/T 33190): OFD.xml, a document, a page and a seal image."""
    entries = {
        "OFD.xml": OFD_XML.encode(),
        "Doc_0/Document.xml": DOCUMENT_XML.encode(),
        "Doc_0/Pages/Page_0/Content.xml": PAGE_XML.encode(),
        "Doc_0/Res/seal.png": png(16, 16),
    }
    entries.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in entries.items():
            if name not in without:
                package.writestr(name, content)
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"This program cannot be run in DOS mode."


def ofd_holding_exe() -> bytes:
    return ofd({"Doc_0/Res/setup.exe": EXE})


def ofd_holding_exe_named_png() -> bytes:
    return ofd({"Doc_0/Res/image_1.png": EXE})


def ofd_with_path_traversal() -> bytes:
    return ofd({"../../static/evil.xml": b"<x/>"})


def ofd_declaring(uncompressed: int) -> bytes:
    """A few KB: a package whose one resource declares `uncompressed` bytes (the headers say 2 GiB; a reader that
    trusts them, or inflates until the data ends, is the one that falls over)."""
    data = ofd({"Doc_0/Res/big.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * MiB})
    return _patch_declared_size(data, "Doc_0/Res/big.png", uncompressed)


def ofd_overlapping_bomb(copies: int = 2048) -> bytes:
    """A few hundred KB: one compressed 1 MiB entry listed `copies` times in the central directory under different
    names, all pointing at the same data — `copies` MiB (2 GiB by default) when unpacked."""
    base = ofd({"Doc_0/Res/k.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * MiB})
    package = zipfile.ZipFile(io.BytesIO(base))
    kernel = package.getinfo("Doc_0/Res/k.png")
    start = package.start_dir
    directory = base[start : base.index(b"PK\x05\x06", start)]
    records, position = [], 0
    while position < len(directory):
        name_length, extra_length, comment_length = struct.unpack("<HHH", directory[position + 28 : position + 34])
        end = position + 46 + name_length + extra_length + comment_length
        records.append(directory[position:end])
        position = end
    kernel_record = next(r for r in records if r[46 : 46 + len(kernel.filename)] == kernel.filename.encode())
    for number in range(copies):
        name = f"Doc_0/Res/k{number:04d}.png".encode()
        records.append(
            kernel_record[:28] + struct.pack("<H", len(name)) + b"\x00\x00\x00\x00" + kernel_record[34:46] + name
        )
    new_directory = b"".join(records)
    end_record = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(records), len(records), len(new_directory), start, 0
    )
    return base[:start] + new_directory + end_record


def ofd_ratio_bomb(mib: int = 64) -> bytes:
    """Real data: a `mib` MiB 'image' of zeros that deflates a thousand to one."""
    return ofd({"Doc_0/Res/blank.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * (mib * MiB)})


def _patch_declared_size(data: bytes, entry: str, size: int) -> bytes:
    package = zipfile.ZipFile(io.BytesIO(data))
    info = package.getinfo(entry)
    patched = bytearray(data)
    patched[info.header_offset + 22 : info.header_offset + 26] = struct.pack("<I", size)
    position = package.start_dir
    while patched[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack("<HHH", patched[position + 28 : position + 34])
        if bytes(patched[position + 46 : position + 46 + name_length]) == entry.encode():
            patched[position + 24 : position + 28] = struct.pack("<I", size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


# --- request bodies ---------------------------------------------------------------------------------------------


class LazyMultipartBody:
    """A multipart/form-data body of `size` bytes made up as it is read: one file field `field` holding a PDF
    header and then zeros. Counts what the server reads, without holding hundreds of MB in memory."""

    BOUNDARY = "----hostile-upload-boundary"

    def __init__(self, *, field: str, filename: str, size: int, fields: dict[str, str] | None = None) -> None:
        head = b"".join(
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in (fields or {}).items()
        )
        head += (
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode() + b"%PDF-1.7\n"
        self._head = head
        self._tail = f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.size = size
        self.read_bytes = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.BOUNDARY}"

    def _byte_range(self, start: int, end: int) -> bytes:
        head, tail_start = len(self._head), self.size - len(self._tail)
        parts = []
        if start < head:
            parts.append(self._head[start : min(end, head)])
        zeros = max(0, min(end, tail_start) - max(start, head))
        parts.append(b"0" * zeros)
        if end > tail_start:
            parts.append(self._tail[max(0, start - tail_start) : end - tail_start])
        return b"".join(parts)

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.read_bytes
        size = left if size is None or size < 0 else min(size, left)
        data = self._byte_range(self.read_bytes, self.read_bytes + size)
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)
