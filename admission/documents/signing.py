"""PAdES signatures with the issuing body's own certificate (pyHanko).

The signer is pluggable (settings.ADMISSION_SIGNER, a dotted path): the default reads one PKCS#12 file per body
from settings.ADMISSION_SIGNING_KEYS_DIR; docs/operations.md shows a PKCS#11 token signer. With
settings.ADMISSION_TSA_URL set, the signature carries a time stamp (PAdES B-T).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
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


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> signers.SimpleSigner:
    passphrase = settings.ADMISSION_SIGNING_PASSPHRASE.encode() or None
    return signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase)


class Pkcs12Signer:
    def _signer(self, issuer: Organization) -> signers.SimpleSigner:
        path = key_path(issuer)
        if not path.exists():
            raise MissingSigningKey(f"{issuer.name} has no signing key at {path}")
        return _load(str(path), path.stat().st_mtime)

    def is_demo(self, issuer: Organization) -> bool:
        certificate = self._signer(issuer).signing_cert
        return certificate is not None and certificate.issuer.native.get("common_name") == DEMO_ROOT_NAME

    def sign(self, pdf: bytes, *, issuer: Organization) -> tuple[bytes, str]:
        signer = self._signer(issuer)
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            reason="发文签章", location=issuer.jurisdiction.name if issuer.jurisdiction_id else "",
        )
        timestamper = timestamps.HTTPTimeStamper(settings.ADMISSION_TSA_URL) if settings.ADMISSION_TSA_URL else None
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
        )
        certificate = signer.signing_cert  # a PKCS#12 key file carries its certificate
        return out.getvalue(), certificate.subject.human_friendly if certificate is not None else ""


def get_signer() -> DocumentSigner:
    return import_string(settings.ADMISSION_SIGNER)()
