"""Official documents the procedure issues, their numbers, and their rendering status."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Jurisdiction, Organization, OrganizationKind, Role
from .requests import DutyRequest


class DocumentKind(models.TextChoices):
    CONSULTATION_LETTER = "consultation_letter", _("征求意见函")
    SUPPLEMENT_NOTICE = "supplement_notice", _("补正材料一次性告知书")
    NON_ADMISSION_NOTICE = "non_admission_notice", _("不予准入告知书")
    REVIEW_OPINION = "review_opinion", _("审核意见的请示")
    ADMISSION_DECISION = "admission_decision", _("准入决定")
    REFUSAL_NOTICE = "refusal_notice", _("不予批准通知")
    EXIT_NOTICE = "exit_notice", _("退出通知")
    ADJUSTMENT_NOTICE = "adjustment_notice", _("调整通知")
    APPROVAL_FORM = "approval_form", _("审批单")
    CITY_APPROVAL = "city_approval", _("准入批复")


# Which body issues a kind of document (Art. 4(3)–(5) leave it to the banner): the procedure's choice first; the
# other bodies a jurisdiction may choose instead. Kinds not named here are fixed by the measure (the applicant's
# consultation letter, the lead unit's notices and its 请示, the city's reply).
ISSUER_CHOICES: dict[str, tuple[OrganizationKind, ...]] = {
    DocumentKind.ADMISSION_DECISION: (OrganizationKind.BANNER_LEADERSHIP, OrganizationKind.ORGANIZATION_OFFICE),
    DocumentKind.REFUSAL_NOTICE: (OrganizationKind.BANNER_LEADERSHIP, OrganizationKind.ORGANIZATION_OFFICE),
    DocumentKind.EXIT_NOTICE: (OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP),
    DocumentKind.ADJUSTMENT_NOTICE: (OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP),
}
# GB/T 9704 7.2.6: only an upward document (上行文, the 请示) names its signatory (签发人).
SIGNED_KINDS = frozenset({DocumentKind.REVIEW_OPINION})
SIGNATORY_ROLES = (Role.HEAD, Role.REVIEWER)


class DocumentSetting(models.Model):
    """One jurisdiction's choice for one kind of document: which body issues it and which of that body's people signs
    it off. A blank field is inherited: banner → league or city → region → the procedure's default
    (admission/inheritance.py)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="document_settings", verbose_name=_("旗县（区）")
    )
    kind = models.CharField(_("文种"), max_length=32, choices=DocumentKind.choices)
    issuer_kind = models.CharField(
        _("发文机关"),
        max_length=32,
        choices=OrganizationKind.choices,
        blank=True,
        help_text=_("留空则继承上级设置。"),
    )
    signatory_role = models.CharField(
        _("签发人"),
        max_length=16,
        choices=Role.choices,
        blank=True,
        help_text=_("发文机关中签发该文种的人员（上行文在版头标注签发人）；留空则继承上级设置。"),
    )

    class Meta:
        verbose_name = _("公文设置")
        verbose_name_plural = _("公文设置")
        ordering = ["jurisdiction", "kind"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "kind"], name="document_setting_once")]

    def __str__(self) -> str:
        return f"{self.jurisdiction} · {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.issuer_kind and self.issuer_kind not in ISSUER_CHOICES.get(self.kind, ()):
            allowed = "、".join(str(OrganizationKind(k).label) for k in ISSUER_CHOICES.get(self.kind, ()))
            errors["issuer_kind"] = (
                _("该文种可由以下机关印发：%(bodies)s。") % {"bodies": allowed}
                if allowed
                else _("该文种的发文机关由准入办法规定，不能另行设置。")
            )
        if self.signatory_role and self.kind not in SIGNED_KINDS:
            errors["signatory_role"] = _("只有上行文（审核意见的请示）标注签发人。")
        elif self.signatory_role and self.signatory_role not in SIGNATORY_ROLES:
            errors["signatory_role"] = _("签发人应为发文机关的负责人或审核人。")
        if errors:
            raise ValidationError(errors)


class DocumentCounter(models.Model):
    """The last serial used by one issuing body for one kind of document in one year (row-locked when numbering)."""

    issuer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "kind", "year"], name="document_counter_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}: {self.last_serial}"


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("生成中")
    RENDERED = "rendered", _("已生成")
    FAILED = "failed", _("生成失败，等待重试")


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")


class OfficialDocument(models.Model):
    """One numbered document. Its number and content are fixed when issued; its PDF follows and is never replaced."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, related_name="documents", null=True)
    kind = models.CharField(_("文种"), max_length=32, choices=DocumentKind.choices)
    issuer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="issued_documents", verbose_name=_("发文机关")
    )
    year = models.PositiveSmallIntegerField()
    serial = models.PositiveIntegerField()
    number = models.CharField(_("发文字号"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    recipients = models.ManyToManyField(Organization, related_name="received_documents", verbose_name=_("主送、抄送"))
    # Everything the page shows, captured when issued, so rendering (and re-rendering after a failure) is repeatable.
    content = models.JSONField()
    verification_code = models.CharField(_("验证码"), max_length=16, unique=True)
    status = models.CharField(_("效力"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.VALID)
    issued_at = models.DateTimeField(_("成文时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    render_status = models.CharField(
        _("生成状态"), max_length=16, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_attempts = models.PositiveSmallIntegerField(default=0)
    render_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="documents/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    signer_subject = models.CharField(max_length=300, blank=True)
    # The same document as OFD (GB/T 33190-2016), made from the same page; registered by its own SHA-256.
    ofd_file = models.FileField(upload_to="documents/%Y/", blank=True)
    ofd_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    ofd_size = models.PositiveIntegerField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("公文")
        verbose_name_plural = _("公文")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "kind", "year", "serial"], name="document_number_once"),
        ]
        indexes = [models.Index(fields=["render_status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
