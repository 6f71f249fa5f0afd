"""What a list page reads from its address: search, filters, sort and page stay in the URL, so a list can be
bookmarked, shared and reloaded as it was."""

from __future__ import annotations

from collections.abc import Collection

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

FIRST_YEAR = 2024  # the measure's first cases


def text(request: HttpRequest, name: str, *, allowed: Collection[str] | None = None) -> str:
    """A parameter as typed (trimmed, bounded); with `allowed`, only one of those values, else empty."""
    value = request.GET.get(name, "").strip()[:100]
    if allowed is not None and value not in allowed:
        return ""
    return value


def whole_number(value: str, *, digits: int = 18) -> int | None:
    """`value` as a whole number when it is 1 to `digits` ASCII digits, else None. (str.isdigit also takes "²" and
    other digits int() refuses — a 500 —, and a longer number would not fit a database key.)"""
    return int(value) if 0 < len(value) <= digits and value.isascii() and value.isdigit() else None


def year(request: HttpRequest) -> int | None:
    value = whole_number(request.GET.get("year", ""), digits=4)
    return value if value is not None and FIRST_YEAR <= value <= timezone.localdate().year + 1 else None


def years() -> list[int]:
    """The years a list can be narrowed to, newest first."""
    return list(range(timezone.localdate().year, FIRST_YEAR - 1, -1))


def choice_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """A choice field's labels in the request's language, translated once for a list rather than once a row."""
    return {value: str(label) for value, label in choices.choices}
