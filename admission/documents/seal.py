"""The issuing body's round seal as SVG vector art: ring, five-pointed star, the name along the arc.

WeasyPrint does not draw SVG <textPath>, so each character is placed and rotated on its own. A body with a name in
traditional Mongolian gets a bilingual seal (内政办发〔1996〕32号 art. 3(3)): both read from left to right, the
Mongolian name on the outer ring and the Chinese one on the inner ring, at the same size. Mongolian letters change
shape with their place in a word, so the Mongolian name is shaped as a whole by HarfBuzz (uharfbuzz) with Noto Sans
Mongolian and each shaped glyph is drawn as a vector path (its outline from fontTools) at its place on the ring.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape

from .fonts import FALLBACK

SEAL_RED = "#d7000f"
FALLBACK_FAMILIES = ", ".join(face.family for face in FALLBACK)
MONGOLIAN_FONT = FALLBACK[0].path
CHINESE_SPAN = 250.0  # degrees of the upper arc a name may take, centred on the top
MONGOLIAN_SPAN = 300.0


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{SEAL_RED}"/>'


@dataclass(frozen=True)
class ShapedRun:
    glyphs: tuple[tuple[int, float, float, float], ...]  # (glyph id, pen x, x offset, y offset), in em
    width: float  # em
    middle: float  # em above the baseline of the middle of the face's ascent and descent


@lru_cache(maxsize=1)
def _mongolian_face():
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    font = TTFont(MONGOLIAN_FONT, lazy=True)
    face = hb.Face(hb.Blob.from_file_path(MONGOLIAN_FONT))
    return hb.Font(face), font, face.upem


@lru_cache(maxsize=4096)
def shape_mongolian(text: str) -> ShapedRun:
    """Shape a line of Mongolian left to right (its horizontal form, the letters lying on their side)."""
    import uharfbuzz as hb

    hb_font, font, upem = _mongolian_face()
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb_font, buffer, {})
    glyphs, pen = [], 0
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        glyphs.append((info.codepoint, pen / upem, position.x_offset / upem, position.y_offset / upem))
        pen += position.x_advance
    hhea = font["hhea"]
    return ShapedRun(tuple(glyphs), pen / upem, (hhea.ascent + hhea.descent) / 2 / upem)


@lru_cache(maxsize=4096)
def glyph_path(glyph_id: int) -> str:
    """The outline of a glyph of Noto Sans Mongolian as SVG path data, in font units (y up)."""
    from fontTools.pens.svgPathPen import SVGPathPen

    _, font, _ = _mongolian_face()
    glyph_set = font.getGlyphSet()
    pen = SVGPathPen(glyph_set, ntos=lambda v: f"{v:.0f}")
    glyph_set[font.getGlyphName(glyph_id)].draw(pen)
    return pen.getCommands()


def _chinese_ring(chars: list[str], *, c: float, radius: float, font: float) -> str:
    span = min(CHINESE_SPAN, 22.0 * len(chars))
    step = span / max(len(chars) - 1, 1)
    glyphs = []
    for i, char in enumerate(chars):
        angle = -span / 2 + i * step if len(chars) > 1 else 0
        rad = math.radians(angle - 90)
        x, y = c + radius * math.cos(rad), c + radius * math.sin(rad)
        glyphs.append(
            f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle:.2f} {x:.2f} {y:.2f})" '
            f'font-size="{font:.2f}" text-anchor="middle" dominant-baseline="central">{escape(char)}</text>'
        )
    return (
        f'<g fill="{SEAL_RED}" font-family="Noto Serif CJK SC GB2312, Noto Serif CJK SC, {FALLBACK_FAMILIES}, serif" '
        f'font-weight="bold">{"".join(glyphs)}</g>'
    )


def _mongolian_ring(run: ShapedRun, *, c: float, radius: float, font: float) -> str:
    """Each shaped glyph at its place along the arc, upright to the ring (its top outwards), centred on the top."""
    _, _, upem = _mongolian_face()
    scale = font / upem
    paths = []
    for glyph_id, pen, x_offset, y_offset in run.glyphs:
        data = glyph_path(glyph_id)
        if not data:
            continue  # a space
        angle = math.degrees((pen - run.width / 2) * font / radius)
        rad = math.radians(angle - 90)
        x, y = c + radius * math.cos(rad), c + radius * math.sin(rad)
        paths.append(
            f'<path transform="translate({x:.2f} {y:.2f}) rotate({angle:.2f}) scale({scale:.5f} {-scale:.5f}) '
            f'translate({x_offset * upem:.0f} {(y_offset - run.middle) * upem:.0f})" d="{data}"/>'
        )
    return f'<g class="mongolian" fill="{SEAL_RED}">{"".join(paths)}</g>'


@lru_cache(maxsize=256)  # a body's seal is the same on each of its documents
def seal_svg(name: str, *, mongolian: str = "", diameter_mm: float = 42) -> str:
    """An SVG element `diameter_mm` wide; coordinates are in tenths of a millimetre."""
    size = diameter_mm * 10
    c = size / 2
    ring = size * 0.03
    chars = list(name.replace(" ", ""))
    inner_edge = c - ring  # the inside of the border
    if not mongolian:
        radius = inner_edge - size * 0.105
        span = min(CHINESE_SPAN, 22.0 * len(chars))
        font = min(size * 0.13, 2 * math.pi * radius * span / 360 / max(len(chars), 1) * 0.95)
        rings = _chinese_ring(chars, c=c, radius=radius, font=font)
        star = size * 0.17
    else:
        run = shape_mongolian(re.sub(r"[ \t\n]+", " ", mongolian.strip()))  # U+202F (before suffixes) kept
        font = size * 0.1
        for _ in range(4):  # the radii follow the size, the size the radii: settle on both
            outer = inner_edge - size * 0.015 - font * 0.62
            inner = outer - font * 1.2
            span = min(CHINESE_SPAN, 22.0 * len(chars))
            font = min(
                size * 0.1,
                2 * math.pi * inner * span / 360 / max(len(chars), 1) * 0.92,  # the Chinese name on its arc
                2 * math.pi * outer * MONGOLIAN_SPAN / 360 / max(run.width, 1e-6),  # the Mongolian on its arc
            )
        outer = inner_edge - size * 0.015 - font * 0.62
        inner = outer - font * 1.2
        rings = _mongolian_ring(run, c=c, radius=outer, font=font) + _chinese_ring(chars, c=c, radius=inner, font=font)
        star = min(size * 0.17, (inner - font * 0.6) * 0.8)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seal" width="{diameter_mm}mm" height="{diameter_mm}mm" '
        f'viewBox="0 0 {size:.0f} {size:.0f}">'
        f'<circle cx="{c}" cy="{c}" r="{c - ring / 2:.2f}" fill="none" stroke="{SEAL_RED}" stroke-width="{ring:.2f}"/>'
        f"{_star(c, c, star)}{rings}</svg>"
    )
