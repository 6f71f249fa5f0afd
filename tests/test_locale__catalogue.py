"""Plain `pytest` on a fresh clone: the English catalogue is compiled when the session starts (tests/conftest.py)."""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import translation

from tests.support import compile_stale_catalogues, stale_catalogues

ENGLISH_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _translated_entries(po: Path) -> dict[str, str]:
    """{msgid: msgstr} of the catalogue's plain entries (no context, no plural, not fuzzy, translated)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    field: str | None = None
    fuzzy = False

    def close():
        if current.get("msgid") and current.get("msgstr") and not fuzzy and set(current) == {"msgid", "msgstr"}:
            entries[current["msgid"]] = current["msgstr"]

    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            close()
            current, field, fuzzy = {}, None, False
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert field is not None, line
            current[field] += ast.literal_eval(line)
        else:
            field, _, quoted = line.partition(" ")
            current[field] = ast.literal_eval(quoted)
    return entries


def test_the_english_catalogue_is_compiled_and_current_when_the_session_starts():
    mo = ENGLISH_PO.with_suffix(".mo")
    assert mo.exists()
    assert mo.stat().st_mtime >= ENGLISH_PO.stat().st_mtime
    assert stale_catalogues(ENGLISH_PO.parents[2]) == []


def test_every_translated_entry_of_the_english_catalogue_resolves_in_english():
    entries = _translated_entries(ENGLISH_PO)
    assert len(entries) > 100  # the parser read the catalogue, not a handful of lines
    with translation.override("en"):
        wrong = {
            msgid: (msgstr, translation.gettext(msgid))
            for msgid, msgstr in entries.items()
            if translation.gettext(msgid) != msgstr
        }
    assert wrong == {}
    with translation.override("zh-hans"):
        assert translation.gettext(next(iter(entries))) == next(iter(entries))


def test_a_missing_or_older_catalogue_is_compiled_and_a_current_one_is_left_alone(tmp_path):
    po = tmp_path / "en" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    shutil.copy(ENGLISH_PO, po)
    mo = po.with_suffix(".mo")

    assert compile_stale_catalogues(tmp_path) == [po]  # missing
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
    compiled_at = mo.stat().st_mtime_ns
    assert compile_stale_catalogues(tmp_path) == []  # current: not compiled again
    assert mo.stat().st_mtime_ns == compiled_at

    os.utime(mo, ns=(compiled_at - 10**9, compiled_at - 10**9))  # older than the .po by a second
    os.utime(po, ns=(compiled_at, compiled_at))
    assert compile_stale_catalogues(tmp_path) == [po]
    assert mo.stat().st_mtime >= po.stat().st_mtime
    assert mo.read_bytes() == ENGLISH_PO.with_suffix(".mo").read_bytes()
