from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("办理流程")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the task-deadline receiver)
