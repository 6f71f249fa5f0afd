"""The issuing body's round seal as SVG vector art: ring, five-pointed star, the name along the arc.

WeasyPrint does not draw SVG <textPath>, so each character is placed and rotated on its own.
"""

from __future__ import annotations

import math

from django.utils.html import escape

from .fonts import FALLBACK

SEAL_RED = "#d7000f"
FALLBACK_FAMILIES = ", ".join(face.family for face in FALLBACK)


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{SEAL_RED}"/>'


def seal_svg(name: str, *, diameter_mm: float = 42) -> str:
    """An SVG element `diameter_mm` wide; coordinates are in tenths of a millimetre."""
    size = diameter_mm * 10
    c = size / 2
    ring = size * 0.03
    text_radius = c - ring - size * 0.105
    chars = list(name.replace(" ", ""))
    # Spread the name over up to 250 degrees of the upper arc, centred on the top.
    span = min(250.0, 22.0 * len(chars))
    step = span / max(len(chars) - 1, 1)
    font = min(size * 0.13, 2 * math.pi * text_radius * span / 360 / max(len(chars), 1) * 0.95)
    glyphs = []
    for i, char in enumerate(chars):
        angle = -span / 2 + i * step if len(chars) > 1 else 0
        rad = math.radians(angle - 90)
        x, y = c + text_radius * math.cos(rad), c + text_radius * math.sin(rad)
        glyphs.append(
            f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle:.2f} {x:.2f} {y:.2f})" '
            f'font-size="{font:.2f}" text-anchor="middle" dominant-baseline="central">{escape(char)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seal" width="{diameter_mm}mm" height="{diameter_mm}mm" '
        f'viewBox="0 0 {size:.0f} {size:.0f}">'
        f'<circle cx="{c}" cy="{c}" r="{c - ring / 2:.2f}" fill="none" stroke="{SEAL_RED}" stroke-width="{ring:.2f}"/>'
        f"{_star(c, c, size * 0.17)}"
        f'<g fill="{SEAL_RED}" font-family="Noto Serif CJK SC GB2312, Noto Serif CJK SC, {FALLBACK_FAMILIES}, serif" font-weight="bold">{"".join(glyphs)}</g>'
        "</svg>"
    )
