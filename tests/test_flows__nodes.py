"""The flow's cheaper nodes (workflows/nodes.py) keep Viewflow's rows: the tasks they insert, link and finish are the
rows Viewflow's Model.save and Task.previous.add would have written, whatever the statements that write them."""

from django.forms.models import model_to_dict
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.models import TaskDeadline
from tests import support
from workflows import actions
from workflows.flows import AdmissionFlow

# The columns Viewflow's save writes that differ between two tasks anyway.
OWN = ("id", "created", "previous")


def _opinion(banner, request, node, key):
    task = support.open_task(request, node)
    actions.give_bureau_opinion(task=task, actor=banner.users[key], passes=True, reasoning="审核意见")
    return Task.objects.get(pk=task.pk)


def test_a_new_human_task_is_the_row_viewflow_saves_with_its_permission_link_and_deadline(banner):
    request = support.to_under_review(banner)
    for node, key in (("legality_review", "justice"), ("data_review", "data")):
        _opinion(banner, request, node, key)
    _opinion(banner, request, "lead_review", "office")
    consolidate = support.open_task(request, "consolidate")
    join = Task.objects.get(process=consolidate.process, flow_task=AdmissionFlow.review_join)
    assert list(consolidate.previous.all()) == [join]
    assert TaskDeadline.objects.filter(task=consolidate, step="consolidate").exists()

    # The same task as Viewflow's own create() saves it, on the same join.
    viewflow = Task(process=consolidate.process, flow_task=AdmissionFlow.consolidate, token=consolidate.token)
    viewflow.data = {}
    activation = AdmissionFlow.consolidate.activation_class(viewflow)
    viewflow.owner_permission = AdmissionFlow.consolidate.calc_owner_permission(activation)
    viewflow.save()
    viewflow.refresh_from_db()
    assert consolidate.owner_permission and consolidate.status == STATUS.NEW
    assert model_to_dict(consolidate, exclude=OWN) == model_to_dict(viewflow, exclude=OWN)


def test_a_finished_review_is_written_done_with_who_took_it_and_when(banner):
    request = support.to_under_review(banner)
    done = _opinion(banner, request, "legality_review", "justice")
    assert done.status == STATUS.DONE and done.owner == banner.users["justice"]
    assert done.started is not None and done.finished is not None and done.started <= done.finished


def test_a_join_still_waits_for_all_three_reviews_and_links_each_once(banner):
    request = support.to_under_review(banner)
    reviews = [
        _opinion(banner, request, "legality_review", "justice"),
        _opinion(banner, request, "data_review", "data"),
    ]
    join = Task.objects.get(process=reviews[0].process, flow_task=AdmissionFlow.review_join)
    assert join.status == STATUS.STARTED and join.flow_task_type == "JOIN" and join.finished is None
    assert not Task.objects.filter(process=join.process, flow_task=AdmissionFlow.consolidate).exists()

    lead = _opinion(banner, request, "lead_review", "office")
    gateway = Task.objects.get(process=join.process, flow_task=AdmissionFlow.advice_needed)
    assert gateway.status == STATUS.DONE and gateway.finished is not None and list(gateway.previous.all()) == [lead]
    join.refresh_from_db()
    assert join.status == STATUS.DONE and join.finished is not None
    assert sorted(t.pk for t in join.previous.all()) == sorted([*(r.pk for r in reviews), gateway.pk])


def test_the_links_of_one_action_written_together_are_the_links_viewflow_makes_one_by_one(banner):
    """Accepting for review passes the gateway and the split to three reviews: each task links to the one it came
    from, as Task.previous.add would have linked them, though links_together writes them in one statement."""
    request = support.submitted_case(banner)
    intake = support.open_task(request, "intake")
    actions.accept_for_review(task=intake, actor=banner.users["office"])
    process = intake.process
    gateway = Task.objects.get(process=process, flow_task=AdmissionFlow.intake_outcome)
    split = Task.objects.get(process=process, flow_task=AdmissionFlow.review_split)
    reviews = Task.objects.filter(process=process, flow_task_type="HUMAN", status=STATUS.NEW)
    assert list(gateway.previous.all()) == [intake] and list(split.previous.all()) == [gateway]
    assert sorted(r.flow_task.name for r in reviews) == ["data_review", "lead_review", "legality_review"]
    assert all(list(r.previous.all()) == [split] for r in reviews)


def test_a_join_read_from_its_row_decides_as_the_join_an_arrival_read(banner):
    """An activation Viewflow makes from the join's row (not through create(), which reads the join and its branches
    in one statement) reads its branches itself and comes to the same decision: waiting while a review is open."""
    request = support.to_under_review(banner)
    _opinion(banner, request, "legality_review", "justice")
    _opinion(banner, request, "data_review", "data")
    lead = support.open_task(request, "lead_review")
    join = Task.objects.get(process=lead.process, flow_task=AdmissionFlow.review_join)
    assert not AdmissionFlow.review_join.activation_class(join).is_done()
    _opinion(banner, request, "lead_review", "office")
    join.refresh_from_db()
    assert join.status == STATUS.DONE
