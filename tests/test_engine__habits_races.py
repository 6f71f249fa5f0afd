"""Races of 退回 on real PostgreSQL row locks: the lead unit sending the case back while a colleague concludes the
same consolidation. One wins; the other is told, and the flow and the case agree."""

import pytest
from django.db import connection

from admission.models import CaseReturn, RequestState, ReviewConclusion
from admission.services import habits, review
from admission.services.errors import ConflictError
from tests import support
from tests.test_engine__concurrency import race
from workflows import actions, engine

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (set DATABASE_URL)"),
]


def _consolidating(banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    return request, support.open_task(request, "consolidate")


def _conclude(banner, request, task, user, hold=lambda: None):
    def action():
        review.conclude_review(duty_request=request, actor=user, passes=True, findings=support.FINDINGS)
        hold()

    return engine.run_task(task=task, user=user, nodes=("consolidate",), action=action)


@pytest.mark.django_db(transaction=True)
def test_art4_2_return_racing_the_conclusion_return_first_the_conclusion_is_refused(banner):
    request, task = _consolidating(banner)
    office, office2 = banner.users["office"], banner.users["office2"]

    def send_back(hold):
        return engine.send_back(
            task=task,
            user=office,
            to_nodes=("legality_review",),
            action=lambda: (
                habits.return_to_review(
                    duty_request=request,
                    actor=office,
                    from_node="consolidate",
                    nodes=["legality_review"],
                    reasons="请复核。",
                ),
                hold(),
            ),
        )

    results = race(send_back, lambda: _conclude(banner, request, task, office2))
    assert not isinstance(results["first"], Exception), results["first"]
    assert isinstance(results["second"], ConflictError) and "退回" in results["second"].message
    request.refresh_from_db()
    assert request.state == RequestState.UNDER_REVIEW and not ReviewConclusion.objects.filter(request=request).exists()
    assert [t.flow_task.name for t in engine.open_tasks(request)] == ["legality_review"]


@pytest.mark.django_db(transaction=True)
def test_art4_2_conclusion_racing_a_return_conclusion_first_the_return_is_refused(banner):
    request, task = _consolidating(banner)
    office, office2 = banner.users["office"], banner.users["office2"]
    results = race(
        lambda hold: _conclude(banner, request, task, office, hold),
        lambda: actions.return_to_review(task=task, actor=office2, nodes=["legality_review"], reasons="请复核。"),
    )
    assert not isinstance(results["first"], Exception), results["first"]
    assert isinstance(results["second"], ConflictError)
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL and not CaseReturn.objects.filter(request=request).exists()
