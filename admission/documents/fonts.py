"""The Noto CJK faces cut down once to the GB 2312 repertoire, so that each render subsets a small face.

WeasyPrint subsets every face a PDF uses, on every render; a Noto CJK face holds 65,535 glyphs (its .ttc collections
share one CFF table, so even a single face taken out of one is 24 MB), and subsetting it cost about 25 ms a face.
Faces cut to GB 2312 (7,800 characters, 5 MB) take the render from 0.196 s to 0.148 s and the PDF from 435 to 187 KB
(docs/benchmarks.md). They are made once (`manage.py prepare_fonts`, about 20 s a face) into ADMISSION_FONT_DIR and
declared to WeasyPrint under their own family names, listed before the system faces in the template: a character
outside GB 2312 (a rare character in a name) falls back to the full system face, so nothing is ever missing.
Without the cache the documents render the same from the system faces, only slower.

After the full Noto CJK face (the rest of the BMP's ideographs with Extension A, Hangul for Korean names, the symbols
GB/T 9704 uses) come the FALLBACK faces, each named by its fontconfig family so that it costs nothing until a
character needs it: Noto Sans Mongolian (traditional Mongolian, shaped by HarfBuzz), HanaMinB (CJK Extensions B–F)
and BabelStone Han (Extension G). They are Debian packages the Makefile installs (APT_PACKAGES).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

SYSTEM_DIR = Path("/usr/share/fonts/opentype/noto")


@dataclass(frozen=True)
class Face:
    family: str  # the family name of the cut face, as the template lists it
    weight: int
    collection: str  # the fonts-noto-cjk file it is cut from
    name: str  # the face's full name in that collection

    @property
    def filename(self) -> str:
        return self.family.replace(" ", "") + f"-{self.weight}.otf"


FACES = (
    Face("Noto Serif CJK SC GB2312", 400, "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    Face("Noto Serif CJK SC GB2312", 700, "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC Bold"),
    Face("Noto Sans CJK SC GB2312", 400, "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
)


@dataclass(frozen=True)
class Fallback:
    family: str  # the fontconfig family the templates name
    package: str  # the Debian package that installs it
    path: str
    covers: str


FALLBACK = (
    Fallback(
        "Noto Sans Mongolian",
        "fonts-noto-core",
        "/usr/share/fonts/truetype/noto/NotoSansMongolian-Regular.ttf",
        "traditional Mongolian (U+1800–U+18AF)",
    ),
    Fallback("HanaMinB", "fonts-hanazono", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", "CJK Extensions B–F"),
    Fallback(
        "BabelStone Han", "fonts-babelstone-han", "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf", "CJK Ext. G"
    ),
)
MONGOLIAN_FAMILY = FALLBACK[0].family


def fallback_families() -> str:
    """The fallback faces as a CSS font-family list, to put after the CJK faces and before the generic family."""
    return ", ".join(f'"{face.family}"' for face in FALLBACK)


def font_dir() -> Path:
    return Path(settings.ADMISSION_FONT_DIR)


def gb2312() -> str:
    """Every character of GB 2312, with ASCII, general punctuation and the full-width forms."""
    chars = [chr(c) for r in ((0x20, 0x7F), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)) for c in range(*r)]
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def _face_index(path: Path, name: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        return next(i for i, font in enumerate(collection.fonts) if font["name"].getDebugName(4) == name)
    finally:
        collection.close()


def prepare(
    directory: Path | None = None,
    *,
    text: str | None = None,
    faces=FACES,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write each face not yet in `directory`, cut to `text` (GB 2312 by default); returns the files written.

    `progress` is told, step by step, which face is being cut and how far it has come (about 20 s a face)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    say = progress or (lambda message: None)
    directory = Path(directory or font_dir())
    directory.mkdir(parents=True, exist_ok=True)
    text = gb2312() if text is None else text
    written = []
    for number, face in enumerate(faces, 1):
        target = directory / face.filename
        source = SYSTEM_DIR / face.collection
        label = f"[{number}/{len(faces)}] {face.name}（{face.weight}）"
        if target.exists():
            say(f"{label}：已有 {target.name}，跳过。")
            continue
        if not source.exists():
            say(f"{label}：未找到 {source}（请安装 fonts-noto-cjk），跳过；公文改用系统字体，只是较慢。")
            continue
        started = time.monotonic()
        say(f"{label}：读取 {source.name}……")
        font = TTFont(source, fontNumber=_face_index(source, face.name), lazy=True)
        # Keep the layout features Pango shapes with (vertical metrics, locl, halt…) and every name record.
        options = subset.Options(layout_features=["*"], name_IDs=["*"], notdef_outline=True, hinting=True)
        subsetter = subset.Subsetter(options)
        say(f"{label}：裁切到 GB 2312（{len(text)} 个字符）……")
        subsetter.populate(text=text)
        subsetter.subset(font)
        say(f"{label}：写入 {target}……")
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(partial)
        os.replace(partial, target)  # a render never sees half a file
        written.append(target)
        say(f"{label}：完成，{target.stat().st_size / 1048576:.1f} MB，用时 {time.monotonic() - started:.0f} 秒。")
    return written


@lru_cache(maxsize=4)
def _css(directory: str, present: tuple[str, ...]) -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
        f'src: url("{(Path(directory) / face.filename).as_uri()}"); }}'
        for face in FACES
        if face.filename in present
    )


def face_css() -> str:
    """@font-face rules for the cut faces that exist, for the template's <style>."""
    directory = font_dir()
    present = tuple(sorted(p.name for p in directory.glob("*.otf"))) if directory.is_dir() else ()
    return _css(str(directory), present)
