"""Test settings: the real settings, a throwaway key and a fast password hasher."""

import os

os.environ.setdefault("ADMISSION_ALLOW_INSECURE_KEY", "1")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Documents stay pending unless a test renders them (document tests turn rendering on commit back on); no broker:
# tasks run in-process; no background sweep thread beside the test client.
ADMISSION_RENDER_ON_COMMIT = False
ADMISSION_SWEEP_IN_WEB = False
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
