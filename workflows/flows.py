"""AdmissionFlow routes people: who holds the case now, in parallel where the procedure is parallel.

Nodes never change business data: each action goes through workflows.actions, whose service performs the
DutyRequest transition; gateways only read the resulting state (`case_is`). Every human task is declared once,
in admission.procedure.STEPS: its title and who may act come from there.
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock, nodes
from viewflow.workflow.status import STATUS

from admission.compiled import CompiledQuery
from admission.models import (
    AdvisoryOpinion,
    ConsultationOutcome,
    DutyRequest,
    Organization,
    OrganizationKind,
    RequestState,
)
from admission.permissions import (
    banner_body_decision_permission,
    city_approver,
    holds_task_permission,
    organization_decision_permission,
    organization_task_permission,
)
from admission.procedure import ActingBody, ProcedureStep, step
from admission.services.transitions import locked_case

from .models import AdmissionProcess
from .nodes import (
    ForEachSplit,
    InsertedViewActivation,
    ReadingEnd,
    ReadingIf,
    ReadingJoin,
    ReadingSplit,
    ReadingSwitch,
    finish_saved_task,
)

# The lead's opinion asks it at its gateway: compiled once (admission.compiled).
_PENDING_ADVICE = CompiledQuery(
    lambda request_id: AdvisoryOpinion.objects.filter(request_id=request_id, answered_at=None)
)


class HumanTaskActivation(InsertedViewActivation):
    @InsertedViewActivation.status.transition(source=STATUS.STARTED, target=STATUS.DONE)
    def complete(self):
        """Viewflow's, the task written with what taking and finishing it change (engine.run_task: its owner, its
        status, when it was started and finished) instead of all its 17 columns: the one UPDATE of every completion."""
        finish_saved_task(self, "owner", "started")

    def prepare_revived_task(self, task):
        """A task revived by 退回 (engine.send_back) lands in the same unit's queue as when it was first created:
        Viewflow's revive copies the data, not the permission that routes it."""
        activation = type(self)(task)
        task.owner_permission = self.flow_task.calc_owner_permission(activation)
        task.owner_permission_obj = self.flow_task.calc_owner_permission_obj(activation)


class HumanTask(nodes.View):
    """A task a person performs; its page is found by web.views.tasks from the procedure table, not by the flow."""

    activation_class = HumanTaskActivation

    def __init__(self, procedure_step: ProcedureStep):
        super().__init__(view=None)
        self.procedure_step = procedure_step

    def can_assign(self, user, task) -> bool:
        """Viewflow's rule (free, signed-in user, the task's permission held), the permission read from the
        membership: every task of this flow carries an organization's permission (admission.permissions)."""
        if task.owner_id or user is None or user.is_anonymous:
            return False
        return not task.owner_permission or holds_task_permission(user, task.owner_permission)


def _body_permission(kind: OrganizationKind) -> Callable[..., str]:
    def permission(activation) -> str:
        return banner_body_decision_permission(activation.process.duty_request.jurisdiction_id, kind)

    return permission


def _city_permission(activation) -> str:
    city = city_approver(jurisdiction_id=activation.process.duty_request.jurisdiction_id)
    assert city is not None, "city_approval is reached only when the city approves on the platform"
    return organization_decision_permission(city.pk)


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


PERMISSION_OF: dict[ActingBody, Callable[..., str]] = {
    ActingBody.TOWNSHIP_CONSULTED: _township_permission,
    ActingBody.APPLICANT: _applicant_permission,
    ActingBody.ORGANIZATION_OFFICE: _body_permission(OrganizationKind.ORGANIZATION_OFFICE),
    ActingBody.JUSTICE_BUREAU: _body_permission(OrganizationKind.JUSTICE_BUREAU),
    ActingBody.DATA_BUREAU: _body_permission(OrganizationKind.DATA_BUREAU),
    ActingBody.ADVISER: _advisory_permission,
    ActingBody.BANNER_LEADERSHIP: _body_permission(OrganizationKind.BANNER_LEADERSHIP),
    ActingBody.CITY_GOVERNMENT: _city_permission,
}


def human_task(node: str) -> HumanTask:
    declared = step(node)
    return HumanTask(declared).Annotation(title=declared.title).Permission(PERMISSION_OF[declared.acting_body])


def _fresh_case(activation) -> DutyRequest:
    """The case as the service left it: the copy the action locked and the service changed (transitions.locked_case),
    else read once per gateway; kept as the process's artifact, so the next task's permission and deadline read their
    jurisdiction from it."""
    if getattr(activation, "_fresh_case", None) is None:
        pk = int(activation.process.artifact_object_id)
        activation._fresh_case = locked_case(pk) or DutyRequest.objects.get(pk=pk)
        activation.process.artifact = activation._fresh_case
    return activation._fresh_case


def city_approves_in_system(activation) -> bool:
    case = _fresh_case(activation)
    if case.state != RequestState.AWAITING_CITY:
        return False
    return Organization.objects.filter(
        kind=OrganizationKind.CITY_GOVERNMENT,
        jurisdiction__children=case.jurisdiction_id,
        jurisdiction__approves_in_system=True,
    ).exists()


def case_is(state: RequestState) -> Callable[..., bool]:
    """The one way a gateway reads the case: the state the service's transition left it in."""

    def condition(activation) -> bool:
        return _fresh_case(activation).state == state

    return condition


class AdmissionFlow(flow.Flow):
    process_class = AdmissionProcess
    process_title = _("乡镇职责准入")
    lock_impl = lock.select_for_update_lock

    start = nodes.StartHandle(this.start_case).Next(this.consultation_needed)
    # Art. 4(4), 4(5): a township asking about its own duty has no other township to consult.
    consultation_needed = ReadingIf(case_is(RequestState.CONSULTING)).Then(this.consult_split).Else(this.submit)

    # Art. 4(1): one written opinion per township concerned, in parallel.
    consult_split = ForEachSplit().Next(this.consult, data_source=this.pending_consultations)
    consult = human_task("consult").Next(this.consult_join)
    consult_join = ReadingJoin().Next(this.consultation_outcome)
    consultation_outcome = ReadingIf(case_is(RequestState.CONSULTED)).Then(this.submit).Else(this.revise)
    revise = human_task("revise").Next(this.consult_split)
    submit = human_task("submit").Next(this.intake)

    # Intake by the lead unit; the supplement loop (一次性告知).
    intake = human_task("intake").Next(this.intake_outcome)
    intake_outcome = ReadingIf(case_is(RequestState.UNDER_REVIEW)).Then(this.review_split).Else(this.supplement)
    supplement = human_task("supplement").Next(this.intake)

    # Art. 3 and 4(2): the three members review in parallel; the lead unit may ask others first.
    review_split = ReadingSplit().Next(this.lead_review).Next(this.legality_review).Next(this.data_review)
    lead_review = human_task("lead_review").Next(this.advice_needed)
    advice_needed = ReadingIf(this.has_pending_advice).Then(this.advice_split).Else(this.review_join)
    advice_split = ForEachSplit().Next(this.give_advice, data_source=this.pending_advice)
    give_advice = human_task("give_advice").Next(this.advice_join)
    advice_join = ReadingJoin().Next(this.lead_review)
    legality_review = human_task("legality_review").Next(this.review_join)
    data_review = human_task("data_review").Next(this.review_join)
    review_join = ReadingJoin().Next(this.consolidate)
    consolidate = human_task("consolidate").Next(this.review_outcome)
    review_outcome = ReadingIf(case_is(RequestState.AWAITING_APPROVAL)).Then(this.banner_decision).Else(this.end)

    # Art. 1 and 4(3): temporary tasks end at the banner; regular duties go on to the city.
    banner_decision = human_task("banner_decision").Next(this.banner_outcome)
    # Issue 15: a city on the platform approves inside it; for one that is not, the lead unit records its reply.
    banner_outcome = (
        ReadingSwitch()
        .Case(this.city_approval, city_approves_in_system)
        .Case(this.city_decision, case_is(RequestState.AWAITING_CITY))
        .Default(this.end)
    )
    city_approval = human_task("city_approval").Next(this.end)
    city_decision = human_task("city_decision").Next(this.end)
    end = ReadingEnd()

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
        return _PENDING_ADVICE.exists(request_id=int(activation.process.artifact_object_id))

    def pending_advice(self, activation):
        return [
            {"advisory_opinion": a.pk}
            for a in activation.process.duty_request.advisory_opinions.filter(answered_at__isnull=True)
        ]
