"""The township duty list (乡镇履行职责事项清单): what each township has accepted, and what came with it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Organization
from .requests import ApprovalDecision, DutyCategory, DutyRequest, Track


class DutyStatus(models.TextChoices):
    ACTIVE = "active", _("履行中")
    EXITED = "exited", _("已退出")


class TownshipDuty(models.Model):
    """One admitted duty on one township's list. Created only by an admission decision (Art. 7)."""

    township = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="township_duties")
    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, related_name="township_duties")
    decision = models.ForeignKey(ApprovalDecision, on_delete=models.PROTECT, related_name="township_duties")
    department = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    duty_name = models.CharField(_("职责名称"), max_length=120)
    legal_basis = models.TextField(_("法定依据"))
    content = models.TextField(_("权责内容"))
    track = models.CharField(_("准入类型"), max_length=16, choices=Track.choices)
    category = models.CharField(_("清单类别"), max_length=16, choices=DutyCategory.choices,
                                default=DutyCategory.COOPERATIVE)
    end_date = models.DateField(_("任务截止日期"), null=True, blank=True)
    funding_amount = models.DecimalField(_("工作经费（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=200, blank=True)
    technical_support = models.TextField(_("技术支持"), blank=True)
    training = models.TextField(_("业务培训"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=DutyStatus.choices, default=DutyStatus.ACTIVE)
    admitted_at = models.DateTimeField(_("准入时间"))

    class Meta:
        verbose_name = _("乡镇职责事项")
        verbose_name_plural = _("乡镇职责事项清单")
        ordering = ["township", "-admitted_at"]
        constraints = [models.UniqueConstraint(fields=["township", "request"], name="township_duty_once")]
        indexes = [models.Index(fields=["township", "status"])]

    def __str__(self) -> str:
        return f"{self.township} · {self.duty_name}"

    @property
    def is_expired(self) -> bool:
        """Art. 4(4): a temporary task past its end date should leave the list or become regular."""
        from django.utils import timezone

        return self.status == DutyStatus.ACTIVE and self.end_date is not None and self.end_date < timezone.localdate()


class SafeguardKind(models.TextChoices):
    FUNDING = "funding", _("工作经费")
    TECHNICAL_SUPPORT = "technical_support", _("技术支持")
    TRAINING = "training", _("业务培训")


class SafeguardDelivery(models.Model):
    """Art. 5: what the department transferred or delivered for a duty, and the township's confirmation of receipt."""

    duty = models.ForeignKey(TownshipDuty, on_delete=models.PROTECT, related_name="deliveries")
    kind = models.CharField(_("保障类别"), max_length=24, choices=SafeguardKind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    description = models.CharField(_("说明"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("保障措施落实记录")
        verbose_name_plural = _("保障措施落实记录")
        ordering = ["recorded_at", "pk"]
