"""Issue 15 part 2 in Chromium: a city's organization office drills down from its banners to one township's duty
list by clicking, at 375 px and on a desktop — read-only, with only the links that lead somewhere for it."""

import pytest

from tests import support

from .conftest import SHOTS

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page, what: str, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at {width}px"


def _shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"issue15-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_city_office_clicks_down_to_a_townships_duty_list(transactional_db, live_server, page, width):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    support.admitted(banner)
    other = support.build_banner(code="150522", name="科尔沁左翼后旗", short="后旗", prefix="kh")
    support.admitted(other, duty_name="秸秆禁烧巡查")
    above = support.levels_above(banner, other)
    support.office_member(above.city, "city_office")

    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if "Refused" in message.text else None)
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 else None)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_office")
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/region/")

    # The header offers what has content for a city's office: its banners and their cases, no task boxes.
    links = [text.strip() for text in page.locator("header nav a").all_text_contents()]
    assert "所辖旗县" in links and "准入申请" in links, links
    for empty in ("我的待办", "本单位任务队列", "已办", "乡镇职责清单", "监督看板", "反映"):
        assert not any(link.startswith(empty) for link in links), (empty, links)

    main = page.locator("main")
    assert "阿荣旗" in main.inner_text() and "科尔沁左翼后旗" not in main.inner_text()
    _no_sideways_scroll(page, "the banners", width)
    _shot(page, "city-banners", width)

    main.get_by_role("link", name="乡镇职责清单").click()
    page.wait_for_url("**/duties/?banner=*")
    assert "各乡镇汇总" in main.inner_text()
    _no_sideways_scroll(page, "the banner's townships", width)
    _shot(page, "city-banner-townships", width)

    main.locator("table").first.get_by_role("link", name="那吉镇", exact=True).click()
    page.wait_for_url("**township=*")
    text = main.inner_text()
    assert "森林草原防火巡查" in text and "秸秆禁烧巡查" not in text
    trail = page.locator("nav.trail").inner_text()
    assert "呼伦贝尔市" in trail and "阿荣旗" in trail and "那吉镇" in trail and "只读" in trail
    _no_sideways_scroll(page, "the township's list", width)
    _shot(page, "city-township-list", width)

    # On to the duty and its case: read, never acted on.
    main.get_by_role("link", name="森林草原防火巡查").first.click()
    page.wait_for_url("**/duties/*/")
    assert page.locator("main form[method=post]").count() == 0
    _no_sideways_scroll(page, "the duty", width)
    _shot(page, "city-duty", width)
    assert problems == [], problems
