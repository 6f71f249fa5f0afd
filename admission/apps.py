from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("乡镇职责准入")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
