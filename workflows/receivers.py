"""Every new human task of the admission flow gets its due date in the transaction that creates it, and whoever may
do it is told once that transaction commits."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from viewflow.workflow.models import Task

from admission.models import DutyRequest
from admission.services.deadlines import set_deadline
from admission.tasks import announce_later


@receiver(post_save, sender=Task, dispatch_uid="admission_task_deadline")
def give_new_task_its_deadline(sender, instance: Task, created: bool, **kwargs) -> None:
    if not created or instance.flow_task_type != "HUMAN":
        return
    # The flow's nodes have usually loaded the case already (a gateway's condition, a split's data source).
    duty_request = instance.process.artifact
    if isinstance(duty_request, DutyRequest):
        set_deadline(task=instance, jurisdiction_id=duty_request.jurisdiction_id)
        announce_later("task", instance.pk)
