"""Races on real PostgreSQL row locks: two people acting on the same case at the same moment.

SQLite has no SELECT ... FOR UPDATE, so these only mean something on PostgreSQL and are skipped, with the
reason printed, elsewhere.
"""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from admission.models import AuditAction, RequestState
from admission.services import approval, review
from admission.services.errors import ConflictError
from tests import support
from workflows import actions, engine

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (set DATABASE_URL)"),
]


def race(first, second, *, hold_seconds: float = 0.5):
    """Run `first(hold)` and `second()` in two threads with two connections; `second` starts while `first` holds
    its locks (first calls `hold()` inside its transaction). Returns {name: result or exception}."""
    holding, results = threading.Event(), {}

    def hold():
        holding.set()
        threading.Event().wait(hold_seconds)

    def run(name, fn):
        try:
            results[name] = fn()
        except Exception as error:  # the point is to see which one fails and how
            results[name] = error
        finally:
            connections.close_all()

    a = threading.Thread(target=run, args=("first", lambda: first(hold)))
    a.start()
    assert holding.wait(10), "the first party never reached its transaction"
    b = threading.Thread(target=run, args=("second", second))
    b.start()
    a.join(30)
    b.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_completing_the_same_task_at_once_one_wins_the_other_is_told(banner):
    request = support.to_under_review(banner)
    task = support.open_task(request, "lead_review")
    office, office2 = banner.users["office"], banner.users["office2"]

    def review_as(user, reasoning, hold=lambda: None):
        def action():
            review.record_bureau_opinion(duty_request=request, actor=user, passes=True, reasoning=reasoning)
            hold()

        return engine.run_task(task=task, user=user, nodes=(task.flow_task.name,), action=action)

    results = race(lambda hold: review_as(office, "甲的意见", hold), lambda: review_as(office2, "乙的意见"))

    assert not isinstance(results["first"], Exception), results["first"]
    assert isinstance(results["second"], ConflictError)
    assert "办理完毕" in results["second"].message and "无需重复办理" in results["second"].message
    assert list(request.bureau_opinions.values_list("reasoning", flat=True)) == ["甲的意见"]
    assert request.audit_events.filter(action=AuditAction.RECORD_BUREAU_OPINION).count() == 1


@pytest.mark.django_db(transaction=True)
def test_withdrawal_racing_the_banner_decision_one_wins_and_the_loser_is_told_why(banner):
    # A temporary task: the banner's approval is the decision, after which withdrawal is too late.
    temporary = support.temporary_values()
    request = support.to_under_review(
        banner, **{k: temporary[k] for k in ("track", "end_date", "completion_time_limit")}
    )
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    task = support.open_task(request, "banner_decision")
    leadership, forestry = banner.users["leadership"], banner.users["forestry"]

    def decide(hold):
        def action():
            approval.decide_at_banner(duty_request=request, actor=leadership, approves=True)
            hold()

        return engine.run_task(task=task, user=leadership, nodes=(task.flow_task.name,), action=action)

    results = race(decide, lambda: actions.withdraw(duty_request=request, actor=forestry, reason="工作调整。"))

    assert not isinstance(results["first"], Exception), results["first"]
    assert isinstance(results["second"], ConflictError)
    assert "已准入" in results["second"].message
    request.refresh_from_db()
    assert request.state == RequestState.ADMITTED
    assert not request.audit_events.filter(action=AuditAction.WITHDRAW_REQUEST).exists()


@pytest.mark.django_db(transaction=True)
def test_city_decision_recorded_twice_at_once_admits_the_duty_once(banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    task = support.open_task(request, "city_decision")
    office, office2 = banner.users["office"], banner.users["office2"]

    def record(user, hold=lambda: None):
        def action():
            approval.record_city_decision(
                duty_request=request,
                actor=user,
                approves=True,
                document_number="呼政字〔2026〕1号",
                decision_date=timezone.localdate(),
                reply_scan=support.pdf("批复.pdf"),
            )
            hold()

        return engine.run_task(task=task, user=user, nodes=(task.flow_task.name,), action=action)

    results = race(lambda hold: record(office, hold), lambda: record(office2))

    assert isinstance(results["second"], ConflictError)
    assert request.township_duties.count() == 2
    assert request.approval_decisions.count() == 2  # the banner's and the city's, once each
