"""Append-only audit trail: one event per state change, written in the same transaction."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Jurisdiction, Organization
from .requests import DutyRequest, RequestState


class AuditAction(models.TextChoices):
    CREATE_REQUEST = "create_request", _("创建申请")
    UPDATE_REQUEST = "update_request", _("修改申请")
    ATTACH_FILE = "attach_file", _("上传附件")
    START_CONSULTATION = "start_consultation", _("书面征求乡镇意见")
    RECORD_CONSULTATION_OPINION = "record_consultation_opinion", _("乡镇出具书面意见")
    CONCLUDE_CONSULTATION = "conclude_consultation", _("征求意见结束")
    SUBMIT_REQUEST = "submit_request", _("提交书面申请")
    RETURN_FOR_SUPPLEMENT = "return_for_supplement", _("一次性告知补正材料")
    RESUBMIT_REQUEST = "resubmit_request", _("补正后重新提交")
    ACCEPT_FOR_REVIEW = "accept_for_review", _("受理并启动联席审核")
    RECORD_BUREAU_OPINION = "record_bureau_opinion", _("成员单位审核意见")
    REQUEST_ADVISORY_OPINIONS = "request_advisory_opinions", _("征求相关部门、专家意见")
    RECORD_ADVISORY_OPINION = "record_advisory_opinion", _("相关部门、专家出具意见")
    CONCLUDE_REVIEW = "conclude_review", _("形成审核意见")
    DECIDE_APPROVAL = "decide_approval", _("审批决定")
    ADMIT_TO_DUTY_LIST = "admit_to_duty_list", _("纳入乡镇职责事项清单")
    PROPOSE_CHANGE = "propose_change", _("提出退出或调整")
    SKIP_CONSULTATION = "skip_consultation", _("无需征求其他乡镇意见")
    EXIT_FROM_DUTY_LIST = "exit_from_duty_list", _("退出乡镇职责事项清单")
    ADJUST_DUTY = "adjust_duty", _("调整乡镇职责事项")
    WITHDRAW_REQUEST = "withdraw_request", _("撤回申请")
    ISSUE_DOCUMENT = "issue_document", _("编号发文")
    RECORD_SAFEGUARD_DELIVERY = "record_safeguard_delivery", _("部门登记保障措施落实")
    CONFIRM_SAFEGUARD_DELIVERY = "confirm_safeguard_delivery", _("乡镇确认收到保障")
    REPORT_UNADMITTED_DUTY = "report_unadmitted_duty", _("反映未经准入下放事项")
    HANDLE_REPORT = "handle_report", _("处理反映事项")
    RENDER_DOCUMENT = "render_document", _("公文生成并签章")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, null=True, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("操作"), max_length=40, choices=AuditAction.choices)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    note = models.TextField(_("意见或说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M} " if self.created_at else ""
        return f"{when}{self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")

    @property
    def state_change_label(self) -> str:
        if not self.to_state or self.to_state == self.from_state:
            return ""
        return f"{RequestState(self.from_state).label} → {RequestState(self.to_state).label}"
