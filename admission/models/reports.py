"""Art. 7–8: a township reports a duty pushed down without admission; the organization office handles it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Jurisdiction, Organization


class PushDownMethod(models.TextChoices):
    RESPONSIBILITY_PLEDGE = "responsibility_pledge", _("签订责任状")
    QUOTA_TARGET = "quota_target", _("分解下达指标")
    INSPECTION = "inspection", _("检查考核、督查")
    DIRECT_ORDER = "direct_order", _("直接交办、硬性摊派")
    OTHER = "other", _("其他方式")


class ReportFinding(models.TextChoices):
    VIOLATION_CORRECTED = "violation_corrected", _("违规属实，已责令纠正")
    UNFOUNDED = "unfounded", _("反映不实")
    CONVERTED = "converted", _("转由部门依程序提出准入申请")


class UnadmittedDutyReport(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="reports_made", verbose_name=_("反映乡镇")
    )
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="reports_about", verbose_name=_("被反映部门")
    )
    duty_description = models.TextField(_("被下放的工作事项"))
    method = models.CharField(_("下放方式"), max_length=32, choices=PushDownMethod.choices)
    details = models.TextField(_("具体情况"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    finding = models.CharField(_("处理结果"), max_length=32, choices=ReportFinding.choices, blank=True)
    finding_text = models.TextField(_("核查情况和处理意见"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("未经准入下放事项反映")
        verbose_name_plural = _("未经准入下放事项反映")
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.township} · {self.department} · {self.duty_description[:20]}"
