"""Issue 15 part 1: a task completion costs at most 20 statements, whatever the step — including the steps that issue
an official document or store an upload, and the completions that finish a parallel branch and move the flow on (no
savepoints of nested atomic blocks, no permission lookups through the standard backend, the case read once and locked
in that read, the task read in the statement that locks its process, Viewflow's joins, gateways and end in fewer
statements, the links between the tasks the flow creates in one insert, one insert for an action's audit events, the
document number in one upsert, a bureau's opinion inserted unless it has given one in one statement, the banner's
calendar, time limits and bodies from the cache).

Counted inside the test's transaction, which turns the action's BEGIN/COMMIT into a SAVEPOINT/RELEASE pair: those two
are allowed on top. The audit chain's sealing runs after commit in a transaction of its own and is not part of it, nor
are the announcements of new work (admission.tasks.announce, on the task engine). Each step's bound is what it takes
now (PostgreSQL and SQLite alike); none may exceed 20."""

import pytest
from django.utils import timezone

from tests import support
from workflows import actions

TEST_SAVEPOINT = 2
CEILING = 20


def bound(statements: int) -> int:
    assert statements <= CEILING
    return statements + TEST_SAVEPOINT


def test_completing_a_township_opinion_takes_at_most_11_queries(banner, django_assert_max_num_queries):
    request = support.consulting_case(banner)
    task = support.open_task(request, "consult", township=banner.org("naji").pk)
    with django_assert_max_num_queries(bound(11)):
        actions.give_consultation_opinion(task=task, actor=banner.users["naji"], agrees=True, opinion="同意承担。")


def test_the_last_township_opinion_moving_the_case_to_its_application_takes_at_most_16_queries(
    banner, django_assert_max_num_queries
):
    """The consultation concludes (its outcomes read once by the service, once by the transition's condition), and
    the join, the gateway and the application task with its deadline follow."""
    request = support.consulting_case(banner)
    first = support.open_task(request, "consult", township=banner.org("naji").pk)
    actions.give_consultation_opinion(task=first, actor=banner.users["naji"], agrees=True, opinion="同意承担。")
    last = support.open_task(request, "consult", township=banner.org("liuhe").pk)
    with django_assert_max_num_queries(bound(16)):
        actions.give_consultation_opinion(task=last, actor=banner.users["liuhe"], agrees=True, opinion="同意承担。")


def test_accepting_for_review_opening_three_reviews_takes_at_most_13_queries(banner, django_assert_max_num_queries):
    """Each of the three reviews is inserted, their links to the split (and the gateway's and the split's own) together
    in one statement and their deadlines together in another at the action's end (the time limits from the cache)."""
    request = support.submitted_case(banner)
    task = support.open_task(request, "intake")
    with django_assert_max_num_queries(bound(13)):
        actions.accept_for_review(task=task, actor=banner.users["office"])


@pytest.mark.parametrize(
    ("node", "user_key", "statements"),
    # The lead's opinion passes the gateway that asks whether other departments' advice is pending.
    [("lead_review", "office", 10), ("legality_review", "justice", 9), ("data_review", "data", 9)],
)
def test_completing_a_bureau_opinion_takes_at_most_10_queries(
    banner, node, user_key, statements, django_assert_max_num_queries
):
    request = support.to_under_review(banner)
    task = support.open_task(request, node)
    with django_assert_max_num_queries(bound(statements)):
        actions.give_bureau_opinion(task=task, actor=banner.users[user_key], passes=True, reasoning="审核意见")


def test_the_opinion_completing_the_joint_review_takes_at_most_12_queries(banner, django_assert_max_num_queries):
    """The third opinion closes the review's join and opens the consolidation task, with its deadline."""
    request = support.to_under_review(banner)
    for node, key in (("legality_review", "justice"), ("data_review", "data")):
        task = support.open_task(request, node)
        actions.give_bureau_opinion(task=task, actor=banner.users[key], passes=True, reasoning="审核意见")
    task = support.open_task(request, "lead_review")
    with django_assert_max_num_queries(bound(12)):
        actions.give_bureau_opinion(task=task, actor=banner.users["office"], passes=True, reasoning="审核意见")


def test_the_banner_decision_takes_at_most_12_queries(banner, django_assert_max_num_queries):
    request = support.awaiting_approval_case(banner)
    task = support.open_task(request, "banner_decision")
    with django_assert_max_num_queries(bound(12)):
        actions.decide_at_banner(task=task, actor=banner.users["leadership"], approves=True, reasons="")


def test_concluding_the_joint_review_with_its_document_takes_at_most_18_queries(banner, django_assert_max_num_queries):
    """The review opinion goes up to the leadership (上行文), so its signatory is named: who signs, inherited from the
    banner's or a level above's setting (issue 15 part 2), is read in the same query as the members."""
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    task = support.open_task(request, "consolidate")
    with django_assert_max_num_queries(bound(18)):
        actions.conclude_review(
            task=task, actor=banner.users["office"], passes=True, findings=support.FINDINGS, reasons="", remedy=""
        )


def test_recording_the_city_reply_with_its_upload_and_decision_takes_at_most_20_queries(
    banner, django_assert_max_num_queries
):
    request = support.awaiting_city_case(banner)
    task = support.open_task(request, "city_decision")
    with django_assert_max_num_queries(bound(20)):
        actions.record_city_decision(
            task=task,
            actor=banner.users["office"],
            approves=True,
            document_number="呼政字〔2026〕12号",
            decision_date=timezone.localdate(),
            reply_scan=support.pdf("批复.pdf"),
            reasons="",
        )
