"""Document numbers (发文字号): per issuing body, per kind, per year; consecutive from 1, never reused or skipped."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..inheritance import document_prefix
from ..models import DocumentCounter, DocumentKind, Organization
from .content import NUMBER_CODE


def format_number(*, issuer: Organization, kind: DocumentKind, year: int, serial: int) -> str:
    """阿编准〔2026〕3号: full year in 〔〕, serial without leading zeros; the abbreviation (阿) is the issuer's
    jurisdiction's, or inherited from the level above (admission/inheritance.py)."""
    return f"{document_prefix(issuer)}{NUMBER_CODE[kind]}〔{year}〕{serial}号"


def next_serial(*, issuer: Organization, kind: DocumentKind, year: int) -> int:
    """Take the next serial under the counter's row lock; call inside the transaction that issues the document,
    so that a rollback returns the serial and a commit keeps it (no gaps, no reuse)."""
    assert transaction.get_connection().in_atomic_block, "numbering must run inside the issuing transaction"
    counter = DocumentCounter.objects.select_for_update().filter(issuer=issuer, kind=kind, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: another transaction may create the row first
                DocumentCounter.objects.create(issuer=issuer, kind=kind, year=year)
        except IntegrityError:
            pass
        counter = DocumentCounter.objects.select_for_update().get(issuer=issuer, kind=kind, year=year)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial
