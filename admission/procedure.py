"""The procedure of the Arun measure, one row per human step: the single place a step is declared.

From this table come the flow's task titles and who may act (workflows.flows), the `Step` choices and the
default time limits (models.calendar, services.deadlines), the task page that serves each step (web.views.tasks)
and the step list of docs/procedure-trace.md (`manage.py procedure_trace`). Pages and services are named by
dotted path, so the domain imports nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DayUnit(models.TextChoices):
    WORKING = "working", _("工作日")
    NATURAL = "natural", _("自然日")


class ActingBody(StrEnum):
    """Who performs a step, relative to the case."""

    TOWNSHIP_CONSULTED = "township_consulted"  # each township asked for its written opinion
    APPLICANT = "applicant"  # the department (or township) that filed the request
    ORGANIZATION_OFFICE = "organization_office"  # 旗委编办, lead unit of the joint meeting
    JUSTICE_BUREAU = "justice_bureau"
    DATA_BUREAU = "data_bureau"
    ADVISER = "adviser"  # a related department, or the organization office recording an expert's opinion
    BANNER_LEADERSHIP = "banner_leadership"
    CITY_GOVERNMENT = "city_government"  # the league's or city's government, when it is on the platform (issue 15)


@dataclass(frozen=True)
class ProcedureStep:
    node: str
    title: Promise
    acting_body: ActingBody
    page: str
    service: str
    days: int
    unit: DayUnit
    article: str


_PAGES = "web.views.tasks"
_SERVICES = "admission.services"

# Time limits: procedure.md "Time limits" — consultation reply 5 working days, intake 3, joint review 15,
# supplement 10. The joint review's 15 is shared: 10 for each body's opinion (in parallel), 5 to consolidate.
STEPS: tuple[ProcedureStep, ...] = (
    ProcedureStep(
        "consult",
        _("出具书面意见"),
        ActingBody.TOWNSHIP_CONSULTED,
        f"{_PAGES}.ConsultationOpinionPage",
        f"{_SERVICES}.consultation.record_consultation_opinion",
        5,
        DayUnit.WORKING,
        "4(1)",
    ),
    ProcedureStep(
        "revise",
        _("修改后重新征求意见"),
        ActingBody.APPLICANT,
        f"{_PAGES}.RevisePage",
        f"{_SERVICES}.requests.start_consultation",
        10,
        DayUnit.WORKING,
        "4(1)",
    ),
    ProcedureStep(
        "submit",
        _("提交书面申请"),
        ActingBody.APPLICANT,
        f"{_PAGES}.SubmitApplicationPage",
        f"{_SERVICES}.requests.submit_request",
        10,
        DayUnit.WORKING,
        "4(1)",
    ),
    ProcedureStep(
        "intake",
        _("受理审查"),
        ActingBody.ORGANIZATION_OFFICE,
        f"{_PAGES}.IntakePage",
        f"{_SERVICES}.intake.accept_for_review",
        3,
        DayUnit.WORKING,
        "3, 4(2)",
    ),
    ProcedureStep(
        "supplement",
        _("补正材料"),
        ActingBody.APPLICANT,
        f"{_PAGES}.SupplementPage",
        f"{_SERVICES}.intake.resubmit_request",
        10,
        DayUnit.WORKING,
        "4(2)",
    ),
    ProcedureStep(
        "lead_review",
        _("编办审核（职责分工）"),
        ActingBody.ORGANIZATION_OFFICE,
        f"{_PAGES}.LeadReviewPage",
        f"{_SERVICES}.review.record_bureau_opinion",
        10,
        DayUnit.WORKING,
        "3, 4(2)",
    ),
    ProcedureStep(
        "give_advice",
        _("出具相关部门、专家意见"),
        ActingBody.ADVISER,
        f"{_PAGES}.AdvisoryOpinionPage",
        f"{_SERVICES}.review.record_advisory_opinion",
        5,
        DayUnit.WORKING,
        "4(2)",
    ),
    ProcedureStep(
        "legality_review",
        _("法制审核"),
        ActingBody.JUSTICE_BUREAU,
        f"{_PAGES}.BureauOpinionPage",
        f"{_SERVICES}.review.record_bureau_opinion",
        10,
        DayUnit.WORKING,
        "3, 4(2)",
    ),
    ProcedureStep(
        "data_review",
        _("权责清单衔接审核"),
        ActingBody.DATA_BUREAU,
        f"{_PAGES}.BureauOpinionPage",
        f"{_SERVICES}.review.record_bureau_opinion",
        10,
        DayUnit.WORKING,
        "3, 4(2)",
    ),
    ProcedureStep(
        "consolidate",
        _("形成审核意见"),
        ActingBody.ORGANIZATION_OFFICE,
        f"{_PAGES}.ConcludeReviewPage",
        f"{_SERVICES}.review.conclude_review",
        5,
        DayUnit.WORKING,
        "4(2)",
    ),
    ProcedureStep(
        "banner_decision",
        _("旗委、旗政府审批"),
        ActingBody.BANNER_LEADERSHIP,
        f"{_PAGES}.BannerDecisionPage",
        f"{_SERVICES}.approval.decide_at_banner",
        10,
        DayUnit.WORKING,
        "4(3)",
    ),
    ProcedureStep(
        "city_approval",
        _("市（盟）政府审批"),
        ActingBody.CITY_GOVERNMENT,
        f"{_PAGES}.CityApprovalPage",
        f"{_SERVICES}.approval.approve_at_city",
        20,
        DayUnit.WORKING,
        "1, 4(3)",
    ),
    ProcedureStep(
        "city_decision",
        _("登记市政府批复"),
        ActingBody.ORGANIZATION_OFFICE,
        f"{_PAGES}.CityDecisionPage",
        f"{_SERVICES}.approval.record_city_decision",
        30,
        DayUnit.WORKING,
        "4(3)",
    ),
)

# 退回: where the measure lets the holder of a review step send the case back to the step before it. Art. 3 leaves
# the joint meeting's review procedure to the meeting and Art. 4(2) has the lead unit form the review opinion: when
# consolidating, it may ask members of the joint meeting to review again. Nowhere else: intake asks for supplements
# once (一次性告知, Art. 4(2)); a township's opinion (Art. 4(1)) and the decisions (Art. 4(3)) are given, not sent back.
RETURNS_TO: dict[str, tuple[str, ...]] = {"consolidate": ("lead_review", "legality_review", "data_review")}

STEP_BY_NODE: dict[str, ProcedureStep] = {step.node: step for step in STEPS}

# The steps as model choices (time limits and task deadlines store the node name).
# django-stubs types the functional API's members as plain values; (value, label) pairs are what Django accepts too.
Step = models.TextChoices("Step", [(s.node.upper(), (s.node, s.title)) for s in STEPS])  # type: ignore[call-overload]


def step(node: str) -> ProcedureStep:
    return STEP_BY_NODE[node]


def steps_markdown() -> str:
    """The step list of docs/procedure-trace.md, generated from the table."""
    lines = [
        "| Node | Step | Acting body | Article | Default time limit | Page | Service |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in STEPS:
        unit = "working days" if s.unit == DayUnit.WORKING else "days"
        lines.append(
            f"| `{s.node}` | {s.title} | {s.acting_body.value} | {s.article} | {s.days} {unit} "
            f"| `{s.page}` | `{s.service}` |"
        )
    return "\n".join(lines) + "\n"
