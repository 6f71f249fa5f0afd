"""Is this PDF the registered document, intact, and signed by a trusted issuing body? Is this OFD the registered one?"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ..file_content import TooComplex, screen_pdf
from ..models import DocumentStatus, OfficialDocument
from .ofd import claimed_code, is_ofd

CODE_IN_KEYWORDS = re.compile(r"验证码([0-9A-Z]{10})")


@dataclass
class Verdict:
    document: OfficialDocument | None  # the registered document this file is, or claims to be
    registered: bool  # byte for byte the registered file
    signed: bool
    intact: bool  # the signature covers the file and the signed bytes are unchanged
    trusted: bool  # the signer's certificate chains to a configured trust root
    signer: str
    problem: str  # a sentence for people when something is wrong
    # "pdf", or "ofd": an OFD carries no signature of its own (docs/documents.md); it is genuine when it is byte for
    # byte the OFD registered beside the signed PDF, whose SHA-256 the register holds.
    format: str = "pdf"

    @property
    def valid(self) -> bool:
        signature_holds = self.format == "ofd" or (self.intact and self.trusted)
        return (
            self.registered
            and signature_holds
            and self.document is not None
            and self.document.status == DocumentStatus.VALID
        )


def trust_roots() -> list:
    return [load_cert_from_pemder(str(p)) for p in map(Path, settings.ADMISSION_TRUST_ROOTS) if p.exists()]


def _claimed_document(reader: PdfFileReader | None) -> OfficialDocument | None:
    try:
        keywords = str(reader.trailer["/Info"].get("/Keywords", "")) if reader else ""
    except Exception:  # a damaged Info dictionary says nothing about the claim
        keywords = ""
    match = CODE_IN_KEYWORDS.search(keywords)
    return OfficialDocument.objects.filter(verification_code=match.group(1)).first() if match else None


def verify_file(data: bytes) -> Verdict:
    """A PDF or an OFD, told apart by their content."""
    return verify_ofd(data) if is_ofd(data) else verify_pdf(data)


def verify_ofd(data: bytes) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    registered = OfficialDocument.objects.filter(ofd_sha256=digest).select_related("issuer").first()
    claimed = None if registered else OfficialDocument.objects.filter(verification_code=claimed_code(data)).first()
    verdict = Verdict(
        document=registered or claimed,
        registered=registered is not None,
        signed=False,
        intact=registered is not None,
        trusted=False,
        signer="",
        problem="",
        format="ofd",
    )
    verdict.problem = _problem(verdict)
    return verdict


def verify_pdf(data: bytes) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    registered = OfficialDocument.objects.filter(sha256=digest).select_related("issuer").first()
    try:
        # pyHanko reads without decompression or time limits: the file is first read within them.
        screen_pdf(data)
    except TooComplex:
        return Verdict(
            document=registered,
            registered=registered is not None,
            signed=False,
            intact=False,
            trusted=False,
            signer="",
            problem=_("文件结构过于庞大或复杂（页数、对象过多或解压后内容过大），无法在限定时间内查验。"),
        )
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        reader, signatures = None, []
    document = registered or _claimed_document(reader)
    verdict = Verdict(
        document=document,
        registered=registered is not None,
        signed=bool(signatures),
        intact=False,
        trusted=False,
        signer="",
        problem="",
    )
    if signatures:
        try:
            status = validate_pdf_signature(
                signatures[-1], ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
            )
            verdict.intact = (
                status.intact and status.valid and status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
            )
            verdict.trusted = status.trusted
            verdict.signer = status.signing_cert.subject.human_friendly
        except Exception as error:  # a signature that cannot even be parsed is not intact
            verdict.problem = f"签名无法解析：{error.__class__.__name__}"
    if not verdict.problem:
        verdict.problem = _problem(verdict)
    return verdict


def _problem(verdict: Verdict) -> str:
    if verdict.document is None:
        return "未找到登记的公文：该文件不是本系统印发的公文。"
    if not verdict.registered:
        return f"文件内容与登记的公文（{verdict.document.number}）不一致，可能已被改动。"
    if verdict.format == "ofd":
        if verdict.document.status != DocumentStatus.VALID:
            return f"该公文状态为“{verdict.document.get_status_display()}”。"
        return ""
    if not verdict.signed:
        return "文件没有电子签章。"
    if not verdict.intact:
        return "电子签章校验失败：签章后文件被改动。"
    if not verdict.trusted:
        return "签章证书不受信任。"
    if verdict.document.status != DocumentStatus.VALID:
        return f"该公文状态为“{verdict.document.get_status_display()}”。"
    return ""
