"""Test settings: the real settings, a throwaway key and a fast password hasher.

No settings file is read (var/demo.env of a demo in the same checkout must not change what the tests see), and the
documents point at a public test address."""

import os

os.environ.setdefault("ADMISSION_ENV_FILE", "")
os.environ.setdefault("ADMISSION_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("ADMISSION_PUBLIC_URL", "https://admission.test")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test client and the live server speak plain HTTP; tests/test_deploy__nginx.py checks the redirect through TLS.
SECURE_SSL_REDIRECT = False


# Documents stay pending unless a test renders them (document tests turn rendering on commit back on); no broker:
# tasks run in-process; no background sweep thread beside the test client.
ADMISSION_RENDER_ON_COMMIT = False
ADMISSION_SWEEP_IN_WEB = False
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True

# Identity (issue 12): most tests sign in with force_login and act at once; the second factor is required only where
# tests/test_identity__* turn it on (with the settings fixture), which also covers its enforcement.
ADMISSION_SECOND_FACTOR_REQUIRED = False

# Webhooks (issue 15): the tests' receivers listen on 127.0.0.1 over http; tests/test_webhooks.py turns this off to
# check that production refuses such a target.
ADMISSION_WEBHOOK_ALLOW_LOOPBACK = True

# Every commit seals the audit chain at once, so a test sees its events sealed whatever the test before it sealed;
# tests/test_audit__chain.py sets an interval where it checks the seal's throttle.
ADMISSION_AUDIT_SEAL_SECONDS = 0.0
