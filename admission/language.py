"""The official language of records and documents.

Someone may work in English, but what the system records (audit notes, official documents) is the government's
record and is written in the official language (settings.LANGUAGE_CODE), whatever the actor's interface language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")


def official(text: object) -> str:
    """`text` (a choice label, a lazy translation) as written in the official language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def in_official_language(build: Callable[P, R]) -> Callable[P, R]:
    """Build a record or document in the official language."""

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return built
