"""A demo certificate authority: one root, and one signing certificate per issuing body."""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..models import Organization
from .signing import DEMO_ROOT_NAME, key_path, passphrase_file

ROOT_FILE = "demo-root.pem"  # the demo root's certificate, public: beside the bodies' keys as a trust root


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


def _root(ca_dir: Path, keys_dir: Path):
    """The demo root: its private key lives in `ca_dir`, apart from the bodies' keys (a process that signs for a
    body never needs it); its certificate is copied beside the bodies' keys, where verification trusts it."""
    key_file, cert_file = ca_dir / "demo-root.key", ca_dir / ROOT_FILE
    if key_file.exists() and cert_file.exists():
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        keys_dir.mkdir(parents=True, exist_ok=True)
        (keys_dir / ROOT_FILE).write_bytes(cert_file.read_bytes())
        return serialization.load_pem_private_key(key_file.read_bytes(), None), cert
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(DEMO_ROOT_NAME))
        .issuer_name(_name(DEMO_ROOT_NAME))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca_dir.mkdir(parents=True, exist_ok=True)
    ca_dir.chmod(0o700)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keys_dir.mkdir(parents=True, exist_ok=True)
    (keys_dir / ROOT_FILE).write_bytes(cert_file.read_bytes())
    return key, cert


def issue_demo_certificates(
    *,
    keys_dir: Path,
    organizations,
    passphrase: str | None = None,
    ca_dir: Path | None = None,
) -> list[Path]:
    """Create the root if missing and a PKCS#12 file for each organization that has none; returns the new files.

    passphrase None (the demo): each key gets a random passphrase of its own, written to the body's secret file
    (settings.ADMISSION_SIGNING_SECRETS_DIR, readable by its owner only); "" leaves the keys unencrypted (tests)."""
    root_key, root_cert = _root(ca_dir or keys_dir.parent / "demo-ca", keys_dir)
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
            .issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        own = passphrase
        if own is None:
            own = secrets.token_urlsafe(24)
            secret = passphrase_file(org)
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.parent.chmod(0o700)
            secret.write_text(own + "\n")
            secret.chmod(0o600)
        encryption = serialization.BestAvailableEncryption(own.encode()) if own else serialization.NoEncryption()
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                name=f"org-{org.pk}".encode(), key=key, cert=cert, cas=[root_cert], encryption_algorithm=encryption
            )
        )
        path.chmod(0o600)
        created.append(path)
    return created


def issuing_organizations():
    """Bodies that issue documents in this procedure."""
    return Organization.objects.exclude(document_code="").select_related("jurisdiction")
