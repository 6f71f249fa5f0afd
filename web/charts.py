"""Charts drawn on the server as inline SVG: no script, no network."""

from __future__ import annotations

from django.utils.html import escape


def bar_chart_svg(rows: list[tuple[str, int]], *, width: int = 640, bar: int = 22, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: drawn on the server, no script, no network."""
    gap = 6
    label_width = min(300, 14 * max((len(label) for label, _n in rows), default=4) + 12)
    top = max((n for _label, n in rows), default=0) or 1
    scale = (width - label_width - 60) / top
    height = len(rows) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i, (label, n) in enumerate(rows):
        y = gap + i * (bar + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(n * scale, 1 if n else 0):.1f}" height="{bar}" fill="#b22222"/>'
            f'<text x="{label_width + n * scale + 6:.1f}" y="{y + bar * 0.7:.1f}" font-size="13">{n}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
