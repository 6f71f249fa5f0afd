from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("乡镇职责准入")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, receivers  # noqa: F401  (registers the system checks and the model receivers)

        post_migrate.connect(receivers.administrator_groups_after_migrate, sender=self)
