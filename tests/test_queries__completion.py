"""Issue 15 part 1: a task completion costs at most 20 statements, whatever the step (no savepoints of nested atomic
blocks, no permission lookups through the standard backend, the case read once before it is locked).

Counted inside the test's transaction, which turns the action's BEGIN/COMMIT into a SAVEPOINT/RELEASE pair: those two
are allowed on top. The audit chain's sealing runs after commit in a transaction of its own and is not part of it.
Steps that issue an official document or store an upload add its numbering, the document, its recipients, the
bodies it names or the stored file.
"""

import pytest
from django.utils import timezone

from tests import support
from workflows import actions

TEST_SAVEPOINT = 2
CEILING = 20 + TEST_SAVEPOINT
DOCUMENT_CEILING = (
    41 + TEST_SAVEPOINT
)  # not yet 20: left for a later step (issue 15); one read for the reply's chronology (issue 13)


def test_completing_a_township_opinion_takes_at_most_20_queries(banner, django_assert_max_num_queries):
    request = support.consulting_case(banner)
    task = support.open_task(request, "consult", township=banner.org("naji").pk)
    with django_assert_max_num_queries(CEILING):
        actions.give_consultation_opinion(task=task, actor=banner.users["naji"], agrees=True, opinion="同意承担。")


@pytest.mark.parametrize(
    ("node", "user_key"), [("lead_review", "office"), ("legality_review", "justice"), ("data_review", "data")]
)
def test_completing_a_bureau_opinion_takes_at_most_20_queries(banner, node, user_key, django_assert_max_num_queries):
    request = support.to_under_review(banner)
    task = support.open_task(request, node)
    with django_assert_max_num_queries(CEILING):
        actions.give_bureau_opinion(task=task, actor=banner.users[user_key], passes=True, reasoning="审核意见")


def test_the_banner_decision_takes_at_most_20_queries(banner, django_assert_max_num_queries):
    request = support.awaiting_approval_case(banner)
    task = support.open_task(request, "banner_decision")
    with django_assert_max_num_queries(CEILING):
        actions.decide_at_banner(task=task, actor=banner.users["leadership"], approves=True, reasons="")


def test_concluding_the_joint_review_with_its_document_stays_bounded(banner, django_assert_max_num_queries):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    task = support.open_task(request, "consolidate")
    with django_assert_max_num_queries(DOCUMENT_CEILING):
        actions.conclude_review(
            task=task, actor=banner.users["office"], passes=True, findings=support.FINDINGS, reasons="", remedy=""
        )


def test_recording_the_city_reply_stays_bounded(banner, django_assert_max_num_queries):
    request = support.awaiting_city_case(banner)
    task = support.open_task(request, "city_decision")
    with django_assert_max_num_queries(DOCUMENT_CEILING):
        actions.record_city_decision(
            task=task,
            actor=banner.users["office"],
            approves=True,
            document_number="呼政字〔2026〕12号",
            decision_date=timezone.localdate(),
            reply_scan=support.pdf("批复.pdf"),
            reasons="",
        )
