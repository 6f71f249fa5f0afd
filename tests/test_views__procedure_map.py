"""The map of the procedure on the case page (issue 13 part 4): done steps ticked with date and actor, current steps
highlighted with holder and due date, branches not taken greyed; for the parties of the case only."""

from __future__ import annotations

import re
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from admission.models import TaskDeadline
from admission.services.deadlines import set_deadline
from admission.services.habits import copy_case
from tests import support
from web.procedure_map import procedure_map_svg
from workflows.driver import CaseDriver
from workflows.selectors import procedure_map


def _by_node(request):
    return {s["node"]: s for s in procedure_map(duty_request=request)}


def test_map_marks_done_current_skipped_and_ahead_steps(banner):
    request = support.to_under_review(banner)
    steps = _by_node(request)
    assert steps["consult"]["status"] == "done" and steps["consult"]["done_count"] == 2
    assert steps["submit"]["actor"] == "forestry" and steps["submit"]["finished"] is not None
    assert {steps[n]["status"] for n in ("lead_review", "legality_review", "data_review")} == {"current"}
    assert steps["legality_review"]["holders"][0]["who"] == banner.org("justice").name
    assert steps["legality_review"]["holders"][0]["due_date"] is not None
    # the loops the case did not take are greyed; what lies ahead is not
    assert steps["revise"]["status"] == steps["supplement"]["status"] == "skipped"
    assert steps["give_advice"]["status"] == "ahead"
    assert steps["consolidate"]["status"] == steps["city_decision"]["status"] == "ahead"
    svg = str(procedure_map_svg(list(steps.values()), temporary=False))
    assert 'class="step done"' in svg and 'class="step current"' in svg and 'class="step skipped"' in svg
    assert "✓" in svg and "期限" in svg and "未经过" in svg


def test_art1_a_temporary_task_never_goes_to_the_city(banner):
    request = support.to_under_review(banner, **support.temporary_overrides())
    steps = _by_node(request)
    assert steps["city_decision"]["status"] == "skipped"
    svg = str(procedure_map_svg(list(steps.values()), temporary=True))
    assert "无需报市政府" in svg


def test_a_closed_case_greys_every_step_it_did_not_reach(banner):
    request = support.rejected_case(banner)
    steps = _by_node(request)
    assert steps["consolidate"]["status"] == "done"
    assert steps["banner_decision"]["status"] == steps["city_decision"]["status"] == "skipped"


def test_names_typed_by_people_are_escaped_in_the_map(banner):
    user = banner.users["forestry"]
    user.first_name = '<script>alert("x")</script>'
    user.save()
    request = support.to_under_review(banner)
    svg = str(procedure_map_svg(procedure_map(duty_request=request), temporary=False))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_map_reads_in_a_bounded_number_of_queries(banner, django_assert_max_num_queries):
    request = support.to_under_review(banner)
    with django_assert_max_num_queries(8):
        procedure_map(duty_request=request)


def test_map_is_shown_to_the_parties_only(client, banner):
    request = support.to_under_review(banner)
    copy_case(duty_request=request, actor=banner.users["office"], organizations=[banner.org("agriculture")])
    url = reverse("admission:request_detail", args=[request.pk])
    client.force_login(banner.users["naji"])
    assert 'class="procedure-map"' in client.get(url).content.decode()
    client.force_login(banner.users["agriculture"])  # sees the case by the copy, but is no party to it
    page = client.get(url)
    assert page.status_code == 200 and 'class="procedure-map"' not in page.content.decode()


def test_a_withdrawn_case_shows_the_step_where_it_was_withdrawn(banner):
    request = support.consulting_case(banner)
    CaseDriver(request).withdraw(banner.users["forestry"], reason="政策调整，暂不申请。")
    request.refresh_from_db()
    steps = _by_node(request)
    assert steps["consult"]["status"] == "skipped" and steps["consult"]["withdrawn_here"]
    assert not steps["submit"]["withdrawn_here"]
    assert "撤回" in str(procedure_map_svg(list(steps.values()), temporary=False))


def test_map_and_habits_speak_english_to_an_english_user(client, banner):
    request = support.to_under_review(banner)
    client.force_login(banner.users["office"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    for english in ("Map of the procedure", "In progress", "Not taken", "Working together", "Internal comments"):
        assert english in page, english


def test_art4_4_a_township_s_exit_of_its_own_duty_skips_the_consultation_on_the_map(banner):
    """A township asking about its own duty has no other township to consult: the map greys 出具书面意见."""
    request = support.admitted(banner)
    duty = request.township_duties.get(township=banner.org("naji"))
    exit_case = support.propose(banner, duty, "exit", by="naji", targets=[duty])
    steps = _by_node(exit_case)
    assert steps["consult"]["status"] == "skipped"
    assert steps["submit"]["status"] == "current"


def _drawn_lines(svg: str) -> list[str]:
    """The text the map draws (not the <title> tooltips, which a phone never shows)."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_a_current_step_draws_its_whole_due_date_with_its_holder_and_marks_a_provisional_one(banner):
    """Issue 13 part 4: current steps show holder and due date — the date on a line of its own, never cut off, and
    暂估 when the year's schedule is not entered (part 7)."""
    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    Task.objects.filter(pk=task.pk).update(created=timezone.make_aware(datetime(2026, 12, 28, 9, 30)))
    task.refresh_from_db()
    TaskDeadline.objects.filter(task=task).delete()  # set_deadline gives a new task its first deadline
    set_deadline(task=task, jurisdiction_id=banner.jurisdiction.pk)
    steps = _by_node(request)
    due = steps["legality_review"]["holders"][0]["due_date"]
    assert steps["legality_review"]["holders"][0]["provisional"]
    lines = _drawn_lines(str(procedure_map_svg(list(steps.values()), temporary=False)))
    assert f"期限 {due:%Y-%m-%d}（暂估）" in lines
    assert any(line.startswith("办理中：" + banner.org("justice").name) for line in lines)
