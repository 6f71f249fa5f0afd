"""AdmissionFlow routes people: who holds the case now, in parallel where the procedure is parallel.

Nodes never change business data. Each human task's view calls an admission service, which performs
the DutyRequest transition; gateways only read the resulting state.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock, nodes

from admission.models import AdvisoryOpinion, ConsultationOutcome, Organization, OrganizationKind, RequestState
from admission.permissions import organization_decision_permission, organization_task_permission

from . import views
from .models import AdmissionProcess
from .nodes import ForEachSplit


class HumanTask(nodes.View):
    """A task a person performs on the page `view` (served by workflows.views.execute_task)."""

    @property
    def view(self):
        return self._view


def _body_permission(kind: OrganizationKind):
    def permission(activation) -> str:
        body = Organization.objects.only("pk").get(
            jurisdiction_id=activation.process.duty_request.jurisdiction_id, kind=kind
        )
        return organization_decision_permission(body.pk)

    return permission


def _applicant_permission(activation) -> str:
    return organization_task_permission(activation.process.duty_request.applicant_id)


def _township_permission(activation) -> str:
    return organization_task_permission(activation.task.data["township"])


def _advisory_permission(activation) -> str:
    advisory = AdvisoryOpinion.objects.get(pk=activation.task.data["advisory_opinion"])
    if advisory.organization_id:
        return organization_task_permission(advisory.organization_id)
    # An expert does not log in: the lead unit records the expert's written opinion.
    return _body_permission(OrganizationKind.ORGANIZATION_OFFICE)(activation)


def _state_is(state: RequestState):
    def condition(activation) -> bool:
        activation.process.duty_request.refresh_from_db(fields=["state"])
        return activation.process.duty_request.state == state

    return condition


class AdmissionFlow(flow.Flow):
    process_class = AdmissionProcess
    process_title = _("乡镇职责准入")
    lock_impl = lock.select_for_update_lock

    start = nodes.StartHandle(this.start_case).Next(this.consultation_needed)
    # Art. 4(4), 4(5): a township asking about its own duty has no other township to consult.
    consultation_needed = nodes.If(_state_is(RequestState.CONSULTING)).Then(this.consult_split).Else(this.submit)

    # Art. 4(1): one written opinion per township concerned, in parallel.
    consult_split = ForEachSplit().Next(this.consult, data_source=this.pending_consultations)
    consult = (
        HumanTask(views.ConsultationOpinionView.as_view())
        .Annotation(title=_("出具书面意见"))
        .Permission(_township_permission)
        .Next(this.consult_join)
    )
    consult_join = nodes.Join().Next(this.consultation_outcome)
    consultation_outcome = nodes.If(_state_is(RequestState.CONSULTED)).Then(this.submit).Else(this.revise)
    revise = (
        HumanTask(views.ReviseView.as_view())
        .Annotation(title=_("修改后重新征求意见"))
        .Permission(_applicant_permission)
        .Next(this.consult_split)
    )
    submit = (
        HumanTask(views.SubmitApplicationView.as_view())
        .Annotation(title=_("提交书面申请"))
        .Permission(_applicant_permission)
        .Next(this.intake)
    )

    # Intake by the lead unit; the supplement loop (一次性告知).
    intake = (
        HumanTask(views.IntakeView.as_view())
        .Annotation(title=_("受理审查"))
        .Permission(_body_permission(OrganizationKind.ORGANIZATION_OFFICE))
        .Next(this.intake_outcome)
    )
    intake_outcome = nodes.If(_state_is(RequestState.UNDER_REVIEW)).Then(this.review_split).Else(this.supplement)
    supplement = (
        HumanTask(views.SupplementView.as_view())
        .Annotation(title=_("补正材料"))
        .Permission(_applicant_permission)
        .Next(this.intake)
    )

    # Art. 3 and 4(2): the three members review in parallel; the lead unit may ask others first.
    review_split = nodes.Split().Next(this.lead_review).Next(this.legality_review).Next(this.data_review)
    lead_review = (
        HumanTask(views.LeadReviewView.as_view())
        .Annotation(title=_("编办审核（职责分工）"))
        .Permission(_body_permission(OrganizationKind.ORGANIZATION_OFFICE))
        .Next(this.advice_needed)
    )
    advice_needed = nodes.If(this.has_pending_advice).Then(this.advice_split).Else(this.review_join)
    advice_split = ForEachSplit().Next(this.give_advice, data_source=this.pending_advice)
    give_advice = (
        HumanTask(views.AdvisoryOpinionView.as_view())
        .Annotation(title=_("出具相关部门、专家意见"))
        .Permission(_advisory_permission)
        .Next(this.advice_join)
    )
    advice_join = nodes.Join().Next(this.lead_review)
    legality_review = (
        HumanTask(views.BureauOpinionView.as_view())
        .Annotation(title=_("法制审核"))
        .Permission(_body_permission(OrganizationKind.JUSTICE_BUREAU))
        .Next(this.review_join)
    )
    data_review = (
        HumanTask(views.BureauOpinionView.as_view())
        .Annotation(title=_("权责清单衔接审核"))
        .Permission(_body_permission(OrganizationKind.DATA_BUREAU))
        .Next(this.review_join)
    )
    review_join = nodes.Join().Next(this.consolidate)
    consolidate = (
        HumanTask(views.ConcludeReviewView.as_view())
        .Annotation(title=_("形成审核意见"))
        .Permission(_body_permission(OrganizationKind.ORGANIZATION_OFFICE))
        .Next(this.review_outcome)
    )
    review_outcome = nodes.If(_state_is(RequestState.AWAITING_APPROVAL)).Then(this.banner_decision).Else(this.end)

    # Art. 1 and 4(3): temporary tasks end at the banner; regular duties go on to the city.
    banner_decision = (
        HumanTask(views.BannerDecisionView.as_view())
        .Annotation(title=_("旗委、旗政府审批"))
        .Permission(_body_permission(OrganizationKind.BANNER_LEADERSHIP))
        .Next(this.banner_outcome)
    )
    banner_outcome = nodes.If(_state_is(RequestState.AWAITING_CITY)).Then(this.city_decision).Else(this.end)
    city_decision = (
        HumanTask(views.CityDecisionView.as_view())
        .Annotation(title=_("登记市政府批复"))
        .Permission(_body_permission(OrganizationKind.ORGANIZATION_OFFICE))
        .Next(this.end)
    )
    end = nodes.End()

    def start_case(self, activation, duty_request):
        activation.process.artifact = duty_request
        return activation.process

    def pending_consultations(self, activation):
        duty_request = activation.process.duty_request
        return [
            {"consultation": c.pk, "township": c.township_id}
            for c in duty_request.current_consultations().filter(outcome=ConsultationOutcome.PENDING)
        ]

    def has_pending_advice(self, activation) -> bool:
        return activation.process.duty_request.advisory_opinions.filter(answered_at__isnull=True).exists()

    def pending_advice(self, activation):
        return [
            {"advisory_opinion": a.pk}
            for a in activation.process.duty_request.advisory_opinions.filter(answered_at__isnull=True)
        ]
