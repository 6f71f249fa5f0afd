from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from viewflow.workflow.models import Process

from admission.models import DutyRequest


class AdmissionProcess(Process):
    """One admission case routed through AdmissionFlow; its artifact is the DutyRequest."""

    class Meta:
        proxy = True
        verbose_name = "准入办理流程"

    @property
    def duty_request(self) -> DutyRequest:
        return self.artifact

    @classmethod
    def for_request(cls, duty_request: DutyRequest) -> QuerySet[AdmissionProcess]:
        return cls.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(DutyRequest), artifact_object_id=duty_request.pk
        )
