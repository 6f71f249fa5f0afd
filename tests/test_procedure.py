"""Each step of the measure is declared once (admission/procedure.py) and everything else agrees with that table."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from django.utils.module_loading import import_string

from admission.management.commands.procedure_trace import TRACE, with_steps
from admission.models import Step
from admission.procedure import STEPS, ActingBody
from admission.services.deadlines import DEFAULT_TIME_LIMITS
from workflows import actions
from workflows.flows import PERMISSION_OF, AdmissionFlow, HumanTask

TESTS = Path(__file__).resolve().parent


def _human_nodes() -> dict[str, HumanTask]:
    return {node.name: node for node in AdmissionFlow.instance.nodes() if isinstance(node, HumanTask)}


def test_every_human_task_of_the_flow_is_a_step_of_the_table_and_back():
    assert set(_human_nodes()) == {s.node for s in STEPS}


def test_the_flow_takes_each_tasks_title_and_acting_body_from_the_table():
    for node in _human_nodes().values():
        declared = node.procedure_step
        assert declared.node == node.name
        assert node.task_title == declared.title
        assert node._owner_permission is PERMISSION_OF[declared.acting_body]


def test_every_acting_body_has_a_permission_rule():
    assert set(PERMISSION_OF) == set(ActingBody)


def test_step_choices_and_default_time_limits_come_from_the_table():
    assert [(value, str(label)) for value, label in Step.choices] == [(s.node, str(s.title)) for s in STEPS]
    assert {s.node: (s.days, s.unit) for s in STEPS} == DEFAULT_TIME_LIMITS


def test_every_step_names_a_page_and_a_service_that_exist():
    for declared in STEPS:
        page = import_string(declared.page)
        assert callable(getattr(page, "perform", None)), declared.page
        assert callable(import_string(declared.service)), declared.service


def test_each_step_has_a_front_door_calling_its_service():
    """One way into each transition: some function of workflows.actions runs the step's task and calls its service."""
    source = inspect.getsource(actions)
    for declared in STEPS:
        module, function = declared.service.rsplit(".", 2)[-2:]
        assert f'nodes=("{declared.node}",)' in source or declared.node in actions.JOINT_REVIEW_NODES, declared.node
        assert f"{module}.{function}(" in source or f"request_services.{function}(" in source, declared.service


def test_procedure_trace_step_list_is_generated_from_the_table():
    text = TRACE.read_text(encoding="utf-8")
    assert with_steps(text) == text, "run `manage.py procedure_trace`"


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def test_procedure_trace_cites_only_tests_that_exist():
    text = TRACE.read_text(encoding="utf-8")
    missing = []
    for cell in re.findall(r"`((?:e2e/)?test_[a-z0-9_]+\.py)`", text) + re.findall(
        r"`((?:e2e/)?test_[a-z0-9_]+\.py)::", text
    ):
        if not (TESTS / cell).exists():
            missing.append(cell)
    # `file.py::test_a`, `::test_b` — a bare `::name` continues the last file named before it.
    current = None
    for match in re.finditer(r"`((?:e2e/)?test_[a-z0-9_]+\.py)?::(test_[a-z0-9_]+)`", text):
        current = match.group(1) or current
        if current and (TESTS / current).exists() and match.group(2) not in _test_names(TESTS / current):
            missing.append(f"{current}::{match.group(2)}")
    assert missing == []
