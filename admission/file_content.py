"""What an uploaded file really is, found by parsing it, not by its first bytes.

PDF: opened with pypdf (its decompression limits hold against stream bombs); refused when the bytes before `%PDF-`
or after the last `%%EOF` carry anything (an HTML/PDF polyglot), when it does not parse, and when any object holds
JavaScript, a launch action, additional (automatic) actions, embedded files, rich media or an XFA form. Page and
object counts and the time spent are bounded.

JPEG and PNG: decoded in full by Pillow with a pixel budget, then re-encoded without metadata; the new bytes are what
is stored.

OFD (GB/T 33190): a ZIP package accepted only when it is well formed: bounded entry count, sizes and compression
ratios (no zip bomb), safe relative paths, no encrypted, linked or overlapping entries, only the file types an OFD
holds (XML, images, fonts, signature data), each entry's content matching its type, XML without DTDs, and an
`OFD.xml` whose document roots exist.

Every refusal is a `ContentRefused` carrying a sentence (gettext) that says what is wrong and what to do; it has
`%(field)s` and `%(name)s` placeholders for the caller to fill.
"""

from __future__ import annotations

import io
import stat
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
OFD = "application/ofd"

# The extension the server gives a stored file, from its content (never from the name it came with).
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", OFD: ".ofd"}

# Bounds that keep one check within seconds on the 2-core servers (a 20 MB file at most reaches here).
CHECK_SECONDS = 15.0
PDF_MAX_PAGES = 3000
PDF_MAX_OBJECTS = 300_000
IMAGE_MAX_PIXELS = 40_000_000  # an A4 page scanned at 600 dpi is 35 megapixels
OFD_MAX_ENTRIES = 5000
OFD_MAX_TOTAL_BYTES = 200 * 1024 * 1024
OFD_MAX_ENTRY_BYTES = 100 * 1024 * 1024
OFD_MAX_RATIO = 100  # uncompressed / compressed, for entries over OFD_RATIO_FLOOR
OFD_RATIO_FLOOR = 64 * 1024
OFD_MAX_XML_BYTES = 20 * 1024 * 1024


class ContentRefused(Exception):
    """The file is not accepted; `message` has %(field)s and %(name)s placeholders, `params` the rest."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotAcceptedFormat(ContentRefused):
    """Not one of the accepted formats at all."""


class TooComplex(ContentRefused):
    """Too large or too complex to check within the bounds (pages, objects, decompressed size, time)."""


@dataclass(frozen=True)
class CheckedContent:
    content_type: str
    data: bytes  # what is stored: the upload as received, or the re-encoded image

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def check_content(data: bytes) -> CheckedContent:
    """Parse `data` as one of the accepted formats, or raise ContentRefused."""
    deadline = time.monotonic() + CHECK_SECONDS
    if data.startswith(b"%PDF-"):
        check_pdf(data, deadline=deadline)
        return CheckedContent(PDF, data)
    if data.startswith(b"\xff\xd8\xff"):
        return CheckedContent(JPEG, reencode_image(data, "JPEG"))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return CheckedContent(PNG, reencode_image(data, "PNG"))
    if data.startswith(b"PK\x03\x04"):
        check_ofd(data)
        return CheckedContent(OFD, data)
    if b"%PDF-" in data[:1024]:
        raise ContentRefused(
            _(
                "%(field)s「%(name)s」的 PDF 文件头前面还夹带了其他内容（可能是伪装成 PDF 的网页），不予接收；"
                "请用办公软件或扫描仪重新导出为 PDF 后上传。"
            )
        )
    raise NotAcceptedFormat(
        _("%(field)s「%(name)s」不是 %(formats)s 文件（按文件内容判断，而非扩展名），请转换格式后重新上传。")
    )


# --- PDF ----------------------------------------------------------------------------------------------------------

_PDF_TRAILING_ALLOWED = b" \t\r\n\x00\x0c"


def _pdf_unreadable() -> ContentRefused:
    return ContentRefused(
        _("%(field)s「%(name)s」无法作为 PDF 文件解析（文件已损坏、不完整或不是真正的 PDF），请重新导出或扫描后上传。")
    )


def _pdf_too_complex() -> ContentRefused:
    return TooComplex(
        _(
            "%(field)s「%(name)s」结构过于庞大（超过 %(pages)d 页、对象过多或解压后内容过大），无法在限定时间内检查；"
            "请拆分或压缩后重新上传。"
        ),
        pages=PDF_MAX_PAGES,
    )


def _pdf_active(what: str) -> ContentRefused:
    messages = {
        "javascript": _(
            "%(field)s「%(name)s」含有 JavaScript 脚本，为安全起见不予接收；"
            "请用“打印为 PDF”或重新扫描生成不含脚本的文件后上传。"
        ),
        "launch": _(
            "%(field)s「%(name)s」含有启动外部程序或打开其他文件的动作，为安全起见不予接收；"
            "请用“打印为 PDF”或重新扫描生成文件后上传。"
        ),
        "embedded": _(
            "%(field)s「%(name)s」内嵌了其他文件（PDF 附件），为安全起见不予接收；"
            "请把附件取出作为单独文件上传，并重新导出不含附件的 PDF。"
        ),
        "auto": _(
            "%(field)s「%(name)s」含有打开或翻页时自动执行的动作，为安全起见不予接收；"
            "请用“打印为 PDF”或重新扫描生成文件后上传。"
        ),
        "media": _(
            "%(field)s「%(name)s」含有多媒体、Flash 或三维内容，为安全起见不予接收；"
            "请用“打印为 PDF”或重新扫描生成文件后上传。"
        ),
        "xfa": _(
            "%(field)s「%(name)s」是含动态表单（XFA）的 PDF，为安全起见不予接收；请用“打印为 PDF”生成文件后上传。"
        ),
    }
    return ContentRefused(messages[what])


# Action types (/S) and annotation types (/Subtype) that run code, start programs, or carry other files or media.
_ACTION_KINDS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/GoToE": "embedded",
    "/RichMediaExecute": "media",
}
_SUBTYPE_KINDS = {"/FileAttachment": "embedded", "/RichMedia": "media", "/3D": "media", "/Movie": "media"}
_KEY_KINDS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",  # the document-level /Names /JavaScript tree
    "/AA": "auto",
    "/EmbeddedFiles": "embedded",
    "/EF": "embedded",
    "/RichMediaContent": "media",
    "/XFA": "xfa",
}


def _active_content(dictionary: DictionaryObject) -> str | None:
    for key, kind in _KEY_KINDS.items():
        if key in dictionary:
            return kind
    for key, kinds in (("/S", _ACTION_KINDS), ("/Subtype", _SUBTYPE_KINDS)):
        if key in dictionary:
            value = dictionary[key]  # resolves an indirect name too
            if isinstance(value, NameObject) and value in kinds:
                return kinds[value]
    if "/Type" in dictionary and dictionary["/Type"] == "/EmbeddedFile":
        return "embedded"
    return None


def open_pdf(data: bytes, *, strict: bool, deadline: float) -> PdfReader:
    """Open a PDF within bounds: pages, objects and time; raise ContentRefused when it cannot be opened in them."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=strict)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ContentRefused(
                _("%(field)s「%(name)s」设置了打开密码，系统无法检查其内容；请去除密码后重新导出为 PDF 再上传。")
            )
        if _object_count(reader) > PDF_MAX_OBJECTS:
            raise _pdf_too_complex()
        if len(reader.pages) > PDF_MAX_PAGES or time.monotonic() > deadline:
            raise _pdf_too_complex()
    except ContentRefused:
        raise
    except LimitReachedError as error:
        raise _pdf_too_complex() from error
    except Exception as error:  # pypdf raises many kinds on damaged or hostile input; all mean "not a usable PDF"
        raise _pdf_unreadable() from error
    return reader


def _object_count(reader: PdfReader) -> int:
    return sum(len(entries) for entries in reader.xref.values()) + len(reader.xref_objStm)


def _object_references(reader: PdfReader) -> list[IndirectObject]:
    references = [
        IndirectObject(number, generation, reader) for generation, entries in reader.xref.items() for number in entries
    ]
    references += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    return references


def _walk_pdf(reader: PdfReader, *, deadline: float, visit: Any = None) -> None:
    """Load every object: those the cross-reference table lists (so every object stream is decompressed, within
    pypdf's limits) and any other that an object refers to (a lenient reader finds an object left out of the table by
    searching the file, and so does pypdf). Hand every dictionary, nested ones too, to `visit`, which raises to
    refuse; stop when the time or the object budget is spent."""
    queue: list[Any] = [*_object_references(reader), reader.trailer]
    seen = {(r.idnum, r.generation) for r in queue if isinstance(r, IndirectObject)}
    try:
        for loaded, item in enumerate(queue):  # grows while it is walked
            if loaded % 256 == 0 and time.monotonic() > deadline:
                raise _pdf_too_complex()
            stack = [reader.get_object(item) if isinstance(item, IndirectObject) else item]
            while stack:
                part = stack.pop()
                if isinstance(part, IndirectObject):
                    if (part.idnum, part.generation) not in seen:
                        seen.add((part.idnum, part.generation))
                        queue.append(part)
                elif isinstance(part, DictionaryObject):  # a stream's dictionary too
                    if visit is not None:
                        visit(part)
                    stack.extend(dict.values(part))
                elif isinstance(part, ArrayObject):
                    stack.extend(list.__iter__(part))
            if len(seen) > PDF_MAX_OBJECTS:
                raise _pdf_too_complex()
    except ContentRefused:
        raise
    except LimitReachedError as error:
        raise _pdf_too_complex() from error
    except Exception as error:
        raise _pdf_unreadable() from error


def _refuse_active_content(dictionary: DictionaryObject) -> None:
    found = _active_content(dictionary)
    if found:
        raise _pdf_active(found)


def check_pdf(data: bytes, *, deadline: float) -> None:
    """Refuse a PDF that is not only a PDF, does not parse, is too large to check in time, or carries active content."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise _pdf_unreadable()
    if data[end + 5 :].strip(_PDF_TRAILING_ALLOWED):
        raise ContentRefused(
            _(
                "%(field)s「%(name)s」在 PDF 文件结束标记之后还夹带了其他内容（可能是网页或程序），不予接收；"
                "请重新导出为 PDF 后上传。"
            )
        )
    reader = open_pdf(data, strict=False, deadline=deadline)
    _walk_pdf(reader, deadline=deadline, visit=_refuse_active_content)


def screen_pdf(data: bytes, *, seconds: float = CHECK_SECONDS) -> None:
    """Before a PDF is handed to a library without limits (signature validation): raise TooComplex when it cannot be
    read within the bounds. A PDF that is merely damaged passes; the validation says what is wrong with it."""
    deadline = time.monotonic() + seconds
    try:
        _walk_pdf(open_pdf(data, strict=False, deadline=deadline), deadline=deadline)
    except TooComplex:
        raise
    except ContentRefused:
        return


# --- JPEG and PNG -------------------------------------------------------------------------------------------------


def reencode_image(data: bytes, image_format: str) -> bytes:
    """Decode the whole image and write it anew: no metadata, comments, profiles or trailing bytes survive."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise ContentRefused(
                        _(
                            "%(field)s「%(name)s」图像尺寸过大（%(width)d×%(height)d 像素，上限 %(limit)d 万像素），"
                            "请降低扫描分辨率后重新上传。"
                        ),
                        width=width,
                        height=height,
                        limit=IMAGE_MAX_PIXELS // 10_000,
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
                transparency = upright.info.get("transparency")
                upright.info = {"transparency": transparency} if transparency is not None else {}
                out = io.BytesIO()
                if image_format == "JPEG":
                    if upright.mode not in ("1", "L", "RGB", "CMYK"):
                        upright = upright.convert("RGB")
                    upright.save(out, "JPEG", quality=90)
                else:
                    upright.save(out, "PNG")
                return out.getvalue()
    except ContentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ContentRefused(
            _("%(field)s「%(name)s」图像尺寸过大（超过 %(limit)d 万像素），请降低扫描分辨率后重新上传。"),
            limit=IMAGE_MAX_PIXELS // 10_000,
        ) from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError... on broken or truncated data
        raise ContentRefused(
            _(
                "%(field)s「%(name)s」无法作为完整的 JPEG 或 PNG 图像解码（文件已损坏或不完整），"
                "请重新扫描或导出后上传。"
            )
        ) from error


# --- OFD ----------------------------------------------------------------------------------------------------------

_OFD_NAMESPACE = "http://www.ofdspec.org/2016"
_OFD_XML = {".xml"}
_OFD_IMAGES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".bmp": (b"BM",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
    ".gif": (b"GIF87a", b"GIF89a"),
}
_OFD_FONTS = {".ttf": (b"\x00\x01\x00\x00", b"true"), ".otf": (b"OTTO", b"\x00\x01\x00\x00"), ".ttc": (b"ttcf",)}
# Signature values, electronic seals (GB/T 38540) and JBIG2 image data: binary by nature, no header to check.
_OFD_DATA = {".dat", ".esl", ".jb2"}
# Whatever the extension says, these are programs, scripts or packages, never OFD content.
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"#!",
    b"PK\x03\x04",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"%PDF-",
)


def _ofd_refused_entry(entry: str) -> ContentRefused:
    return ContentRefused(
        _(
            "%(field)s「%(name)s」的 OFD 文件包内含有不允许的文件「%(entry)s」（OFD 只应包含 XML、图像、字体和签章数据），"
            "不予接收；请用版式软件重新导出后上传。"
        ),
        entry=entry,
    )


def _ofd_malformed(entry: str) -> ContentRefused:
    return ContentRefused(
        _("%(field)s「%(name)s」不是结构完整的 OFD 文件（「%(entry)s」缺失或无法解析），请用版式软件重新导出后上传。"),
        entry=entry,
    )


def _ofd_bomb() -> ContentRefused:
    return ContentRefused(
        _(
            "%(field)s「%(name)s」的 OFD 文件包条目过多、解压后过大或压缩比异常（可能是“压缩炸弹”），不予接收；"
            "请用版式软件重新导出后上传。"
        )
    )


def _safe_entry_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name or "\x00" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.rstrip("/").split("/"))


def check_ofd(data: bytes) -> None:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise NotAcceptedFormat(
            _("%(field)s「%(name)s」不是 %(formats)s 文件（按文件内容判断，而非扩展名），请转换格式后重新上传。")
        ) from error
    with package:
        entries = package.infolist()
        if "OFD.xml" not in package.namelist():
            raise NotAcceptedFormat(
                _("%(field)s「%(name)s」不是 %(formats)s 文件（按文件内容判断，而非扩展名），请转换格式后重新上传。")
            )
        _check_ofd_directory(entries)
        texts = {}
        for info in entries:
            if info.is_dir():
                continue
            content = _read_entry(package, info)
            suffix = PurePosixPath(info.filename).suffix.lower()
            if content.startswith(_EXECUTABLE_MAGIC):
                raise _ofd_refused_entry(info.filename)
            if suffix in _OFD_XML:
                texts[info.filename] = _parse_ofd_xml(info.filename, content)
            elif suffix in _OFD_IMAGES:
                if not content.startswith(_OFD_IMAGES[suffix]):
                    raise _ofd_refused_entry(info.filename)
            elif suffix in _OFD_FONTS:
                if not content.startswith(_OFD_FONTS[suffix]):
                    raise _ofd_refused_entry(info.filename)
            elif suffix not in _OFD_DATA:
                raise _ofd_refused_entry(info.filename)
        _check_ofd_roots(texts)


def _check_ofd_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > OFD_MAX_ENTRIES:
        raise _ofd_bomb()
    total = 0
    names: set[str] = set()
    for info in entries:
        if not _safe_entry_name(info.filename):
            raise ContentRefused(
                _(
                    "%(field)s「%(name)s」的 OFD 文件包内含有不安全的路径「%(entry)s」（绝对路径或“..”），不予接收；"
                    "请用版式软件重新导出后上传。"
                ),
                entry=info.filename,
            )
        if info.filename in names:
            raise _ofd_malformed(info.filename)
        names.add(info.filename)
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _ofd_refused_entry(info.filename)  # encrypted, or compressed in a way OFD does not use
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _ofd_refused_entry(info.filename)
        total += info.file_size
        if info.file_size > OFD_MAX_ENTRY_BYTES or total > OFD_MAX_TOTAL_BYTES:
            raise _ofd_bomb()
        if info.file_size > OFD_RATIO_FLOOR and info.file_size > OFD_MAX_RATIO * max(info.compress_size, 1):
            raise _ofd_bomb()
    # Entries whose data overlap (one compressed stream counted many times) are a zip bomb too.
    spans = sorted((info.header_offset, info.header_offset + info.compress_size) for info in entries)
    for (start, end), (next_start, _next_end) in zip(spans, spans[1:]):
        if next_start < end or next_start == start:
            raise _ofd_bomb()


def _read_entry(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read one entry, never more than it declares (the bounds above hold); a CRC mismatch is a damaged package."""
    try:
        with package.open(info) as stream:
            content = stream.read(info.file_size + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as error:
        raise _ofd_malformed(info.filename) from error
    if len(content) != info.file_size:
        raise _ofd_malformed(info.filename)
    return content


def _parse_ofd_xml(entry: str, content: bytes) -> ElementTree.Element:
    lowered = content[: OFD_MAX_XML_BYTES + 1].lower()
    if len(content) > OFD_MAX_XML_BYTES or b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _ofd_malformed(entry)  # no DTDs: no entity expansion, no external references
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise _ofd_malformed(entry) from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_ofd_roots(texts: dict[str, ElementTree.Element]) -> None:
    root = texts["OFD.xml"]
    if _local(root.tag) != "OFD" or not root.tag.startswith("{" + _OFD_NAMESPACE + "}"):
        raise _ofd_malformed("OFD.xml")
    doc_roots = [
        element.text.strip().lstrip("/") for element in root.iter() if _local(element.tag) == "DocRoot" and element.text
    ]
    if not doc_roots:
        raise _ofd_malformed("OFD.xml")
    for doc_root in doc_roots:
        if doc_root not in texts:
            raise _ofd_malformed(doc_root)
