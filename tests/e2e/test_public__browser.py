"""Issue 15 in Chromium: the public township list (no login) and the city office's drill-down, at 375 px and on a
desktop, without horizontal scrolling or a blocked script or style (CSP)."""

import pytest

from admission.models import JurisdictionLevel, Organization, OrganizationKind, Role
from admission.services.setup import add_member, create_upper_jurisdiction
from tests import support

from .conftest import SHOTS

pytestmark = pytest.mark.e2e

WIDTHS = (375, 1280)


def _look(page, url: str, name: str) -> None:
    problems: list[str] = []
    # A blocked script or style (CSP) is a console error; a failed page resource a response (the browser's own
    # favicon request, which the page does not make, is neither).
    page.on("console", lambda message: problems.append(message.text) if "Refused" in message.text else None)
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 else None)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"issue15-{name}-{width}.png"), full_page=True)
    assert problems == [], problems


def test_the_public_list_reads_well_on_a_phone_without_login(transactional_db, live_server, page):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    support.admitted(banner)
    url = f"{live_server.url}/public/townships/{banner.org('naji').pk}/"
    _look(page, url, "public-township")
    assert "森林草原防火巡查" in page.locator("main").inner_text()


def test_the_city_offices_drill_down_reads_well_on_a_phone(transactional_db, live_server, page):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    support.admitted(banner)
    city = create_upper_jurisdiction(
        name="呼伦贝尔市",
        division_code="150700",
        level=JurisdictionLevel.CITY,
        abbreviation="呼",
        children=[banner.jurisdiction],
    )
    office = Organization.objects.get(jurisdiction=city, kind=OrganizationKind.ORGANIZATION_OFFICE)
    add_member(organization=office, username="city_office", password=support.PASSWORD, role=Role.CLERK)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_office")
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/region/")
    _look(page, f"{live_server.url}/region/", "region")
    assert "阿荣旗" in page.locator("main").inner_text()
    _look(page, f"{live_server.url}/dashboard/{banner.jurisdiction.pk}/", "banner-dashboard")


def test_the_api_documentation_runs_under_the_csp(transactional_db, live_server, page):
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Refused" in message.text else None)
    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("/api/v1/townships/{id}/duties/").first.wait_for(state="visible")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "issue15-api-docs-1280.png"), full_page=True)
    assert refused == [], refused
