"""Issuing official documents: number them inside the deciding transaction; render, seal and sign after commit."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ..documents import content as drafts
from ..documents.numbering import format_number, next_serial
from ..inheritance import signatory
from ..models import AuditAction, DutyRequest, OfficialDocument
from . import rendering
from .audit import record_event
from .transitions import service_block

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Crockford-style alphabet: no 0/O, 1/I/L, so a code read aloud or typed from paper is unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def issue_document(*, draft: drafts.Draft, duty_request: DutyRequest | None, actor: User) -> OfficialDocument:
    """Give `draft` its number and verification code and record it; the PDF is produced after commit."""
    with service_block():
        now = timezone.localtime()
        serial = next_serial(issuer=draft.issuer, kind=draft.kind, year=now.year)
        number = format_number(issuer=draft.issuer, kind=draft.kind, year=now.year, serial=serial)
        document = OfficialDocument.objects.create(
            # A case's documents belong to its banner, whoever issues them (a city's reply too: issue 15).
            jurisdiction_id=duty_request.jurisdiction_id if duty_request else draft.issuer.jurisdiction_id,
            request=duty_request,
            kind=draft.kind,
            issuer=draft.issuer,
            year=now.year,
            serial=serial,
            number=number,
            title=draft.title,
            issued_at=now,
            issued_by=actor,
            verification_code=new_verification_code(),
            content={
                "mark": draft.issuer.official_name + drafts.HEADER_SUFFIX[draft.kind],
                # A joint body is addressed by its bodies' names: 中共阿荣旗委员会、阿荣旗人民政府.
                "addressees": ["、".join(drafts.issuer_names(o)) for o in draft.addressees],
                "copies": ["、".join(drafts.issuer_names(o)) for o in draft.copies],
                "blocks": draft.blocks,
                "attachments": draft.attachments,
                "signature": draft.issuer.official_name or draft.issuer.name,
                # How it is laid out (GB/T 9704): one mark line, seal and signature per issuer; letter format;
                # the signatory of an upward document beside its number.
                "issuers": drafts.issuer_names(draft.issuer),
                # The same names in traditional Mongolian, one for each (none where the body has none).
                "issuers_mongolian": drafts.mongolian_issuer_names(draft.issuer),
                "mark_suffix": drafts.HEADER_SUFFIX[draft.kind],
                "letter": draft.kind in drafts.LETTER_KINDS,
                "signatory": signatory(draft.issuer, draft.kind) if draft.kind in drafts.UPWARD_KINDS else "",
                "date": f"{now:%Y}年{now.month}月{now.day}日",
            },
        )
        document.recipients.add(*draft.addressees, *draft.copies)  # a new document: nothing to replace
        if duty_request is not None:
            record_event(
                duty_request=duty_request,
                actor=actor,
                action=AuditAction.ISSUE_DOCUMENT,
                note=f"{number} {draft.title}",
                data={"document": document.pk, "number": number},
            )
        transaction.on_commit(lambda: rendering.schedule(document.pk))
    return document
