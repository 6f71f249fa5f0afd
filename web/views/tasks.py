"""Task pages. Thin: a form collects, the step's front door in workflows.actions acts, errors return to the form.

Which page serves a task comes from the procedure table (admission.procedure.STEPS), not from the flow."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from admission import selectors as request_selectors
from admission.models import AdvisoryOpinion, ConsultationOutcome, RequestState, Step, Track
from admission.permissions import can_view_request
from admission.procedure import step
from admission.services.errors import ConflictError
from admission.services.review import FOCUS_POINTS
from workflows import actions, engine
from workflows import selectors as task_selectors

from .. import listing
from ..forms import tasks as forms
from ..forms.fields import apply_service_errors, drop_used_uploads, keep_uploads, restore_kept_uploads


class TaskPage(View):
    """Base of every task page: GET shows the case and the form, POST performs the task."""

    form_class: type[BaseForm] | None = None
    success_message = gettext_lazy("已办理。")
    template_name = "workflows/task.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.task = kwargs["task"]
        self.duty_request = self.task.process.coerced.duty_request

    def get_form(self, data=None, files=None):
        return self.form_class(data, files)

    def perform(self, form) -> None:
        """Call the step's front door in workflows.actions with the form's values."""
        raise NotImplementedError

    def extra_context(self) -> dict:
        return {}

    def render_page(self, form, status=200):
        context = {
            "task": self.task,
            "duty_request": self.duty_request,
            "form": form,
            "detail": request_selectors.request_detail(duty_request=self.duty_request),
            **self.extra_context(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        restore_kept_uploads(form, user=request.user)
        if form.is_valid():
            try:
                self.perform(form)
            except ValidationError as error:
                apply_service_errors(form, error)
            except ConflictError as error:
                form.add_error(None, error.message)
            else:
                drop_used_uploads(form, user=request.user)
                return self.done()
        keep_uploads(form, user=request.user)
        return self.render_page(form, status=422)

    def done(self):
        """On to the next task of the queue (or the user's own), with the case just handled one click away."""
        case_url = reverse("admission:request_detail", args=[self.duty_request.pk])
        following = task_selectors.next_task(user=self.request.user)
        if following is None:
            messages.success(self.request, self.success_message)
            return redirect(case_url)
        messages.success(
            self.request,
            format_html(
                '{} <a href="{}">{}</a>',
                self.success_message,
                case_url,
                _("查看“%(duty)s”办理情况") % {"duty": self.duty_request.duty_name},
            ),
        )
        messages.info(self.request, _("下一项任务：%(task)s") % {"task": following.flow_task.task_title})
        return redirect("workflows:execute", pk=following.pk)


class ConsultationOpinionPage(TaskPage):
    form_class = forms.ConsultationOpinionForm
    success_message = gettext_lazy("书面意见已送达申请部门。")

    def perform(self, form):
        data = form.cleaned_data
        actions.give_consultation_opinion(
            task=self.task,
            actor=self.request.user,
            agrees=data["agrees"],
            opinion=data["opinion"],
            letter=data.get("letter"),
        )


class RevisePage(TaskPage):
    form_class = forms.ReviseForm
    success_message = gettext_lazy("已重新书面征求乡镇意见。")

    def extra_context(self):
        previous = self.duty_request.current_consultations().filter(outcome=ConsultationOutcome.DISAGREED)
        return {"disagreements": previous.select_related("township")}

    def perform(self, form):
        actions.revise_and_consult(task=self.task, actor=self.request.user)


class SubmitApplicationPage(TaskPage):
    form_class = forms.SubmitApplicationForm
    success_message = gettext_lazy("书面申请已提交旗委编办。")

    def perform(self, form):
        actions.submit_application(
            task=self.task,
            actor=self.request.user,
            application_letter=form.cleaned_data["application_letter"],
            supporting_files=form.cleaned_data["supporting_files"],
        )


class IntakePage(TaskPage):
    form_class = forms.IntakeForm
    success_message = gettext_lazy("受理意见已办理。")

    def perform(self, form):
        data = form.cleaned_data
        if data["decision"] == form.ACCEPT:
            actions.accept_for_review(task=self.task, actor=self.request.user, note=data["note"])
        else:
            actions.return_for_supplement(task=self.task, actor=self.request.user, items=data["items"].splitlines())


class SupplementPage(TaskPage):
    form_class = forms.SupplementForm
    success_message = gettext_lazy("补正材料已重新提交。")

    def extra_context(self):
        return {"supplement_notice": self.duty_request.supplement_notices.order_by("-issued_at").first()}

    def perform(self, form):
        actions.resubmit_after_supplement(
            task=self.task,
            actor=self.request.user,
            note=form.cleaned_data["note"],
            supporting_files=form.cleaned_data["supporting_files"],
        )


class LeadReviewPage(TaskPage):
    form_class = forms.LeadReviewForm

    def get_form(self, data=None, files=None):
        return self.form_class(data, files, duty_request=self.duty_request)

    def perform(self, form):
        data = form.cleaned_data
        if data["decision"] == form.ADVICE:
            actions.ask_for_advice(
                task=self.task,
                actor=self.request.user,
                question=data["question"],
                departments=list(data["departments"]),
                experts=form.expert_list(),
            )
        else:
            actions.give_bureau_opinion(
                task=self.task, actor=self.request.user, passes=data["passes"], reasoning=data["reasoning"]
            )


class AdvisoryOpinionPage(TaskPage):
    form_class = forms.AdvisoryOpinionForm
    success_message = gettext_lazy("意见已送达旗委编办。")

    def extra_context(self):
        return {"advisory": AdvisoryOpinion.objects.get(pk=self.task.data["advisory_opinion"])}

    def perform(self, form):
        actions.give_advice(
            task=self.task,
            actor=self.request.user,
            answer=form.cleaned_data["answer"],
            letter=form.cleaned_data.get("letter"),
        )


class BureauOpinionPage(TaskPage):
    form_class = forms.BureauOpinionForm
    success_message = gettext_lazy("审核意见已提交。")

    def perform(self, form):
        actions.give_bureau_opinion(
            task=self.task,
            actor=self.request.user,
            passes=form.cleaned_data["passes"],
            reasoning=form.cleaned_data["reasoning"],
        )


class ConcludeReviewPage(TaskPage):
    form_class = forms.ConcludeReviewForm
    success_message = gettext_lazy("审核意见已形成。")

    def get_form(self, data=None, files=None):
        return self.form_class(
            data, files, initial=request_selectors.consolidation_draft(duty_request=self.duty_request)
        )

    def perform(self, form):
        data = form.cleaned_data
        actions.conclude_review(
            task=self.task,
            actor=self.request.user,
            passes=data["passes"],
            findings={field: data[field] for field, _label in FOCUS_POINTS},
            reasons=data["reasons"],
            remedy=data["remedy"],
        )


class BannerDecisionPage(TaskPage):
    form_class = forms.BannerDecisionForm
    success_message = gettext_lazy("审批决定已作出。")

    def perform(self, form):
        actions.decide_at_banner(
            task=self.task,
            actor=self.request.user,
            approves=form.cleaned_data["approves"],
            reasons=form.cleaned_data["reasons"],
        )


class CityApprovalPage(TaskPage):
    form_class = forms.CityApprovalForm
    success_message = gettext_lazy("批复已作出。")

    def perform(self, form):
        actions.approve_at_city(
            task=self.task,
            actor=self.request.user,
            approves=form.cleaned_data["approves"],
            reasons=form.cleaned_data["reasons"],
        )


class CityDecisionPage(TaskPage):
    form_class = forms.CityDecisionForm
    success_message = gettext_lazy("市政府批复已登记。")

    def perform(self, form):
        data = form.cleaned_data
        actions.record_city_decision(
            task=self.task,
            actor=self.request.user,
            approves=data["approves"],
            document_number=data["document_number"],
            decision_date=data["decision_date"],
            reply_scan=data["reply_scan"],
            reasons=data["reasons"],
        )


# --- task lists and task actions ------------------------------------------------------------


def task_or_404(user, pk: int) -> Task:
    """The task, if the user may work on it. A colleague of the unit who lost the race is told who took it
    (ConflictError); another party of the case is refused; anyone else learns nothing."""
    try:
        task = task_selectors.task_with_holder(pk=pk)
    except Task.DoesNotExist:
        raise Http404 from None
    if not task_selectors.can_work_on(user=user, task=task):
        duty_request = task.process.coerced.duty_request
        if duty_request is not None and can_view_request(user, duty_request):
            if task_selectors.lost_to_a_colleague(user=user, task=task):
                raise ConflictError(engine.taken_message(task))
            raise PermissionDenied(_("您所在单位无权办理该任务。"))
        raise Http404  # who cannot see the case cannot learn that it exists
    return task


def task_list(request, box: str = "inbox"):
    filters = task_selectors.TaskFilter(
        search=listing.text(request, "q"),
        step=listing.text(request, "step", allowed=Step.values),
        state=listing.text(request, "state", allowed=RequestState.values),
        urgency=listing.text(request, "urgency", allowed=task_selectors.URGENCIES),
        track=listing.text(request, "track", allowed=Track.values),
        year=listing.year(request),
        sort=listing.text(request, "sort"),
    )
    tasks = task_selectors.task_box(user=request.user, box=box, filters=filters)
    page = Paginator(tasks, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "workflows/task_list.html",
        {
            "box": box,
            "page": page,
            "rows": task_selectors.task_rows(page),
            "filters": filters,
            "steps": Step.choices,
            "states": RequestState.choices,
            "tracks": Track.choices,
            "years": listing.years(),
        },
    )


def execute_task(request, pk: int):
    try:
        task = task_or_404(request.user, pk)
    except ConflictError as error:
        messages.info(request, error.message)
        return redirect("workflows:inbox")
    if task.status not in engine.OPEN_TASK_STATUSES:
        messages.info(request, _("该任务已办结。"))
        return redirect("admission:request_detail", pk=task.process.coerced.duty_request.pk)
    return _page(task.flow_task.name)(request, task=task)


@functools.cache
def _page(node: str):
    """The page of a step, as the procedure table names it."""
    return import_string(step(node).page).as_view()


@require_POST
def claim_task(request, pk: int):
    try:
        actions.claim_task(task=task_or_404(request.user, pk), actor=request.user)
    except ConflictError as error:
        messages.error(request, error.message)
        return redirect("workflows:queue")
    messages.success(request, _("已领取，任务已移入待办。"))
    return redirect("workflows:execute", pk=pk)


@require_POST
def claim_tasks(request):
    """Claim several tasks of the queue at once; those a colleague took meanwhile are named, not an error."""
    ids = [pk for pk in map(listing.whole_number, request.POST.getlist("tasks")[:100]) if pk is not None]
    if not ids:
        messages.error(request, _("请先勾选要领取的任务。"))
        return redirect("workflows:queue")
    claimed = 0
    for pk in ids:
        try:
            actions.claim_task(task=task_or_404(request.user, pk), actor=request.user)
        except (Http404, PermissionDenied):  # not the unit's: say no more than that
            messages.error(request, _("任务 %(task)s 不在本单位任务队列中，未领取。") % {"task": pk})
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            claimed += 1
    if claimed:
        messages.success(request, _("已领取 %(count)s 项任务，已移入待办。") % {"count": claimed})
    return redirect("workflows:inbox")


@require_POST
def release_task(request, pk: int):
    try:
        actions.release_task(task=task_or_404(request.user, pk), actor=request.user)
    except ConflictError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("任务已退回本单位任务队列。"))
    return redirect("workflows:inbox")
