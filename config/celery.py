"""The Celery application: `celery -A config worker` / `celery -A config beat` (make worker, make scheduler).

Its configuration is the CELERY_* block of config/settings.py; the tasks live beside the code they run
(admission/tasks.py, found by autodiscovery).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("admission")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
