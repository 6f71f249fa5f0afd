"""Issue 15: migration 0025 keeps every document number as it was while the abbreviation moves out of the bodies'
codes (阿编 → 编, joined again at issue from the banner's own or inherited 简称), and gives it back on the way down."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("admission", "0024_webhooks")]
AFTER = [("admission", "0025_jurisdiction_settings")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0024(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema for the next tests


def test_0025_takes_the_abbreviation_out_of_the_codes_and_puts_it_back(at_0024):
    Jurisdiction = at_0024.get_model("admission", "Jurisdiction")
    Organization = at_0024.get_model("admission", "Organization")
    banner = Jurisdiction.objects.create(
        name="阿荣旗", division_code="150721", city_name="呼伦贝尔市", abbreviation="阿"
    )
    for kind, name, prefix in (
        ("organization_office", "旗委编办", "阿编"),
        ("department", "旗林业和草原局", "阿林草"),
        ("township", "阿荣镇", "阿荣政"),  # a township's code is whole, even when it starts like the banner's
        ("city_government", "呼伦贝尔市人民政府", ""),
    ):
        Organization.objects.create(jurisdiction=banner, kind=kind, name=name, document_prefix=prefix)

    apps = _migrate(AFTER)
    codes = dict(apps.get_model("admission", "Organization").objects.values_list("name", "document_code"))
    assert codes == {"旗委编办": "编", "旗林业和草原局": "林草", "阿荣镇": "阿荣政", "呼伦贝尔市人民政府": ""}

    apps = _migrate(BEFORE)
    prefixes = dict(apps.get_model("admission", "Organization").objects.values_list("name", "document_prefix"))
    assert prefixes == {"旗委编办": "阿编", "旗林业和草原局": "阿林草", "阿荣镇": "阿荣政", "呼伦贝尔市人民政府": ""}
