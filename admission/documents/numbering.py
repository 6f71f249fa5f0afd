"""Document numbers (发文字号): per issuing body, per kind, per year; consecutive from 1, never reused or skipped."""

from __future__ import annotations

from django.db import connection, transaction

from ..inheritance import document_prefix
from ..models import DocumentCounter, DocumentKind, Organization
from .content import NUMBER_CODE


def format_number(*, issuer: Organization, kind: DocumentKind, year: int, serial: int) -> str:
    """阿编准〔2026〕3号: full year in 〔〕, serial without leading zeros; the abbreviation (阿) is the issuer's
    jurisdiction's, or inherited from the level above (admission/inheritance.py)."""
    return f"{document_prefix(issuer)}{NUMBER_CODE[kind]}〔{year}〕{serial}号"


def next_serial(*, issuer: Organization, kind: DocumentKind, year: int) -> int:
    """Take the next serial under the counter's row lock; call inside the transaction that issues the document,
    so that a rollback returns the serial and a commit keeps it (no gaps, no reuse).

    One statement: the year's counter is created at 1 or, when it exists, counted up under its row lock (PostgreSQL
    and SQLite both have INSERT … ON CONFLICT … DO UPDATE … RETURNING; a second issuer of the same kind waits for the
    first's commit, as with SELECT … FOR UPDATE before)."""
    assert transaction.get_connection().in_atomic_block, "numbering must run inside the issuing transaction"
    table = connection.ops.quote_name(DocumentCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (issuer_id, kind, year, last_serial) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (issuer_id, kind, year) DO UPDATE SET last_serial = {table}.last_serial + 1 "
            "RETURNING last_serial",
            [issuer.pk, kind, year],
        )
        return int(cursor.fetchone()[0])
