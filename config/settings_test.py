"""Test settings: the real settings, a throwaway key and a fast password hasher."""

import os

os.environ.setdefault("ADMISSION_ALLOW_INSECURE_KEY", "1")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Documents wait for the worker unless a test renders them; document tests switch to "inline".
ADMISSION_DOCUMENT_JOBS = "worker"
