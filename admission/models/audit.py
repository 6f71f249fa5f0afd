"""Append-only audit trail: one event per state change or security event, written in the same transaction, then
sealed into a hash chain (each event's hash covers the one before it), so a rewritten or deleted row is caught."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .organizations import Jurisdiction, Organization
from .requests import CONSULTATION_SKIPPED, DutyRequest, RequestState


class AuditAction(models.TextChoices):
    CREATE_REQUEST = "create_request", _("创建申请")
    UPDATE_REQUEST = "update_request", _("修改申请")
    ATTACH_FILE = "attach_file", _("上传附件")
    START_CONSULTATION = "start_consultation", pgettext_lazy("audit action", "书面征求乡镇意见")
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
    REASSIGN_TASK = "reassign_task", _("转办")
    URGE_TASK = "urge_task", _("催办")
    RETURN_TO_STEP = "return_to_step", _("退回")
    COPY_CASE = "copy_case", _("抄送")
    COMMENT_CASE = "comment_case", _("内部意见")
    SET_NOTICE_PREFERENCE = "set_notice_preference", _("修改提醒设置")
    # Security events (等保2.0 安全审计): who, from where, with what outcome.
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账号锁定")
    UNLOCK = "unlock", _("解除锁定")
    PASSWORD_CHANGE = "password_change", pgettext_lazy("audit action", "修改密码")  # the page's title is a command
    SECOND_FACTOR_CHANGE = "second_factor_change", _("变更双因素认证")
    DOWNLOAD = "download", _("下载文件")
    EXPORT = "export", _("导出数据")
    PERMISSION_DENIED = "permission_denied", _("越权访问被拒绝")
    ADMIN_CHANGE = "admin_change", _("管理后台变更")
    MEMBERSHIP_CHANGE = "membership_change", _("人员单位或角色变更")
    REFUSE_STORED_FILE = "refuse_stored_file", _("存储文件校验不符，拒绝提供")
    IDENTITY_CHANGE = "identity_change", _("统一身份认证账号对应变更")
    ONBOARDING = "onboarding", _("旗县上线导入（机构、乡镇、用户）")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


SECURITY_ACTIONS = frozenset(
    {
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOCKOUT,
        AuditAction.UNLOCK,
        AuditAction.PASSWORD_CHANGE,
        AuditAction.SECOND_FACTOR_CHANGE,
        AuditAction.DOWNLOAD,
        AuditAction.EXPORT,
        AuditAction.PERMISSION_DENIED,
        AuditAction.ADMIN_CHANGE,
        AuditAction.MEMBERSHIP_CHANGE,
        AuditAction.REFUSE_STORED_FILE,
        AuditAction.IDENTITY_CHANGE,
    }
)


class AuditEventQuerySet(models.QuerySet):
    def changes(self):
        """Events that record a change of the system's data (not who logged in, looked or was refused)."""
        return self.exclude(action__in=SECURITY_ACTIONS)

    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


# The fields a seal covers, in order. Changing this list breaks every existing chain: add a new version instead.
SEALED_FIELDS = (
    "sequence",
    "previous_hash",
    "jurisdiction_id",
    "request_id",
    "actor_id",
    "organization_id",
    "action",
    "from_state",
    "to_state",
    "note",
    "data",
    "source_address",
    "user_agent",
    "outcome",
    "created_at",
)
GENESIS_HASH = "0" * 64


def event_digest(values: dict) -> str:
    """SHA-256 over an event's sealed fields (a plain dict, so data migrations can seal with historical models)."""
    canonical = {
        field: values[field].isoformat() if field == "created_at" else values[field] for field in SEALED_FIELDS
    }
    return hashlib.sha256(
        json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


class AuditEvent(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, null=True, related_name="+")
    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, null=True, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("操作"), max_length=40, choices=AuditAction.choices)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    note = models.TextField(_("意见或说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    source_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # Set once, by services.audit.seal_pending_events, after the recording transaction commits.
    sequence = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M} " if self.created_at else ""
        return f"{when}{self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def get_action_display(self) -> str:  # type: ignore[no-redef]
        """The action's label, looked up in the enum. Django's generated method builds a dict of all the ~40 lazy
        labels (translating each) on every call, which the case page's timeline paid once per event: 7 ms of CPU for
        a case with 33 events, 0.2 ms this way (docs/benchmarks.md, load benchmark)."""
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action

    def sealed_values(self) -> dict:
        return {field: getattr(self, field) for field in SEALED_FIELDS}

    @property
    def state_change_label(self) -> str:
        if not self.to_state or self.to_state == self.from_state:
            return ""
        to = CONSULTATION_SKIPPED if self.action == AuditAction.SKIP_CONSULTATION else RequestState(self.to_state).label
        return f"{RequestState(self.from_state).label} → {to}"


class AuditChainHead(models.Model):
    """The end of the audit hash chain: one row, locked while events are sealed onto it."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"#{self.last_sequence} {self.last_hash[:12]}"
