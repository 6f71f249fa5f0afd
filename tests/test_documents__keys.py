"""等保2.0 数据保密性 (keys): each issuing body's signing key opens with its own passphrase, kept in the signing
process's environment or an owner-only secret file; the demo root's private key lives apart from the bodies' keys;
only the process that signs loads keys."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from admission import checks
from admission.documents import signing
from admission.documents.pki import ROOT_FILE, issue_demo_certificates, issuing_organizations
from web import health


@pytest.fixture
def demo_keys(settings, tmp_path, banner):
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.ADMISSION_SIGNING_SECRETS_DIR = tmp_path / "secrets"
    settings.ADMISSION_SIGNING_PASSPHRASE = ""
    signing._load.cache_clear()
    issue_demo_certificates(keys_dir=tmp_path / "keys", organizations=issuing_organizations(), ca_dir=tmp_path / "ca")
    return tmp_path


def test_each_body_key_has_its_own_passphrase_in_an_owner_only_file(demo_keys):
    bodies = list(issuing_organizations())
    secrets = {signing.passphrase_file(b).read_text().strip() for b in bodies}
    assert len(secrets) == len(bodies)
    for body in bodies:
        secret = signing.passphrase_file(body)
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        with pytest.raises(ValueError):  # the PKCS#12 file is encrypted
            pkcs12.load_key_and_certificates(signing.key_path(body).read_bytes(), None)
        assert signing.passphrase_source(body) == str(secret)
        assert signing.get_signer().is_demo(body)  # and opens with its own passphrase


def test_the_demo_roots_private_key_is_kept_apart_from_the_bodies_keys(demo_keys):
    assert (demo_keys / "keys" / ROOT_FILE).is_file() and not (demo_keys / "keys" / "demo-root.key").exists()
    assert (demo_keys / "ca" / "demo-root.key").is_file()
    assert stat.S_IMODE((demo_keys / "ca").stat().st_mode) == 0o700


def test_a_passphrase_in_the_environment_names_the_body_and_wins(demo_keys, monkeypatch):
    body = next(iter(issuing_organizations()))
    monkeypatch.setenv(signing.passphrase_variable(body), "wrong passphrase")
    signing._load.cache_clear()
    assert signing.passphrase_source(body) == f"ADMISSION_SIGNING_PASSPHRASE_ORG_{body.pk}"
    with pytest.raises(signing.MissingSigningKey, match="cannot be opened"):
        signing.get_signer().is_demo(body)


def test_with_workers_the_web_process_checks_keys_without_loading_them(demo_keys, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    signing._load.cache_clear()
    assert "loaded by the workers" in health._signing_keys()
    assert signing._load.cache_info().currsize == 0
    settings.CELERY_BROKER_URL = ""
    health._signing_keys()
    assert signing._load.cache_info().currsize == len(list(issuing_organizations()))


def test_a_deploy_check_warns_of_keys_without_a_passphrase_of_their_own(settings, tmp_path, banner):
    settings.DEBUG = False
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.ADMISSION_SIGNING_SECRETS_DIR = tmp_path / "secrets"
    issue_demo_certificates(
        keys_dir=tmp_path / "keys", organizations=issuing_organizations(), passphrase="", ca_dir=tmp_path / "ca"
    )
    assert [w.id for w in checks.signing_keys_have_their_own_passphrases(None)] == ["admission.W011"]
    for body in issuing_organizations():
        signing.passphrase_file(body).parent.mkdir(parents=True, exist_ok=True)
        signing.passphrase_file(body).write_text("own\n")
    assert checks.signing_keys_have_their_own_passphrases(None) == []
