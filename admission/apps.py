from django.apps import AppConfig
from django.core.signals import request_started
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("乡镇职责准入")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, receivers  # noqa: F401  (registers the system checks and the model receivers)

        post_migrate.connect(receivers.administrator_groups_after_migrate, sender=self)

        # The healing sweep starts with the first request a web process serves: never during migrate or commands.
        request_started.connect(_sweep_on_request, dispatch_uid="admission-sweep")


def _sweep_on_request(**kwargs) -> None:
    from django.conf import settings

    if settings.ADMISSION_SWEEP_IN_WEB:
        from .tasks import sweep_from_web

        sweep_from_web()
