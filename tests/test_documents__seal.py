"""The bilingual seal (内政办发〔1996〕32号 art. 3(3)): Mongolian on the outer ring, Chinese on the inner ring, both
from left to right and the same size; the Mongolian shaped by HarfBuzz (its joining forms), drawn as vector paths."""

from __future__ import annotations

import math
import re

import pytest
from fontTools.ttLib import TTFont

from admission.documents import seal
from workflows.management.commands.seed_demo import MONGOLIAN_NAMES

NAME = "阿荣旗人民政府"
MONGOLIAN = MONGOLIAN_NAMES[NAME]
PATH = re.compile(r'<path transform="translate\(([\d.]+) ([\d.]+)\) rotate\(([-\d.]+)\) scale\(([\d.]+) ')
TEXT = re.compile(r'<text x="([\d.]+)" y="([\d.]+)" transform="rotate\(([-\d.]+) [^"]*" font-size="([\d.]+)"[^>]*>(.)<')


@pytest.fixture(scope="module")
def svg() -> str:
    return seal.seal_svg(NAME, mongolian=MONGOLIAN)


def _radius(x: str, y: str) -> float:
    return math.hypot(float(x) - 210, float(y) - 210)


def test_art3_3_mongolian_on_the_outer_ring_chinese_on_the_inner_ring(svg):
    paths, texts = PATH.findall(svg), TEXT.findall(svg)
    assert [t[4] for t in texts] == list(NAME)
    assert paths, "the Mongolian name is drawn"
    outer = {round(_radius(x, y), 1) for x, y, *_ in paths}
    inner = {round(_radius(x, y), 1) for x, y, *_ in texts}
    assert len(outer) == 1 and len(inner) == 1, (outer, inner)
    assert min(outer) > max(inner), "Mongolian outside, Chinese inside"
    assert max(outer) < 210 - 420 * 0.03, "inside the border"


def test_art3_3_both_rings_read_from_left_to_right(svg):
    for angles in ([float(p[2]) for p in PATH.findall(svg)], [float(t[2]) for t in TEXT.findall(svg)]):
        assert angles == sorted(angles) and angles[0] < 0 < angles[-1]


def test_art3_both_scripts_are_the_same_size(svg):
    """The Chinese font size equals the Mongolian em (the path's scale times the face's units per em)."""
    upem = TTFont(seal.MONGOLIAN_FONT, lazy=True)["head"].unitsPerEm
    chinese = {float(t[3]) for t in TEXT.findall(svg)}
    mongolian = {round(float(p[3]) * upem, 2) for p in PATH.findall(svg)}
    assert len(chinese) == 1 and len(mongolian) == 1
    assert abs(chinese.pop() - mongolian.pop()) <= 0.05


def test_mongolian_letters_take_their_joined_forms(svg):
    """HarfBuzz, not the letters one by one: the glyphs drawn are not the isolated forms of the letters."""
    font = TTFont(seal.MONGOLIAN_FONT, lazy=True)
    isolated = [font.getGlyphID(font.getBestCmap()[ord(c)]) for c in MONGOLIAN if not c.isspace()]
    shaped = [g[0] for g in seal.shape_mongolian(MONGOLIAN).glyphs]
    assert shaped != isolated and len(PATH.findall(svg)) == len([g for g in shaped if seal.glyph_path(g)])
    initial_a = seal.shape_mongolian("ᠠᠷ").glyphs[0][0]
    assert initial_a != font.getGlyphID(font.getBestCmap()[ord("ᠠ")]), "ᠠ at a word's start is not its isolated form"


def test_a_body_without_a_mongolian_name_keeps_its_chinese_seal():
    plain = seal.seal_svg(NAME)
    assert "<path" not in plain and [t[4] for t in TEXT.findall(plain)] == list(NAME)
