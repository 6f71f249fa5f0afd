"""Sortable column headings that keep the list's search and filters in the address."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_heading(context, key: str, label: str, default: str = "") -> str:
    """A column heading linking to the list sorted by `key`; a second click reverses it. The current order is
    marked ▲/▼."""
    request = context["request"]
    current = request.GET.get("sort", "") or default
    ascending_now = current == key
    descending_now = current == f"-{key}"
    query = request.GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{key}" if ascending_now else key
    mark = "▲" if ascending_now else "▼" if descending_now else ""
    state = "ascending" if ascending_now else "descending" if descending_now else "none"
    return format_html(
        '<a class="sort" href="?{}" data-order="{}">{}{}</a>',
        query.urlencode(),
        state,
        label,
        format_html(' <span aria-hidden="true">{}</span>', mark) if mark else "",
    )
