"""The map of the procedure on the case page (issue 13 part 4), drawn on the server as inline SVG like the dashboard's
charts (web/charts.py): no script, no network.

One column, so that it reads on a 375 px phone at full size: the main path down the left, the loops (修改, 补正,
相关部门意见) indented under the step they come from, the joint review's three parallel steps bracketed together
(no arrow between them).
Done steps are ticked with date and actor, current ones highlighted with holder and due date, branches the case did
not take greyed."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 320
BOX_HEIGHT = 46
LINE_HEIGHT = 15  # a current step's due date: one more line
GAP = 14
INDENT_LOOP = 24
INDENT_PARALLEL = 14

STYLE = {
    "done": {"fill": "#e8f5e9", "stroke": "#2e7d32", "text": "#1b5e20", "dash": ""},
    "current": {"fill": "#fff4e5", "stroke": "#b22222", "text": "#000", "dash": ""},
    "skipped": {"fill": "#f4f4f4", "stroke": "#bdbdbd", "text": "#9e9e9e", "dash": ' stroke-dasharray="4 3"'},
    "ahead": {"fill": "#fff", "stroke": "#757575", "text": "#424242", "dash": ""},
}


def _detail(step: dict, temporary: bool) -> list[str]:
    """The lines under the step's title: a current step's due date has a line of its own, so it is never cut."""
    status = step["status"]
    if status == "done":
        when = f"{step['finished']:%Y-%m-%d}" if step["finished"] else ""
        more = _("（共 %(count)d 项）") % {"count": step["done_count"]} if step["done_count"] > 1 else ""
        return [f"✓ {when} {step['actor']}{more}"]
    if status == "current":
        first = step["holders"][0]
        who = first["who"] + ("" if first["claimed"] else _("（待领取）"))
        more = _(" 等 %(count)d 处") % {"count": len(step["holders"])} if len(step["holders"]) > 1 else ""
        lines = [_("办理中：%(who)s%(more)s") % {"who": who, "more": more}]
        if first["due_date"]:
            provisional = _("（暂估）") if first["provisional"] else ""
            late = _(" · 已逾期") if first["overdue"] else ""
            due = f"{first['due_date']:%Y-%m-%d}"
            lines.append(
                _("期限 %(due)s%(provisional)s%(late)s") % {"due": due, "provisional": provisional, "late": late}
            )
        return lines
    if status == "skipped":
        if step["withdrawn_here"]:
            return [_("申请单位在此环节撤回了申请")]
        if step["node"] == "city_decision" and temporary:
            return [_("临时性任务由旗委、旗政府审批，无需报市政府")]
        return [_("未经过")]
    return [_("如需") if step["loop_of"] else _("待办理")]


def _fit(text: str, width: float, size: float) -> str:
    """Cut a line to what fits `width` (a CJK character is about `size` wide, others about half)."""
    room, out = width, []
    for ch in text:
        room -= size if ord(ch) > 0x2E80 else size * 0.55
        if room < size:
            out.append("…")
            break
        out.append(ch)
    return "".join(out)


def procedure_map_svg(steps: list[dict], *, temporary: bool) -> SafeString:
    """Every text in it is escaped here; the rest is our own markup."""
    parts: list[str] = []
    y = GAP
    group_top = group_bottom = None
    previous_centre: tuple[float, float] | None = None
    previous_in_group = False  # the joint review's steps run side by side: no arrow from one to the next
    for step in steps:
        x = 6.0
        if step["parallel"] or step["loop_of"] in ("lead_review",):
            x += INDENT_PARALLEL
        if step["loop_of"]:
            x += INDENT_LOOP
        width = WIDTH - x - 6
        style = STYLE[step["status"]]
        if step["parallel"] or step["loop_of"] == "lead_review":
            group_top = y if group_top is None else group_top
        side_by_side = step["parallel"] and previous_in_group
        if previous_centre is not None and not side_by_side:
            dash = ' stroke-dasharray="3 3"' if step["loop_of"] else ""
            parts.append(
                f'<line x1="{x + 16}" y1="{previous_centre[1]}" x2="{x + 16}" y2="{y - 2}" stroke="#9e9e9e"'
                f'{dash} marker-end="url(#arrow)"/>'
            )
        title = escape(str(step["title"]))
        detail = _detail(step, temporary)
        box_height = BOX_HEIGHT + LINE_HEIGHT * (len(detail) - 1)
        if step["parallel"] or step["loop_of"] == "lead_review":
            group_bottom = y + box_height
        weight = ' stroke-width="2.5"' if step["status"] == "current" else ""
        lines = "".join(
            f'<text x="{x + 10}" y="{y + 37 + LINE_HEIGHT * n}" font-size="11" fill="{style["text"]}">'
            f"{escape(_fit(line, width - 20, 11))}</text>"
            for n, line in enumerate(detail)
        )
        parts.append(
            f'<g class="step {step["status"]}"><title>{title}{_("：")}{escape(" · ".join(detail))}</title>'
            f'<rect x="{x}" y="{y}" width="{width}" height="{box_height}" rx="6" fill="{style["fill"]}" '
            f'stroke="{style["stroke"]}"{weight}{style["dash"]}/>'
            f'<text x="{x + 10}" y="{y + 19}" font-size="13" font-weight="bold" fill="{style["text"]}">'
            f"{escape(_fit(str(step['title']), width - 20, 13))}</text>{lines}</g>"
        )
        previous_centre = (x + 16, y + box_height)
        previous_in_group = step["parallel"] or step["loop_of"] == "lead_review"
        y += box_height + GAP
    if group_top is not None and group_bottom is not None:
        label = escape(_("联席审核（并行）"))
        parts.append(
            f'<path d="M14 {group_top} h-6 v{group_bottom - group_top} h6" fill="none" stroke="#b22222"/>'
            f'<text x="{WIDTH - 6}" y="{group_top - 3}" font-size="10" text-anchor="end" fill="#b22222">'
            f"{label}</text>"
        )
    height = y
    name = escape(_("办理流程图"))
    return mark_safe(  # built above from escaped text
        f'<svg xmlns="http://www.w3.org/2000/svg" class="procedure-map" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{name}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#9e9e9e"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )
