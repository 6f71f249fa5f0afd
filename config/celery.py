"""The Celery application: `celery -A config worker` / `celery -A config beat` (make worker, make scheduler).

Its configuration is the CELERY_* block of config/settings.py; the tasks live beside the code they run
(admission/tasks.py, found by autodiscovery).
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("admission")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_without_broker(sender=None, **kwargs) -> None:
    """A worker or scheduler without CELERY_BROKER_URL would wait for a broker on amqp://localhost for ever."""
    if app.conf.task_always_eager:
        raise SystemExit(
            "CELERY_BROKER_URL is not set: tasks run in the web process and no worker or scheduler is needed. "
            "Set it (e.g. redis://127.0.0.1:6379/0) for the web processes, the workers and the scheduler alike."
        )
