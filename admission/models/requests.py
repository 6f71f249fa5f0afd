"""The duty request (Art. 4(1)) and everything the procedure collects on it.

`DutyRequest.state` carries the legal state of the case. Only the transition methods below
change it (the field is protected); services call them, never views or flow nodes.
"""

import uuid
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from ..file_content import EXTENSIONS
from .organizations import SINGLE_BODY_KINDS, Jurisdiction, Organization


class Track(models.TextChoices):
    """Art. 1 and Art. 4(3): who approves depends on the track."""

    REGULAR = "regular", _("常态化职责事项（报市政府批准）")
    TEMPORARY = "temporary", _("阶段性、临时性工作任务（旗委、旗政府批准）")


class DutyCategory(models.TextChoices):
    """The national township duty lists' categories (乡镇履行职责事项清单)."""

    BASIC = "basic", _("基本履职事项")
    COOPERATIVE = "cooperative", _("配合履职事项")


class AffairClass(models.TextChoices):
    """Art. 1 and Art. 7: only administrative affairs can be admitted."""

    ADMINISTRATIVE_AFFAIR = "administrative_affair", _("行政事务（可申请准入）")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("行政处罚")
    ADMINISTRATIVE_LICENSING = "administrative_licensing", _("行政许可")
    ADMINISTRATIVE_COERCION = "administrative_coercion", _("行政强制")
    OTHER_ADMINISTRATIVE_POWER = (
        "other_administrative_power",
        _("其他行政权力事项（行政征收、给付、检查、确认、奖励、裁决等）"),
    )
    EMERGENCY_HANDLING = "emergency_handling", _("突发、紧急事件处置")


class RequestPurpose(models.TextChoices):
    """Art. 4(4) and 4(5): exit and adjustment follow the admission procedure, so they are cases too."""

    ADMISSION = "admission", _("准入")
    EXIT = "exit", _("退出")
    ADJUSTMENT = "adjustment", _("调整")


class RequestState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONSULTING = "consulting", _("征求乡镇意见中")
    REVISING = "revising", _("乡镇不同意，待修改")
    CONSULTED = "consulted", _("协商一致，待提交申请")
    SUBMITTED = "submitted", _("已提交，待受理")
    SUPPLEMENTING = "supplementing", _("待补正材料")
    UNDER_REVIEW = "under_review", _("联席会议审核中")
    AWAITING_APPROVAL = "awaiting_approval", _("待旗委、旗政府审批")
    AWAITING_CITY = "awaiting_city", _("待市政府批准")
    ADMITTED = "admitted", _("已准入")
    EXITED = "exited", _("已批准退出")
    ADJUSTED = "adjusted", _("已批准调整")
    REJECTED = "rejected", _("审核未通过")
    REFUSED = "refused", _("未获批准")
    WITHDRAWN = "withdrawn", _("已撤回")


# Art. 4(4), 4(5): the CONSULTED state of a change that had no other township to consult.
CONSULTATION_SKIPPED = _("无需征求其他乡镇意见，待提交申请")


FINAL_STATES = frozenset(
    {
        RequestState.ADMITTED,
        RequestState.EXITED,
        RequestState.ADJUSTED,
        RequestState.REJECTED,
        RequestState.REFUSED,
        RequestState.WITHDRAWN,
    }
)
# What an approval makes of a case, by its purpose.
APPROVED_STATE: dict[str, RequestState] = {
    RequestPurpose.ADMISSION: RequestState.ADMITTED,
    RequestPurpose.EXIT: RequestState.EXITED,
    RequestPurpose.ADJUSTMENT: RequestState.ADJUSTED,
}
# Content is frozen from consultation on: what the townships agreed to is what is reviewed and admitted (Art. 4(1)).
# A supplement adds materials and explanations; changing the content means revising and consulting again.
EDITABLE_STATES = frozenset({RequestState.DRAFT, RequestState.REVISING})
WITHDRAWABLE_STATES = [
    RequestState.DRAFT,
    RequestState.CONSULTING,
    RequestState.REVISING,
    RequestState.CONSULTED,
    RequestState.SUBMITTED,
    RequestState.SUPPLEMENTING,
    RequestState.UNDER_REVIEW,
    RequestState.AWAITING_APPROVAL,
    RequestState.AWAITING_CITY,
]


def _approved_state(request: "DutyRequest", *args, **kwargs) -> str:
    return APPROVED_STATE[request.purpose]


def case_reference(pk: int | None, created_at: datetime | None) -> str:
    """A case's number as shown, e.g. ZR2026-00012 (selectors.CASE_NUMBER reads it back)."""
    return f"ZR{created_at:%Y}-{pk:05d}" if pk and created_at else "—"


class DutyRequest(ConcurrentTransitionMixin, models.Model):  # includes FSMModelMixin (refresh_from_db)
    if TYPE_CHECKING:
        # For type checkers only: under Python 3.11 django-fsm's mixin types its __init__ through an unresolved
        # `typing.override`, which would make the class itself (DutyRequest.objects, ...) untyped.
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="duty_requests")
    purpose = models.CharField(
        _("申请事项"), max_length=16, choices=RequestPurpose.choices, default=RequestPurpose.ADMISSION
    )
    # The department whose duty it is; for an admission it is also the applicant.
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="duty_requests", verbose_name=_("责任部门")
    )
    # Who files and answers for the case: the department, or for exit and adjustment also a township or
    # the organization office (Art. 4(4), 4(5)).
    applicant = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="applications", verbose_name=_("申请单位")
    )
    # Exit and adjustment: the duties on the townships' lists the case is about.
    target_duties = models.ManyToManyField(
        "admission.TownshipDuty", related_name="change_requests", blank=True, verbose_name=_("涉及的乡镇职责事项")
    )
    change_reasons = models.TextField(_("退出或调整的理由"), blank=True)
    townships = models.ManyToManyField(Organization, related_name="requests_naming_me", verbose_name=_("涉及乡镇"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    # Art. 4(1): the elements of the written application.
    duty_name = models.CharField(_("职责名称"), max_length=120)
    affair_class = models.CharField(
        _("事项类别"), max_length=40, choices=AffairClass.choices, default=AffairClass.ADMINISTRATIVE_AFFAIR
    )
    track = models.CharField(_("准入类型"), max_length=16, choices=Track.choices, default=Track.REGULAR)
    list_category = models.CharField(
        _("列入清单类别"),
        max_length=16,
        choices=DutyCategory.choices,
        default=DutyCategory.COOPERATIVE,
        help_text=_("乡镇履行职责事项清单中的类别：乡镇为主履行的为基本履职事项，配合部门履行的为配合履职事项。"),
    )
    end_date = models.DateField(_("任务截止日期"), null=True, blank=True)
    work_objective = models.TextField(_("工作目标"), blank=True)
    powers_and_responsibilities = models.TextField(_("权责内容"), blank=True)
    legal_basis = models.TextField(_("法定依据"), blank=True)
    division_of_responsibilities = models.TextField(_("责任分工"), blank=True)
    work_process = models.TextField(_("办事流程"), blank=True)
    completion_time_limit = models.CharField(_("完成时限"), max_length=200, blank=True)
    operating_mechanism = models.TextField(_("运行机制"), blank=True)
    staffing = models.TextField(_("人员安排"), blank=True)
    # Safeguards (保障措施), Art. 4(1) and Art. 5, as structured data.
    funding_amount = models.DecimalField(_("工作经费（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=200, blank=True)
    technical_support = models.TextField(_("技术支持"), blank=True)
    training = models.TextField(_("业务培训"), blank=True)

    state = FSMField(_("状态"), default=RequestState.DRAFT, choices=RequestState.choices, protected=True)
    consultation_round = models.PositiveIntegerField(_("征求意见轮次"), default=0)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("准入申请")
        verbose_name_plural = _("准入申请")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["jurisdiction", "state"]),
            models.Index(fields=["department", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.duty_name}"

    @property
    def reference(self) -> str:
        return case_reference(self.pk, self.created_at)

    @property
    def state_label(self) -> str:
        """The state as shown: a change nobody had to be consulted on (a township's own exit or adjustment,
        Art. 4(4), 4(5)) is not "协商一致" — no consultation took place."""
        if self.state == RequestState.CONSULTED and self.consultation_round == 0:
            return str(CONSULTATION_SKIPPED)
        return str(RequestState(self.state).label)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    def banner_body(self, kind: str) -> Organization:
        """The case's banner's body of `kind` (organization office, leadership, justice or data bureau): all of them
        read in one query, once per case object (a document names two to four, the next task's permission one)."""
        bodies: dict[str, Organization] | None = self.__dict__.get("_banner_bodies")
        if bodies is None:
            found = Organization.objects.filter(
                jurisdiction_id=self.jurisdiction_id, kind__in=SINGLE_BODY_KINDS
            ).select_related("jurisdiction__parent__parent")  # its abbreviation and measure, maybe inherited
            bodies = self.__dict__["_banner_bodies"] = {o.kind: o for o in found}
        try:
            return bodies[kind]
        except KeyError:
            raise Organization.DoesNotExist(f"jurisdiction {self.jurisdiction_id} has no {kind}") from None

    def townships_in_order(self) -> list[Organization]:
        """The townships concerned, by division code, read once per case object: an admission names them in its
        decision's document and gives each a duty in the same action."""
        cached: list[Organization] | None = self.__dict__.get("_townships_in_order")
        if cached is None:
            cached = self.__dict__["_townships_in_order"] = list(self.townships.order_by("division_code"))
        return cached

    def current_consultations(self) -> "models.QuerySet[Consultation]":
        return self.consultations.filter(round=self.consultation_round)

    def current_outcomes(self) -> set[str]:
        """The outcomes the current round's consultations have (one query): what concludes the consultation."""
        return set(self.current_consultations().order_by().values_list("outcome", flat=True).distinct())

    # --- conditions -------------------------------------------------------------------
    def _consultation_all_agreed(self) -> bool:
        return self.current_outcomes() == {ConsultationOutcome.AGREED}

    def _consultation_someone_disagreed(self) -> bool:
        outcomes = self.current_outcomes()
        return ConsultationOutcome.PENDING not in outcomes and ConsultationOutcome.DISAGREED in outcomes

    def _is_temporary(self) -> bool:
        return self.track == Track.TEMPORARY

    def _is_regular(self) -> bool:
        return self.track == Track.REGULAR

    def _is_change(self) -> bool:
        return self.purpose != RequestPurpose.ADMISSION

    @property
    def is_change(self) -> bool:
        return self._is_change()

    # --- transitions: each cites the article it implements ------------------------------
    # (django-fsm types a condition as taking any Model; ours read the DutyRequest, hence the ignores.)
    @transition(field=state, source=[RequestState.DRAFT, RequestState.REVISING], target=RequestState.CONSULTING)
    def start_consultation(self):
        """Art. 4(1): ask each township concerned for a written opinion."""
        self.consultation_round += 1

    @transition(field=state, source=RequestState.DRAFT, target=RequestState.CONSULTED, conditions=[_is_change])  # type: ignore[list-item]
    def skip_consultation(self):
        """Art. 4(4), 4(5): a township asking about its own duty has no other township to consult."""

    @transition(
        field=state,
        source=RequestState.CONSULTING,
        target=RequestState.CONSULTED,
        conditions=[_consultation_all_agreed],  # type: ignore[list-item]
    )
    def conclude_consultation_agreed(self):
        """Art. 4(1): agreement of every township (协商一致) opens the way to the application."""

    @transition(
        field=state,
        source=RequestState.CONSULTING,
        target=RequestState.REVISING,
        conditions=[_consultation_someone_disagreed],  # type: ignore[list-item]
    )
    def conclude_consultation_disagreed(self):
        """Art. 4(1): without agreement the department revises and consults again, or withdraws."""

    @transition(field=state, source=RequestState.CONSULTED, target=RequestState.SUBMITTED)
    def submit(self):
        """Art. 4(1): the written application goes to the lead unit."""
        self.submitted_at = timezone.now()

    @transition(field=state, source=RequestState.SUBMITTED, target=RequestState.SUPPLEMENTING)
    def return_for_supplement(self):
        """Intake: one notice listing everything missing (一次性告知)."""

    @transition(field=state, source=RequestState.SUPPLEMENTING, target=RequestState.SUBMITTED)
    def resubmit(self):
        """The department supplements and resubmits."""

    @transition(field=state, source=RequestState.SUBMITTED, target=RequestState.UNDER_REVIEW)
    def accept_for_review(self):
        """Art. 4(2): the lead unit accepts the application for joint review."""

    @transition(field=state, source=RequestState.UNDER_REVIEW, target=RequestState.AWAITING_APPROVAL)
    def pass_review(self):
        """Art. 4(2): the review opinion goes to the banner party committee and government."""

    @transition(field=state, source=RequestState.UNDER_REVIEW, target=RequestState.REJECTED)
    def reject(self):
        """Art. 4(2): a request that does not qualify gets a written notice with reasons."""
        self.concluded_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.AWAITING_APPROVAL,
        target=GET_STATE(_approved_state, states=tuple(APPROVED_STATE.values())),
        conditions=[_is_temporary],  # type: ignore[list-item]
    )
    def approve_temporary(self):
        """Art. 4(3): a temporary task is approved by the banner party committee and government
        (its exit or adjustment too, Art. 4(4), 4(5))."""
        self.concluded_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.AWAITING_APPROVAL,
        target=RequestState.AWAITING_CITY,
        conditions=[_is_regular],  # type: ignore[list-item]
    )
    def pass_banner_examination(self):
        """Art. 1 and 4(3): a regular duty, examined by the banner government, goes to the city."""

    @transition(
        field=state,
        source=RequestState.AWAITING_CITY,
        target=GET_STATE(_approved_state, states=tuple(APPROVED_STATE.values())),
        conditions=[_is_regular],  # type: ignore[list-item]
    )
    def record_city_approval(self):
        """Art. 4(3): the city government approves a regular duty (its exit or adjustment too)."""
        self.concluded_at = timezone.now()

    @transition(field=state, source=RequestState.AWAITING_APPROVAL, target=RequestState.REFUSED)
    def refuse_at_banner(self):
        """Art. 4(3): the banner party committee and government refuse, with reasons."""
        self.concluded_at = timezone.now()

    @transition(field=state, source=RequestState.AWAITING_CITY, target=RequestState.REFUSED, conditions=[_is_regular])  # type: ignore[list-item]
    def refuse_by_city(self):
        """Art. 4(3): the city government refuses a regular duty."""
        self.concluded_at = timezone.now()

    @transition(field=state, source=WITHDRAWABLE_STATES, target=RequestState.WITHDRAWN)
    def withdraw(self):
        """The department withdraws before a decision."""
        self.concluded_at = timezone.now()


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # Neither the stored name nor its extension comes from the user: the extension follows the parsed content type
    # (a PDF named x.svg is stored as .pdf), the name is random (no path tricks, no collisions).
    suffix = EXTENSIONS.get(instance.content_type, ".bin")
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class AttachmentKind(models.TextChoices):
    APPLICATION_LETTER = "application_letter", _("书面申请")
    SUPPORTING = "supporting", _("佐证材料")
    CONSULTATION_LETTER = "consultation_letter", _("乡镇书面意见")
    ADVISORY_LETTER = "advisory_letter", _("相关部门、专家意见")
    CITY_REPLY = "city_reply", _("市政府批复")
    REPORT_EVIDENCE = "report_evidence", _("反映材料")


class Attachment(models.Model):
    """A file on a case, or evidence to a report of a duty pushed down without admission."""

    request = models.ForeignKey(DutyRequest, on_delete=models.PROTECT, related_name="attachments", null=True)
    report = models.ForeignKey("UnadmittedDutyReport", on_delete=models.PROTECT, related_name="evidence", null=True)
    kind = models.CharField(_("类别"), max_length=32, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=_attachment_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(request__isnull=False, report__isnull=True)
                | models.Q(request__isnull=True, report__isnull=False),
                name="attachment_belongs_to_a_case_or_a_report",
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name it is offered under: the uploader's, with the extension of what the file really is."""
        extension = EXTENSIONS.get(self.content_type)
        if extension is None:
            return self.original_name
        stem = PurePosixPath(self.original_name.replace("\\", "/")).stem or f"attachment-{self.pk}"
        return f"{stem}{extension}"


class ConsultationOutcome(models.TextChoices):
    PENDING = "pending", _("待答复")
    AGREED = "agreed", _("同意")
    DISAGREED = "disagreed", _("不同意")


class Consultation(models.Model):
    """Art. 4(1): one township's written opinion in one consultation round."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="consultations")
    township = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="consultations")
    round = models.PositiveIntegerField()
    outcome = models.CharField(
        _("意见"), max_length=16, choices=ConsultationOutcome.choices, default=ConsultationOutcome.PENDING
    )
    opinion = models.TextField(_("书面意见"), blank=True)
    letter = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("乡镇意见")
        verbose_name_plural = _("乡镇意见")
        ordering = ["round", "township__division_code"]
        constraints = [
            models.UniqueConstraint(fields=["request", "township", "round"], name="consultation_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.township} ({self.round}): {self.get_outcome_display()}"


class SupplementNotice(models.Model):
    """Intake: the one-time notice of everything to supplement (一次性告知)."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="supplement_notices")
    items = models.JSONField(_("需补正事项"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at"]

    def __str__(self) -> str:
        return "；".join(self.items)


class BureauReviewOpinion(models.Model):
    """Art. 3 and 4(2): each joint-meeting member's own opinion (division of duties, legality, power list)."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="bureau_opinions")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    passes = models.BooleanField(_("是否通过"))
    reasoning = models.TextField(_("审核意见"))
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["given_at"]
        constraints = [models.UniqueConstraint(fields=["request", "organization"], name="bureau_opinion_once")]

    def __str__(self) -> str:
        return f"{self.organization}: {self.reasoning[:20]}"


class AdvisoryOpinion(models.Model):
    """Art. 4(2): an opinion asked of a related department, or of an expert (recorded by the lead unit)."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="advisory_opinions")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="advisory_opinions",
        verbose_name=_("相关部门"),
    )
    expert_name = models.CharField(_("专家姓名"), max_length=60, blank=True)
    expert_affiliation = models.CharField(_("专家单位"), max_length=120, blank=True)
    question = models.TextField(_("征求意见事项"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("意见"), blank=True)
    letter = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=False) | ~models.Q(expert_name=""),
                name="advisory_opinion_has_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_label}: {self.question[:20]}"

    @property
    def source_label(self) -> str:
        if self.organization_id:
            return str(self.organization)
        affiliation = f"（{self.expert_affiliation}）" if self.expert_affiliation else ""
        return f"专家 {self.expert_name}{affiliation}"


# Art. 4(2): the five points the review opinion must address, as (ReviewConclusion field, label).
FOCUS_POINTS = (
    ("work_content", _("工作内容")),
    ("legal_basis", _("法定依据")),
    ("division_of_responsibilities", _("责任分工")),
    ("consultation", _("协商意见")),
    ("safeguards", _("保障措施")),
)


class ReviewConclusion(models.Model):
    """Art. 4(2): the lead unit's consolidated review opinion on the five focus points."""

    request = models.OneToOneField(DutyRequest, on_delete=models.CASCADE, related_name="review_conclusion")
    passes = models.BooleanField(_("审核结论"))
    work_content = models.TextField(_("工作内容"))
    legal_basis = models.TextField(_("法定依据"))
    division_of_responsibilities = models.TextField(_("责任分工"))
    consultation = models.TextField(_("协商意见"))
    safeguards = models.TextField(_("保障措施"))
    reasons = models.TextField(_("不予准入的理由"), blank=True)
    remedy = models.TextField(_("重新申请需改正的事项"), blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.work_content[:20]}"


class ApprovalStage(models.TextChoices):
    BANNER_APPROVAL = "banner_approval", _("旗委、旗政府批准（临时性任务）")
    BANNER_EXAMINATION = "banner_examination", _("旗政府审核（常态化职责）")
    CITY_APPROVAL = "city_approval", _("市政府批准")


class ApprovalDecision(models.Model):
    """Art. 4(3): a decision of the approving body; the city's is recorded with its document."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="approval_decisions")
    stage = models.CharField(_("环节"), max_length=24, choices=ApprovalStage.choices)
    body = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("决定机关"))
    approves = models.BooleanField(_("是否同意"))
    reasons = models.TextField(_("意见或理由"), blank=True)
    document_number = models.CharField(_("批复文号"), max_length=60, blank=True)
    decision_date = models.DateField(_("批复日期"), null=True, blank=True)
    reply_scan = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]
        constraints = [models.UniqueConstraint(fields=["request", "stage"], name="approval_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.body}"
