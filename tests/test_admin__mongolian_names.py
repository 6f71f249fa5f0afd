"""Issue 14 part 1: the bodies' names in traditional Mongolian are entered in the admin, checked, and previewed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from admission.models import AdministratorRole
from admission.services.administrators import create_administrator
from tests.support import PASSWORD

INSIDE = {"REMOTE_ADDR": "10.1.2.3"}  # the administrators' network


@pytest.fixture
def system_admin(client, db):
    client.force_login(create_administrator(username="sysadmin", password=PASSWORD, role=AdministratorRole.SYSTEM))
    return client


def _form(organization, mongolian: str) -> dict:
    return {
        "jurisdiction": organization.jurisdiction_id,
        "kind": organization.kind,
        "name": organization.name,
        "division_code": organization.division_code,
        "official_name": organization.official_name,
        "document_code": organization.document_code,
        "mongolian_name": mongolian,
    }


def test_the_change_page_previews_the_mongolian_name_horizontally_and_vertically(system_admin, banner):
    leadership = banner.org("leadership")
    page = system_admin.get(reverse("admin:admission_organization_change", args=[leadership.pk]), **INSIDE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="mongolian-preview"' in html and 'class="vertical" lang="mn-Mong"' in html
    for line in leadership.mongolian_name.splitlines():  # a joint body: each of its bodies on a line
        assert html.count(f'<span class="line">{line}</span>') == 2
    assert "admission/mongolian.js" in html and "admission/mongolian.css" in html


def test_nmg_1996_32_a_name_in_another_script_is_refused_with_what_to_remove(system_admin, banner):
    forestry = banner.org("forestry")
    url = reverse("admin:admission_organization_change", args=[forestry.pk])
    response = system_admin.post(url, _form(forestry, "ᠠᠷᠤᠨ Arun"), **INSIDE)
    assert response.status_code == 200
    assert (
        "蒙古文名称只能使用传统蒙古文字母" in response.content.decode() and "请删除：Anru" in response.content.decode()
    )
    forestry.refresh_from_db()
    assert "Arun" not in forestry.mongolian_name


def test_a_joint_body_gives_one_mongolian_line_for_each_of_its_bodies(system_admin, banner):
    leadership = banner.org("leadership")
    url = reverse("admin:admission_organization_change", args=[leadership.pk])
    response = system_admin.post(url, _form(leadership, "ᠠᠷᠤᠨ ᠬᠣᠰᠢᠭᠤ"), **INSIDE)
    assert response.status_code == 200 and "共 2 行" in response.content.decode()
    response = system_admin.post(url, _form(leadership, "ᠠᠷᠤᠨ\nᠬᠣᠰᠢᠭᠤ"), **INSIDE)
    assert response.status_code == 302
    leadership.refresh_from_db()
    assert leadership.mongolian_name == "ᠠᠷᠤᠨ\nᠬᠣᠰᠢᠭᠤ"
