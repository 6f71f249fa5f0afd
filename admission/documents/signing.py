"""PAdES signatures with the issuing body's own certificate (pyHanko).

The signer is pluggable (settings.ADMISSION_SIGNER, a dotted path): the default reads one PKCS#12 file per body
from settings.ADMISSION_SIGNING_KEYS_DIR; docs/operations.md shows a PKCS#11 token signer. With
settings.ADMISSION_TSA_URL set, the signature carries a time stamp (PAdES B-T).
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.sign import fields, signers, timestamps

from ..models import Organization

DEMO_ROOT_NAME = "乡镇职责准入演示根证书（仅供演示）"  # CN is at most 64 bytes


class MissingSigningKey(Exception):
    """The issuing body has no key: rendering fails visibly and is retried once the key is installed."""


class DocumentSigner(Protocol):
    def is_demo(self, issuer: Organization) -> bool:
        """Whether documents of `issuer` are signed under the demo root (and so carry a visible 演示文件 mark)."""

    def sign(self, pdf: bytes, *, issuer: Organization) -> tuple[bytes, str]:
        """Return the signed PDF and the signer certificate's subject."""


def key_path(issuer: Organization) -> Path:
    return Path(settings.ADMISSION_SIGNING_KEYS_DIR) / f"org-{issuer.pk}.p12"


def passphrase_variable(issuer: Organization) -> str:
    return f"ADMISSION_SIGNING_PASSPHRASE_ORG_{issuer.pk}"


def passphrase_file(issuer: Organization) -> Path:
    return Path(settings.ADMISSION_SIGNING_SECRETS_DIR) / f"org-{issuer.pk}.pass"


def passphrase_source(issuer: Organization) -> str | None:
    """Where the body's own passphrase comes from, without reading it: its environment variable or its secret file.
    None: the key would be opened with the shared ADMISSION_SIGNING_PASSPHRASE, or none (a deploy check warns)."""
    if os.environ.get(passphrase_variable(issuer)):
        return passphrase_variable(issuer)
    if passphrase_file(issuer).is_file():
        return str(passphrase_file(issuer))
    return None


def _passphrase(issuer: Organization) -> bytes | None:
    """Each body's key opens with its own passphrase: one leaked secret must not open every body's seal."""
    own = os.environ.get(passphrase_variable(issuer))
    if not own and passphrase_file(issuer).is_file():
        own = passphrase_file(issuer).read_text().strip()
    return (own or settings.ADMISSION_SIGNING_PASSPHRASE).encode() or None


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime: float, passphrase: bytes | None) -> signers.SimpleSigner:
    return signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase)


class Pkcs12Signer:
    """Reads a body's key only when it signs, so only the process that renders documents (a Celery worker, or the
    web process when no broker is configured) ever holds keys in memory."""

    def _signer(self, issuer: Organization) -> signers.SimpleSigner:
        path = key_path(issuer)
        if not path.exists():
            raise MissingSigningKey(f"{issuer.name} has no signing key at {path}")
        signer = _load(str(path), path.stat().st_mtime, _passphrase(issuer))
        if signer is None:  # pyHanko answers None for a wrong passphrase or a damaged file
            raise MissingSigningKey(
                f"{issuer.name}'s signing key at {path} cannot be opened: wrong passphrase "
                f"({passphrase_variable(issuer)} or {passphrase_file(issuer)}) or a damaged file"
            )
        return signer

    def is_demo(self, issuer: Organization) -> bool:
        certificate = self._signer(issuer).signing_cert
        return certificate is not None and certificate.issuer.native.get("common_name") == DEMO_ROOT_NAME

    def sign(self, pdf: bytes, *, issuer: Organization) -> tuple[bytes, str]:
        signer = self._signer(issuer)
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="发文签章",
            location=issuer.jurisdiction.name if issuer.jurisdiction_id else "",
        )
        timestamper = timestamps.HTTPTimeStamper(settings.ADMISSION_TSA_URL) if settings.ADMISSION_TSA_URL else None
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(
            pdfa_consistent_writer(pdf), output=out
        )
        certificate = signer.signing_cert  # a PKCS#12 key file carries its certificate
        return out.getvalue(), certificate.subject.human_friendly if certificate is not None else ""


def pdfa_consistent_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer whose update keeps a PDF/A file's document information and XMP metadata the same.

    pyHanko rewrites the XMP with its own name as pdf:Producer but appends it to the Info /Producer ("WeasyPrint 70.0;
    pyHanko 0.38.0"): PDF/A (ISO 19005-2/3, 6.6.2.3) wants the two equal. Named alone in Info it is left as it is;
    WeasyPrint stays named as the creating tool (/Creator, xmp:CreatorTool: the template's generator)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info_reference = writer.trailer.raw_get("/Info")
    info = info_reference.get_object()
    info["/Producer"] = generic.TextStringObject(VENDOR)
    writer.mark_update(info_reference)
    return writer


def get_signer() -> DocumentSigner:
    return import_string(settings.ADMISSION_SIGNER)()
