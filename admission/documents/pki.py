"""A demo certificate authority: one root, and one signing certificate per issuing body."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..models import Organization
from .signing import DEMO_ROOT_NAME, key_path

ROOT_FILE = "demo-root.pem"


def _fit(text: str, limit: int = 64) -> str:
    """X.509 names hold at most 64 bytes; a long joint name is cut at a character boundary."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def _name(common_name: str, organization: str = "") -> x509.Name:
    common_name, organization = _fit(common_name), _fit(organization)
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.insert(1, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def _root(keys_dir: Path):
    key_file, cert_file = keys_dir / "demo-root.key", keys_dir / ROOT_FILE
    if key_file.exists() and cert_file.exists():
        return (serialization.load_pem_private_key(key_file.read_bytes(), None),
                x509.load_pem_x509_certificate(cert_file.read_bytes()))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(DEMO_ROOT_NAME)).issuer_name(_name(DEMO_ROOT_NAME))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    keys_dir.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def issue_demo_certificates(*, keys_dir: Path, organizations, passphrase: str) -> list[Path]:
    """Create the root if missing and a PKCS#12 file for each organization that has none; returns the new files."""
    root_key, root_cert = _root(keys_dir)
    now = datetime.datetime.now(datetime.UTC)
    created = []
    for org in organizations:
        path = key_path(org)
        if path.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(org.official_name or org.name, org.jurisdiction.name))
            .issuer_name(root_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                      else serialization.NoEncryption())
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            name=f"org-{org.pk}".encode(), key=key, cert=cert, cas=[root_cert], encryption_algorithm=encryption))
        path.chmod(0o600)
        created.append(path)
    return created


def issuing_organizations():
    """Bodies that issue documents in this procedure."""
    return Organization.objects.exclude(document_prefix="").select_related("jurisdiction")
