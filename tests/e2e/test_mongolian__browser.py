"""Issue 14 part 1: Chromium shows the bodies' Mongolian names on the case page — vertical (writing-mode:
vertical-lr), Mongolian on the left of the Chinese (内政办发〔1996〕32号 art. 3(2)), drawn with Noto Sans Mongolian —
at 375 px and on the desktop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def _platform_fonts(page, selector: str) -> set[str]:
    """The faces Chromium really drew the element's text with (DevTools' CSS.getPlatformFontsForNode)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return {font["familyName"] for font in session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_case_page_shows_the_departments_mongolian_name_vertically_on_the_left(page, live_server, width):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    department = banner.org("forestry")
    assert department.mongolian_name, "the demo's names reach the test banner"
    request = support.draft(banner)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", banner.users["forestry"].username)
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/tasks/")
    page.goto(f"{live_server.url}/requests/{request.pk}/")

    plate = page.locator(".nameplate").first
    mongolian, chinese = plate.locator(".mongolian-vertical"), plate.locator(".chinese-vertical")
    assert mongolian.inner_text().replace("\n", " ").split() == department.mongolian_name.split()
    assert mongolian.evaluate("e => getComputedStyle(e).writingMode") == "vertical-lr"
    assert chinese.inner_text().strip() == department.name
    m, c = mongolian.bounding_box(), chinese.bounding_box()
    assert m and c and m["height"] > m["width"], "set vertically"
    assert m["x"] + m["width"] <= c["x"] + 1, "the Mongolian on the left of the Chinese"
    assert "Noto Sans Mongolian" in _platform_fonts(page, ".nameplate .mongolian-vertical")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"mongolian-case-page-{width}.png"), full_page=True)
