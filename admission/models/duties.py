"""The township duty list (乡镇履行职责事项清单): what each township has accepted, and what came with it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Organization
from .requests import ApprovalDecision, DutyCategory, DutyRequest, Track, case_reference


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
    category = models.CharField(
        _("清单类别"), max_length=16, choices=DutyCategory.choices, default=DutyCategory.COOPERATIVE
    )
    end_date = models.DateField(_("任务截止日期"), null=True, blank=True)
    funding_amount = models.DecimalField(_("工作经费（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=200, blank=True)
    technical_support = models.TextField(_("技术支持"), blank=True)
    training = models.TextField(_("业务培训"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=DutyStatus.choices, default=DutyStatus.ACTIVE)
    admitted_at = models.DateTimeField(_("准入时间"))
    # Art. 4(4): a duty that leaves the list stays on record with the decision that took it off.
    exit_decision = models.ForeignKey(
        ApprovalDecision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exited_duties",
        verbose_name=_("退出决定"),
    )
    exited_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("乡镇职责事项")
        verbose_name_plural = _("乡镇职责事项清单")
        ordering = ["township", "-admitted_at"]
        constraints = [models.UniqueConstraint(fields=["township", "request"], name="township_duty_once")]
        indexes = [models.Index(fields=["township", "status"])]

    def __str__(self) -> str:
        return f"{self.township} · {self.duty_name}"

    @property
    def case_reference(self) -> str:
        """The case's number. The lists read the case's creation time with the duty (selectors.township_duties,
        `case_created_at`) rather than the whole case, whose forty columns they show none of."""
        created_at = self.__dict__.get("case_created_at") or self.request.created_at
        return case_reference(self.request_id, created_at)

    @property
    def is_expired(self) -> bool:
        """Art. 4(4): a temporary task past its end date should leave the list or become regular."""
        from django.utils import timezone

        return self.status == DutyStatus.ACTIVE and self.end_date is not None and self.end_date < timezone.localdate()


# The terms of a duty that an adjustment can change (Art. 4(5)); each version records them all.
DUTY_TERMS = (
    "duty_name",
    "legal_basis",
    "content",
    "track",
    "category",
    "end_date",
    "funding_amount",
    "funding_source",
    "technical_support",
    "training",
)


# A duty's term and the request field that carries it, where the names differ.
REQUEST_FIELD = {"content": "powers_and_responsibilities", "category": "list_category"}


def terms_of_request(duty_request: DutyRequest) -> dict:
    """The duty terms a request proposes (for an admission, the terms it admits)."""
    return {term: getattr(duty_request, REQUEST_FIELD.get(term, term)) for term in DUTY_TERMS}


def terms_of_duty(duty: TownshipDuty) -> dict:
    return {term: getattr(duty, term) for term in DUTY_TERMS}


class DutyVersion(models.Model):
    """Art. 4(5): the terms of a duty from one decision on — version 1 by the admission, later ones by adjustments."""

    duty = models.ForeignKey(TownshipDuty, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(ApprovalDecision, on_delete=models.PROTECT, related_name="+")
    terms = models.JSONField(_("职责内容"))
    changed_fields = models.JSONField(_("变更内容"), default=list)
    valid_from = models.DateTimeField(_("生效时间"))

    class Meta:
        verbose_name = _("职责事项版本")
        verbose_name_plural = _("职责事项版本")
        ordering = ["duty", "number"]
        constraints = [models.UniqueConstraint(fields=["duty", "number"], name="duty_version_once")]

    def __str__(self) -> str:
        return f"{self.terms.get('duty_name', '')} v{self.number}"


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
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("保障措施落实记录")
        verbose_name_plural = _("保障措施落实记录")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"
