"""Walks one case through the real flow by the front doors, as its people would.

The one driver shared by `manage.py seed_demo` and the tests: each step finds the case's open task of that
step and performs it through workflows.actions, exactly as the step's page does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from viewflow.workflow.models import Task

from admission.models import DutyRequest, Organization

from . import actions, engine

T = TypeVar("T")


class CaseDriver:
    def __init__(self, duty_request: DutyRequest):
        self.duty_request = duty_request

    def task(self, node: str, **data: Any) -> Task:
        """The one open task of step `node` (matching `data`, e.g. consultation=pk)."""
        matches = [
            t
            for t in engine.open_tasks(self.duty_request).filter(flow_task_type="HUMAN")
            if t.flow_task.name == node and all(t.data.get(k) == v for k, v in data.items())
        ]
        if len(matches) != 1:
            open_nodes = [t.flow_task.name for t in engine.open_tasks(self.duty_request)]
            raise LookupError(f"expected one open {node} task {data or ''}, found {len(matches)}; open: {open_nodes}")
        return matches[0]

    def _done(self, result: T) -> T:
        self.duty_request.refresh_from_db()
        return result

    def perform(self, node: str, user, action: Callable[[], T], **data: Any) -> T:
        """Any service call as the task of step `node` (tests use it to try what a page would not offer)."""
        return self._done(engine.run_task(task=self.task(node, **data), user=user, nodes=(node,), action=action))

    def consult(self, actor) -> DutyRequest:
        self.duty_request = actions.consult_townships(duty_request=self.duty_request, actor=actor)
        return self.duty_request

    def withdraw(self, actor, *, reason: str) -> DutyRequest:
        self.duty_request = actions.withdraw(duty_request=self.duty_request, actor=actor, reason=reason)
        return self.duty_request

    def give_opinion(self, actor, *, township: Organization, agrees: bool, opinion: str, letter=None):
        consultation = self.duty_request.current_consultations().get(township=township)
        return self._done(
            actions.give_consultation_opinion(
                task=self.task("consult", consultation=consultation.pk),
                actor=actor,
                agrees=agrees,
                opinion=opinion,
                letter=letter,
            )
        )

    def revise(self, actor) -> DutyRequest:
        return self._done(actions.revise_and_consult(task=self.task("revise"), actor=actor))

    def submit(self, actor, *, application_letter, supporting_files: Sequence = ()) -> DutyRequest:
        return self._done(
            actions.submit_application(
                task=self.task("submit"),
                actor=actor,
                application_letter=application_letter,
                supporting_files=supporting_files,
            )
        )

    def accept(self, actor, *, note: str = "") -> DutyRequest:
        return self._done(actions.accept_for_review(task=self.task("intake"), actor=actor, note=note))

    def return_for_supplement(self, actor, *, items: list[str]):
        return self._done(actions.return_for_supplement(task=self.task("intake"), actor=actor, items=items))

    def resubmit(self, actor, *, note: str, supporting_files: Sequence = ()) -> DutyRequest:
        return self._done(
            actions.resubmit_after_supplement(
                task=self.task("supplement"),
                actor=actor,
                note=note,
                supporting_files=supporting_files,
            )
        )

    def ask_for_advice(
        self, actor, *, question: str, departments: Sequence[Organization] = (), experts: Sequence[tuple[str, str]] = ()
    ):
        return self._done(
            actions.ask_for_advice(
                task=self.task("lead_review"),
                actor=actor,
                question=question,
                departments=departments,
                experts=experts,
            )
        )

    def give_advice(self, actor, *, advisory, answer: str, letter=None):
        return self._done(
            actions.give_advice(
                task=self.task("give_advice", advisory_opinion=advisory.pk),
                actor=actor,
                answer=answer,
                letter=letter,
            )
        )

    def give_bureau_opinion(self, node: str, actor, *, passes: bool, reasoning: str):
        return self._done(
            actions.give_bureau_opinion(
                task=self.task(node),
                actor=actor,
                passes=passes,
                reasoning=reasoning,
            )
        )

    def conclude(self, actor, *, passes: bool, findings: dict[str, str], reasons: str = "", remedy: str = ""):
        return self._done(
            actions.conclude_review(
                task=self.task("consolidate"),
                actor=actor,
                passes=passes,
                findings=findings,
                reasons=reasons,
                remedy=remedy,
            )
        )

    def decide_at_banner(self, actor, *, approves: bool, reasons: str = ""):
        return self._done(
            actions.decide_at_banner(
                task=self.task("banner_decision"),
                actor=actor,
                approves=approves,
                reasons=reasons,
            )
        )

    def record_city_decision(
        self, actor, *, approves: bool, document_number: str, decision_date: date, reply_scan, reasons: str = ""
    ):
        return self._done(
            actions.record_city_decision(
                task=self.task("city_decision"),
                actor=actor,
                approves=approves,
                document_number=document_number,
                decision_date=decision_date,
                reply_scan=reply_scan,
                reasons=reasons,
            )
        )
